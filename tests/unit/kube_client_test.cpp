// The client's retry, watch-resume and logging behaviour on error paths a real API server can't be
// made to take on demand, against a scripted HTTP/1.1 server. The rest runs against the real
// control plane in tests/e2e.

#include "fake_api_server.hpp"
#include "kube/client.hpp"
#include "util/version.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using kq::testing::FakeApiServer;
using kq::testing::FakeRequest;
using kq::testing::FakeResponse;
using kq::testing::fast_retries;
using kq::testing::json_answer;
using kq::testing::status_body;
namespace kube = kq::kube;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

kube::ClientConfig config_for(const FakeApiServer& server) {
    kube::ClientConfig config = kq::testing::fake_config(server);
    config.token = "secret-token";
    return config;
}

std::string event_line(const std::string& type, const std::string& name, const std::string& version) {
    return nlohmann::json{
               {"type", type},
               {"object",
                {{"kind", "ConfigMap"}, {"metadata", {{"name", name}, {"resourceVersion", version}}}}}}
               .dump() +
           "\n";
}

std::string query_value(const std::string& target, const std::string& name) {
    const size_t start = target.find(name + "=");
    if (start == std::string::npos) return "";
    const size_t end = target.find('&', start);
    return target.substr(start + name.size() + 1,
                         end == std::string::npos ? std::string::npos : end - start - name.size() - 1);
}

} // namespace

TEST_CASE("429 and 503 are retried, honouring Retry-After, even for creates") {
    FakeApiServer server([](const FakeRequest&, int index) {
        if (index == 0)
            return json_answer(429, status_body(429, "TooManyRequests", "slow down"), {{"Retry-After", "1"}});
        if (index == 1)
            return json_answer(503, status_body(503, "ServiceUnavailable", "busy"), {{"Retry-After", "0"}});
        return json_answer(201, {{"kind", "ConfigMap"}, {"metadata", {{"name", "x"}}}});
    });
    kube::Client client(config_for(server), fast_retries());
    const auto started = Clock::now();
    const nlohmann::json created = client.create("/api/v1/namespaces/ns/configmaps", {{"kind", "ConfigMap"}});
    CHECK(created["metadata"]["name"] == "x");
    CHECK(server.requests().size() == 3);
    CHECK(Clock::now() - started >= 1s);
}

TEST_CASE("429 is retried past the policy's attempts while the throttle patience lasts") {
    int throttled = 5;
    FakeApiServer server([&](const FakeRequest&, int) {
        if (throttled-- > 0)
            return json_answer(429, status_body(429, "TooManyRequests", "slow down"), {{"Retry-After", "0"}});
        return json_answer(201, {{"kind", "Job"}, {"metadata", {{"name", "x"}}}});
    });
    kube::Client client(config_for(server), fast_retries());
    std::optional<kube::ApiResult> result;
    kube::ApiRequest request;
    request.method = "POST";
    request.path = "/apis/batch/v1/namespaces/ns/jobs";
    request.body = nlohmann::json{{"kind", "Job"}};
    client.start(request, [&](kube::ApiResult&& outcome) { result = std::move(outcome); });
    client.run([&] { return result.has_value(); });
    CHECK(result->ok());
    CHECK(result->attempts == 6);
    CHECK(result->throttled == 5);
    CHECK(server.requests().size() == 6);
}

TEST_CASE("a server that throttles for longer than the patience ends the call with its 429") {
    FakeApiServer server([](const FakeRequest&, int) {
        return json_answer(429, status_body(429, "TooManyRequests", "slow down"));
    });
    kube::ClientOptions options = fast_retries();
    options.retry.throttle_patience = 300ms;
    kube::Client client(config_for(server), options);
    const auto started = Clock::now();
    try {
        client.create("/apis/batch/v1/namespaces/ns/jobs", {{"kind", "Job"}});
        FAIL("created");
    } catch (const kube::ApiError& error) {
        CHECK(error.code() == 429);
        CHECK(std::string(error.what()) == "slow down");
    }
    CHECK(Clock::now() - started >= 250ms);
    CHECK(server.requests().size() > 3);
}

TEST_CASE("Retry-After is capped") {
    FakeApiServer server([](const FakeRequest&, int index) {
        if (index == 0)
            return json_answer(429, status_body(429, "TooManyRequests", "slow down"),
                               {{"Retry-After", "3600"}});
        return json_answer(200, {{"kind", "Pod"}});
    });
    kube::ClientOptions options = fast_retries();
    options.retry.max_retry_after = 100ms;
    kube::Client client(config_for(server), options);
    const auto started = Clock::now();
    CHECK(client.get("/api/v1/namespaces/ns/pods/p")["kind"] == "Pod");
    CHECK(Clock::now() - started < 2s);
}

TEST_CASE("5xx is retried for reads and deletes, not for creates unless the caller allows it") {
    int failures = 2;
    FakeApiServer server([&](const FakeRequest&, int) {
        if (failures-- > 0) return json_answer(500, status_body(500, "InternalError", "etcd is sad"));
        return json_answer(200, {{"kind", "Thing"}});
    });
    kube::Client client(config_for(server), fast_retries());
    CHECK(client.get("/api/v1/namespaces/ns/pods/p")["kind"] == "Thing");
    CHECK(server.requests().size() == 3);

    failures = 1;
    CHECK(client.remove("/api/v1/namespaces/ns/pods/p")["kind"] == "Thing");
    CHECK(server.requests().size() == 5);

    failures = 1;
    try {
        client.create("/apis/batch/v1/namespaces/ns/jobs", {{"kind", "Job"}});
        FAIL("created");
    } catch (const kube::ApiError& error) {
        CHECK(std::string(error.what()) == "etcd is sad");
        CHECK(error.code() == 500);
    }
    CHECK(server.requests().size() == 6);

    failures = 1;
    CHECK(client.create("/apis/batch/v1/namespaces/ns/jobs", {{"kind", "Job"}}, true)["kind"] == "Thing");
    CHECK(server.requests().size() == 8);
}

TEST_CASE("retries stop after the policy's attempts with the last error") {
    FakeApiServer server([](const FakeRequest&, int) { return FakeResponse{503, {}, "", {}, false, false}; });
    kube::Client client(config_for(server), fast_retries());
    std::optional<kube::ApiResult> result;
    kube::ApiRequest request;
    request.path = "/api/v1/namespaces";
    client.start(request, [&](kube::ApiResult&& outcome) { result = std::move(outcome); });
    client.run([&] { return result.has_value(); });
    REQUIRE(result->error.has_value());
    CHECK(std::string(result->error->what()) ==
          "the server is currently unable to handle the request (get namespaces)");
    CHECK(result->attempts == 3);
    CHECK(server.requests().size() == 3);
}

TEST_CASE(
    "a connection that breaks before an answer: reads are retried, a create that may have arrived is not") {
    int drops = 1;
    FakeApiServer server([&](const FakeRequest&, int) {
        FakeResponse response = json_answer(200, {{"kind", "Thing"}});
        response.drop = drops-- > 0;
        return response;
    });
    kube::Client client(config_for(server), fast_retries());
    CHECK(client.get("/version")["kind"] == "Thing");
    CHECK(server.requests().size() == 2);

    drops = 1;
    try {
        client.create("/api/v1/namespaces/ns/configmaps", {{"kind", "ConfigMap"}});
        FAIL("created");
    } catch (const kube::ApiError& error) {
        CHECK(error.unreachable());
        CHECK(error.request_sent());
        CHECK(std::string(error.what())
                  .starts_with("the connection to " + server.url() +
                               " broke (context \"fake\" in /fake/config): "));
    }
    CHECK(server.requests().size() == 3);

    // With deterministic names the caller may allow it: a duplicate would be a 409 it recognises.
    drops = 1;
    CHECK(client.create("/api/v1/namespaces/ns/configmaps", {{"kind", "ConfigMap"}}, true)["kind"] ==
          "Thing");
    CHECK(server.requests().size() == 5);
}

TEST_CASE("nothing listening fails at once; the error says the request was never sent") {
    std::string url;
    {
        FakeApiServer gone([](const FakeRequest&, int) { return FakeResponse{}; });
        url = gone.url();
    }
    kube::ClientConfig config;
    config.context = "dev";
    config.source = "/fake/config";
    config.server = url;
    kube::Client client(config, fast_retries());
    const auto started = Clock::now();
    try {
        client.create("/api/v1/namespaces/ns/configmaps", {{"kind", "ConfigMap"}});
        FAIL("created");
    } catch (const kube::ApiError& error) {
        CHECK_FALSE(error.request_sent());
        CHECK(std::string(error.what()) == "cannot connect to " + url +
                                               " (context \"dev\" in /fake/config): connection refused; is "
                                               "the cluster running, and is \"dev\" the "
                                               "context you meant (--context)?");
    }
    CHECK(Clock::now() - started < 1s);
}

TEST_CASE("an HTTP 410 to a watch lists afresh and watches from the list's resourceVersion") {
    FakeApiServer server([](const FakeRequest& request, int) {
        const bool watch = request.target.find("watch=true") != std::string::npos;
        if (watch && query_value(request.target, "resourceVersion") == "5") {
            return json_answer(410, status_body(410, "Expired", "too old resource version: 5 (40)"));
        }
        if (!watch) {
            return json_answer(200,
                               {{"kind", "ConfigMapList"},
                                {"metadata", {{"resourceVersion", "42"}}},
                                {"items", {{{"metadata", {{"name", "a"}, {"resourceVersion", "41"}}}}}}});
        }
        FakeResponse response;
        response.chunks = {{0ms, event_line("ADDED", "b", "43")}};
        return response;
    });
    kube::Client client(config_for(server), fast_retries());
    kube::WatchOptions options;
    options.resource_version = "5";
    std::vector<std::string> seen;
    int relists = 0;
    const bool stopped = client.watch(
        "/api/v1/namespaces/ns/configmaps", options,
        [&](const kube::WatchEvent& event) {
            seen.push_back(fmt::format("{} {}", kube::to_string(event.type),
                                       event.object["metadata"]["name"].get<std::string>()));
            return seen.size() < 2;
        },
        Clock::now() + 10s, [&] { ++relists; });
    CHECK(stopped);
    CHECK(relists == 1);
    CHECK(seen == std::vector<std::string>{"ADDED a", "ADDED b"});
    const std::vector<FakeRequest> requests = server.requests();
    REQUIRE(requests.size() == 3);
    CHECK(query_value(requests[0].target, "allowWatchBookmarks") == "true");
    CHECK(query_value(requests[1].target, "limit") == "500");
    CHECK(query_value(requests[2].target, "resourceVersion") == "42");
}

TEST_CASE("a watch stream that breaks resumes from the last resourceVersion, bookmarks included") {
    FakeApiServer server([](const FakeRequest& request, int) {
        FakeResponse response;
        const std::string version = query_value(request.target, "resourceVersion");
        if (version.empty()) {
            // Half an event in one chunk, the rest in the next, then a bookmark, then the connection breaks.
            const std::string first = event_line("ADDED", "a", "10");
            response.chunks = {
                {0ms, first.substr(0, 9)},
                {20ms, first.substr(9)},
                {0ms,
                 R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"15"}}})"
                 "\n"}};
            response.drop_after = true;
        } else if (version == "15") {
            response.chunks = {{0ms, event_line("MODIFIED", "a", "16")}};
        } else {
            response.status = 500;
        }
        return response;
    });
    kube::Client client(config_for(server), fast_retries());
    std::vector<std::string> seen;
    const bool stopped = client.watch(
        "/api/v1/namespaces/ns/configmaps", {},
        [&](const kube::WatchEvent& event) {
            seen.push_back(fmt::format("{} {}", kube::to_string(event.type),
                                       event.object["metadata"]["resourceVersion"].get<std::string>()));
            return seen.size() < 2;
        },
        Clock::now() + 10s);
    CHECK(stopped);
    CHECK(seen == std::vector<std::string>{"ADDED 10", "MODIFIED 16"});
    CHECK(server.requests().size() == 2);
}

TEST_CASE("a watch ERROR other than 410 ends the watch with its Status") {
    FakeApiServer server([](const FakeRequest&, int) {
        FakeResponse response;
        response.chunks = {{0ms, nlohmann::json{{"type", "ERROR"},
                                                {"object", status_body(500, "InternalError",
                                                                       "watch chan error: etcd is gone")}}
                                         .dump() +
                                     "\n"}};
        return response;
    });
    kube::Client client(config_for(server), fast_retries());
    try {
        client.watch(
            "/api/v1/namespaces/ns/configmaps", {}, [](const kube::WatchEvent&) { return true; },
            Clock::now() + 10s);
        FAIL("no error");
    } catch (const kube::ApiError& error) {
        CHECK(std::string(error.what()) == "watch chan error: etcd is gone");
        CHECK(error.code() == 500);
    }
}

TEST_CASE("a watch ends at its deadline") {
    FakeApiServer server([](const FakeRequest&, int) {
        FakeResponse response;
        response.chunks = {{0ms, event_line("ADDED", "a", "1")}, {3000ms, event_line("ADDED", "b", "2")}};
        return response;
    });
    kube::Client client(config_for(server), fast_retries());
    int events = 0;
    const auto started = Clock::now();
    CHECK_FALSE(client.watch(
        "/api/v1/pods", {}, [&](const kube::WatchEvent&) { return ++events < 5; }, Clock::now() + 300ms));
    CHECK(events == 1);
    CHECK(Clock::now() - started < 2s);
}

TEST_CASE("streams hand over bytes as they come and stop when the handler says so") {
    FakeApiServer server([](const FakeRequest&, int) {
        FakeResponse response;
        response.chunks = {{0ms, "one\n"}, {50ms, "two\n"}, {50ms, "three\n"}, {2000ms, "never\n"}};
        return response;
    });
    kube::Client client(config_for(server), fast_retries());
    std::string text;
    const auto started = Clock::now();
    client.stream("/api/v1/namespaces/ns/pods/p/log", {{"follow", "true"}}, [&](std::string_view bytes) {
        text += bytes;
        return text.find("three\n") == std::string::npos;
    });
    CHECK(text == "one\ntwo\nthree\n");
    CHECK(Clock::now() - started < 1500ms);
}

TEST_CASE("requests carry the user agent, credentials, impersonation and JSON headers") {
    FakeApiServer server([](const FakeRequest&, int) { return json_answer(200, {{"kind", "Thing"}}); });
    kube::ClientConfig config = config_for(server);
    config.impersonate.user = "jane";
    config.impersonate.groups = {"devs", "ops"};
    config.impersonate.extra = {{"scopes/a", {"x"}}};
    kube::Client client(config, fast_retries());
    client.patch("/api/v1/namespaces/ns/configmaps/c", {{"data", {{"a", "b"}}}});
    const FakeRequest request = server.requests().at(0);
    CHECK(request.method == "PATCH");
    CHECK(request.headers.at("user-agent") == std::string("kq/") + kq::k_version);
    CHECK(request.headers.at("authorization") == "Bearer secret-token");
    CHECK(request.headers.at("accept") == "application/json");
    CHECK(request.headers.at("accept-encoding") == "gzip");
    CHECK(request.headers.at("content-type") == "application/merge-patch+json");
    CHECK(request.headers.at("impersonate-user") == "jane");
    CHECK(request.headers.at("impersonate-group") == "devs, ops");
    CHECK(request.headers.at("impersonate-extra-scopes%2fa") == "x");
    CHECK(request.body == R"({"data":{"a":"b"}})");
}

TEST_CASE("-v logs requests without credentials, and server warnings are shown once") {
    FakeApiServer server([](const FakeRequest&, int) {
        return json_answer(200, {{"kind", "Thing"}}, {{"Warning", R"(299 - "batch/v1beta1 is deprecated")"}});
    });
    std::vector<std::string> lines;
    std::vector<std::string> warnings;
    kube::ClientOptions options = fast_retries();
    options.verbosity = 2;
    options.log = [&](const std::string& line) { lines.push_back(line); };
    options.warn = [&](const std::string& line) { warnings.push_back(line); };
    kube::Client client(config_for(server), options);
    client.get("/api/v1/namespaces");
    client.get("/api/v1/namespaces");
    CHECK(warnings == std::vector<std::string>{"batch/v1beta1 is deprecated"});
    std::string all;
    for (const std::string& line : lines)
        all += line + "\n";
    CHECK(all.find("GET " + server.url() + "/api/v1/namespaces\n") != std::string::npos);
    CHECK(all.find("  > Authorization: Bearer <redacted>\n") != std::string::npos);
    CHECK(all.find("GET " + server.url() + "/api/v1/namespaces 200 OK in ") != std::string::npos);
    CHECK(all.find("secret-token") == std::string::npos);
}

TEST_CASE("-v logs a stream when it starts and when it ends") {
    FakeApiServer server([](const FakeRequest&, int) {
        FakeResponse response;
        response.chunks = {{0ms, "line\n"}};
        return response;
    });
    std::vector<std::string> lines;
    kube::ClientOptions options = fast_retries();
    options.verbosity = 1;
    options.log = [&](const std::string& line) { lines.push_back(line); };
    kube::Client client(config_for(server), options);
    client.stream("/api/v1/namespaces/ns/pods/p/log", {{"follow", "true"}},
                  [](std::string_view) { return true; });
    REQUIRE(lines.size() == 2);
    const std::string url = server.url() + "/api/v1/namespaces/ns/pods/p/log?follow=true";
    CHECK(lines[0].starts_with("GET " + url + " 200 OK in "));
    CHECK(lines[0].ends_with(" (streaming)"));
    CHECK(lines[1].starts_with("GET " + url + " stream ended after "));
}

TEST_CASE("a 401 with credentials that can't be refreshed is not retried") {
    FakeApiServer server([](const FakeRequest&, int) {
        return json_answer(401, status_body(401, "Unauthorized", "Unauthorized"));
    });
    kube::Client client(config_for(server), fast_retries());
    try {
        client.get("/api/v1/namespaces");
        FAIL("no error");
    } catch (const kube::ApiError& error) {
        CHECK(error.unauthorized());
        CHECK(std::string(error.what()) ==
              "Unauthorized: the server " + server.url() +
                  " did not accept the credentials of user \"tester\" (token, context "
                  "\"fake\" in /fake/config); have they expired?");
    }
    CHECK(server.requests().size() == 1);
}

TEST_CASE("cancelling calls stops them without calling back") {
    FakeApiServer server([](const FakeRequest&, int) {
        FakeResponse response;
        response.chunks = {{0ms, "a"}, {5000ms, "b"}};
        return response;
    });
    kube::Client client(config_for(server), fast_retries());
    bool called = false;
    kube::StreamHandlers handlers;
    handlers.on_data = [&](std::string_view) { return true; };
    handlers.on_end = [&](std::optional<kube::ApiError>) { called = true; };
    const kube::CallId id = client.start_stream("/log", {}, std::move(handlers));
    bool fired = false;
    client.after(200ms, [&] {
        client.cancel(id);
        fired = true;
    });
    const auto started = Clock::now();
    CHECK(client.run(nullptr) == kube::RunOutcome::idle);
    CHECK(fired);
    CHECK_FALSE(called);
    CHECK(Clock::now() - started < 2s);
}
