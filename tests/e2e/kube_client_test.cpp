// End-to-end: the kube::Client API against the test cluster: API errors in kubectl's words,
// pagination, watches that resume and relist, log streams, and many requests over one HTTP/2
// connection (with the numbers printed).

#include "e2e_helpers.hpp"
#include "kube/client.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

using namespace kq::e2e;
namespace kube = kq::kube;
using ClientClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

nlohmann::json config_map(const std::string& name, const std::string& label = "") {
    nlohmann::json object = {{"apiVersion", "v1"},
                             {"kind", "ConfigMap"},
                             {"metadata", {{"name", name}}},
                             {"data", {{"key", "value"}}}};
    if (!label.empty()) object["metadata"]["labels"] = {{"kq.test/set", label}};
    return object;
}

// A Job whose pods (on the simulated node) print `lines` log lines, one every `interval`, then succeed.
nlohmann::json logging_job(const std::string& name, int lines, const std::string& interval,
                           int parallelism = 1) {
    std::string log;
    for (int i = 1; i <= lines; ++i)
        log += fmt::format("line {}\n", i);
    return {
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata", {{"name", name}}},
        {"spec",
         {{"backoffLimit", 0},
          {"parallelism", parallelism},
          {"completions", parallelism},
          {"template",
           {{"metadata",
             {{"annotations",
               {{"kq.test/log", log},
                {"kq.test/log-interval", interval},
                {"kq.test/run-seconds", std::to_string(lines + 2)}}}}},
            {"spec",
             {{"restartPolicy", "Never"}, {"containers", {{{"name", "main"}, {"image", "busybox"}}}}}}}}}}};
}

// Waits until `count` pods of a Job run, returning their names.
std::vector<std::string> running_pods(kube::Client& client, const std::string& ns, const std::string& job,
                                      size_t count) {
    std::map<std::string, std::string> phases;
    kube::WatchOptions options;
    options.label_selector = "batch.kubernetes.io/job-name=" + job;
    const bool stopped = client.watch(
        "/api/v1/namespaces/" + ns + "/pods", options,
        [&](const kube::WatchEvent& event) {
            const std::string name = event.object["metadata"]["name"];
            if (event.type == kube::WatchEventType::deleted)
                phases.erase(name);
            else
                phases[name] = event.object["status"].value("phase", "");
            size_t running = 0;
            for (const auto& [pod, phase] : phases)
                running += phase == "Running";
            return running < count;
        },
        ClientClock::now() + 60s);
    REQUIRE_MESSAGE(stopped, "the pods of ", job, " did not run within 60s");
    std::vector<std::string> names;
    for (const auto& [pod, phase] : phases) {
        if (phase == "Running") names.push_back(pod);
    }
    return names;
}

// Compacts etcd's history up to now, as the API server does every few minutes, so that old
// resourceVersions are gone for good (the API server then answers watches from them with 410).
void compact_etcd() {
    std::string port;
    std::istringstream env(read_file(cluster_file("cluster.env")));
    for (std::string line; std::getline(env, line);) {
        if (line.starts_with("ETCD_PORT=")) port = line.substr(10);
    }
    REQUIRE_FALSE(port.empty());
    const std::vector<std::string> curl = {"curl",
                                           "-sS",
                                           "--fail",
                                           "--cacert",
                                           cluster_file("pki/ca.crt"),
                                           "--cert",
                                           cluster_file("pki/apiserver-etcd-client.crt"),
                                           "--key",
                                           cluster_file("pki/apiserver-etcd-client.key"),
                                           "-X",
                                           "POST"};
    std::vector<std::string> range = curl;
    range.insert(range.end(), {"-d", R"({"key":"YQ=="})", "https://127.0.0.1:" + port + "/v3/kv/range"});
    const Run head = run_program(range);
    REQUIRE_MESSAGE(head.status == 0, head.err);
    const std::string revision = nlohmann::json::parse(head.out)["header"]["revision"];
    std::vector<std::string> compact = curl;
    compact.insert(compact.end(), {"-d", R"({"revision":")" + revision + R"(","physical":true})",
                                   "https://127.0.0.1:" + port + "/v3/kv/compaction"});
    const Run compacted = run_program(compact);
    REQUIRE_MESSAGE(compacted.status == 0, compacted.err);
}

std::string message_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const kube::ApiError& error) {
        CHECK(error.kind() == kq::ErrorKind::cluster);
        return error.what();
    }
    return "";
}

} // namespace

TEST_SUITE("kube") {

    TEST_CASE("API errors read as kubectl prints them, with code and reason for callers") {
        TestNamespace ns("kq-errors");
        auto admin = cluster_client("admin");
        const std::string jobs = "/apis/batch/v1/namespaces/" + ns.name() + "/jobs";
        nlohmann::json job = logging_job("dup", 1, "0s");
        job["spec"]["suspend"] = true;
        const nlohmann::json created = admin->create(jobs, job);
        CHECK(created["metadata"]["name"] == "dup");

        try {
            admin->create(jobs, job);
            FAIL("created twice");
        } catch (const kube::ApiError& error) {
            CHECK(std::string(error.what()) == "jobs.batch \"dup\" already exists");
            CHECK(error.already_exists());
            CHECK(error.code() == 409);
        }
        try {
            admin->get(jobs + "/nope");
            FAIL("found");
        } catch (const kube::ApiError& error) {
            CHECK(std::string(error.what()) == "jobs.batch \"nope\" not found");
            CHECK(error.not_found());
            CHECK(error.reason() == "NotFound");
        }
        CHECK(message_of([&] { admin->remove(jobs + "/nope"); }) == "jobs.batch \"nope\" not found");

        auto limited = cluster_client("limited");
        try {
            limited->create("/apis/batch/v1/namespaces/default/jobs", job);
            FAIL("created");
        } catch (const kube::ApiError& error) {
            CHECK(std::string(error.what()) ==
                  "jobs.batch is forbidden: User \"kq-limited\" cannot create resource \"jobs\" "
                  "in API group \"batch\" in the namespace \"default\"");
            CHECK(error.forbidden());
        }
        nlohmann::json invalid = job;
        invalid["metadata"]["name"] = "Not_Valid";
        CHECK(message_of([&] { admin->create(jobs, invalid); })
                  .starts_with(
                      "Job.batch \"Not_Valid\" is invalid: metadata.name: Invalid value: \"Not_Valid\""));

        // Deleting works, with DeleteOptions in the body.
        admin->remove(jobs + "/dup", {}, nlohmann::json{{"propagationPolicy", "Background"}});
        CHECK(message_of([&] { admin->get(jobs + "/dup"); }) == "jobs.batch \"dup\" not found");
    }

    TEST_CASE("lists come page by page with limit and continue") {
        TestNamespace ns("kq-pages");
        auto client = cluster_client("admin");
        const std::string path = "/api/v1/namespaces/" + ns.name() + "/configmaps";
        for (int i = 0; i < 25; ++i)
            client->create(path, config_map(fmt::format("cm-{:02}", i), "pages"));

        kube::ListOptions options;
        options.limit = 10;
        options.label_selector = "kq.test/set=pages";
        std::vector<size_t> pages;
        std::vector<std::string> names;
        const std::string version = client->list(path, options, [&](nlohmann::json& page) {
            pages.push_back(page["items"].size());
            for (const auto& item : page["items"])
                names.push_back(item["metadata"]["name"]);
        });
        CHECK(pages == std::vector<size_t>{10, 10, 5});
        CHECK(names.size() == 25);
        CHECK(names.front() == "cm-00");
        CHECK(names.back() == "cm-24");
        CHECK_FALSE(version.empty());
    }

    TEST_CASE("a watch delivers events in order and resumes when the server ends it") {
        TestNamespace ns("kq-watch");
        auto client = cluster_client("admin");
        const std::string path = "/api/v1/namespaces/" + ns.name() + "/configmaps";
        std::vector<std::string> seen;
        kube::WatchOptions options;
        options.label_selector = "kq.test/set=w";
        options.timeout = 1s; // the server ends each watch after a second; the client carries on
        // Changes spread over several seconds, so that they fall into different watch requests.
        const auto change = [&](int step) {
            switch (step) {
            case 0: client->create(path, config_map("a", "w")); break;
            case 1: client->create(path, config_map("b", "w")); break;
            case 2: client->patch(path + "/a", {{"data", {{"key", "changed"}}}}); break;
            case 3: client->remove(path + "/b"); break;
            case 4: client->create(path, config_map("c", "w")); break;
            }
        };
        int step = 0;
        std::function<void()> next = [&] {
            change(step++);
            if (step < 5) client->after(1300ms, next);
        };
        const uint64_t requests_before = client->stats().requests;
        client->after(200ms, next);
        const bool stopped = client->watch(
            path, options,
            [&](const kube::WatchEvent& event) {
                seen.push_back(fmt::format("{} {}", kube::to_string(event.type),
                                           event.object["metadata"]["name"].get<std::string>()));
                return seen.size() < 5;
            },
            ClientClock::now() + 30s);
        CHECK(stopped);
        CHECK(seen == std::vector<std::string>{"ADDED a", "ADDED b", "MODIFIED a", "DELETED b", "ADDED c"});
        // Every change after the first came in another watch request, resumed from the last resourceVersion.
        CHECK(client->stats().requests - requests_before >= 9);
    }

    TEST_CASE("a watch from a resourceVersion the server no longer has relists and carries on") {
        // Events are not in the API server's watch cache, so a watch of them from a resourceVersion that etcd
        // has compacted away gets the real 410 Gone (an ERROR event with a Status of reason Expired).
        TestNamespace ns("kq-relist");
        auto client = cluster_client("admin");
        const std::string path = "/api/v1/namespaces/" + ns.name() + "/events";
        const auto event = [&](const std::string& name) {
            return nlohmann::json{
                {"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", name}, {"labels", {{"kq.test/set", "r"}}}}},
                {"involvedObject", {{"kind", "ConfigMap"}, {"name", "x"}, {"namespace", ns.name()}}},
                {"reason", "Test"},
                {"message", name},
                {"type", "Normal"}};
        };
        client->create(path, event("before-1"));
        client->create(path, event("before-2"));
        compact_etcd();
        kube::WatchOptions options;
        options.resource_version = "1"; // compacted away
        options.label_selector = "kq.test/set=r";
        int relists = 0;
        std::vector<std::string> seen;
        client->after(1500ms, [&] { client->create(path, event("after")); });
        const bool stopped = client->watch(
            path, options,
            [&](const kube::WatchEvent& watched) {
                seen.push_back(fmt::format("{} {}", kube::to_string(watched.type),
                                           watched.object["metadata"]["name"].get<std::string>()));
                return seen.size() < 3;
            },
            ClientClock::now() + 30s, [&] { ++relists; });
        CHECK(stopped);
        CHECK(relists == 1);
        CHECK(seen == std::vector<std::string>{"ADDED before-1", "ADDED before-2", "ADDED after"});
    }

    TEST_CASE("a watch whose connection breaks resumes from the last resourceVersion, losing nothing") {
        TestNamespace ns("kq-drop");
        Tinyproxy proxy;
        kube::ClientConfig config = cluster_config("admin");
        config.proxy_url = proxy.url();
        kube::Client watcher(config);
        auto writer = cluster_client("admin");
        const std::string path = "/api/v1/namespaces/" + ns.name() + "/configmaps";
        std::vector<std::string> seen;
        kube::WatchOptions options;
        options.label_selector = "kq.test/set=d";
        watcher.after(300ms, [&] { writer->create(path, config_map("one", "d")); });
        const bool stopped = watcher.watch(
            path, options,
            [&](const kube::WatchEvent& event) {
                seen.push_back(event.object["metadata"]["name"]);
                if (seen.size() == 1) {
                    // Kill the proxy under the open watch, then write while the watch is down.
                    proxy.restart();
                    writer->create(path, config_map("two", "d"));
                    writer->create(path, config_map("three", "d"));
                }
                return seen.size() < 3;
            },
            ClientClock::now() + 30s);
        CHECK(stopped);
        CHECK(seen == std::vector<std::string>{"one", "two", "three"});
        CHECK(watcher.stats().connections >= 2);
    }

    TEST_CASE("pod logs stream as they are written") {
        TestNamespace ns("kq-logs");
        auto client = cluster_client("admin");
        client->create("/apis/batch/v1/namespaces/" + ns.name() + "/jobs", logging_job("talk", 5, "300ms"));
        const std::vector<std::string> pods = running_pods(*client, ns.name(), "talk", 1);
        REQUIRE(pods.size() == 1);
        std::string text;
        std::vector<ClientClock::time_point> arrivals;
        client->stream("/api/v1/namespaces/" + ns.name() + "/pods/" + pods[0] + "/log", {{"follow", "true"}},
                       [&](std::string_view bytes) {
                           text += bytes;
                           arrivals.push_back(ClientClock::now());
                           return true;
                       });
        CHECK(text == "line 1\nline 2\nline 3\nline 4\nline 5\n");
        // The lines came over time, not in one piece at the end.
        CHECK(arrivals.size() >= 2);
    }

    TEST_CASE("--request-timeout ends a request that takes too long") {
        TestNamespace ns("kq-timeout");
        auto client = cluster_client("admin");
        client->create("/apis/batch/v1/namespaces/" + ns.name() + "/jobs", logging_job("slow", 10, "1s"));
        const std::vector<std::string> pods = running_pods(*client, ns.name(), "slow", 1);
        kube::ClientOptions options;
        options.request_timeout = 1s;
        auto impatient = cluster_client("admin", options);
        const auto started = ClientClock::now();
        try {
            impatient->get("/api/v1/namespaces/" + ns.name() + "/pods/" + pods.at(0) + "/log",
                           {{"follow", "true"}});
            FAIL("no timeout");
        } catch (const kube::ApiError& error) {
            CHECK(std::string(error.what()) ==
                  fmt::format("the request to {} timed out after 1s (--request-timeout) "
                              "(context \"admin\" in {})",
                              cluster_server(), cluster_kubeconfig()));
            CHECK(error.unreachable());
        }
        const auto elapsed = ClientClock::now() - started;
        CHECK(elapsed >= 900ms);
        CHECK(elapsed < 5s);
    }

    TEST_CASE("a rotated token file is picked up by a running client") {
        TempDir dir;
        kube::ClientConfig config = cluster_config("limited");
        config.token.clear();
        config.token_file = dir.file("token");
        write_file(config.token_file, "not-the-token");
        kube::Client client(config);
        const std::string pods = "/api/v1/namespaces/kq-e2e/pods";
        try {
            client.get(pods);
            FAIL("accepted a wrong token");
        } catch (const kube::ApiError& error) {
            CHECK(error.unauthorized());
            CHECK(std::string(error.what()) ==
                  fmt::format("Unauthorized: the server {} did not accept the credentials of user "
                              "\"kq-limited\" (token "
                              "file {}, context \"limited\" in {}); have they expired?",
                              cluster_server(), config.token_file, cluster_kubeconfig()));
        }
        write_file(dir.file("token.new"), read_file(cluster_file("pki/limited.token")));
        std::filesystem::rename(dir.file("token.new"), config.token_file);
        CHECK(client.get(pods)["kind"] == "PodList");
    }

    TEST_CASE("an exec plugin's credentials are cached until their expiry") {
        TempDir dir;
        const std::string token = read_file(cluster_file("pki/limited.token"));
        write_file(
            dir.file("plugin"),
            "#!/bin/sh\necho run >> \"$(dirname \"$0\")/calls\"\n"
            "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
            "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}' '" +
                token.substr(0, token.find_last_not_of(" \n") + 1) +
                "' \"$(date -u -d '+2 seconds' +%Y-%m-%dT%H:%M:%SZ)\"\n",
            true);
        kube::ClientConfig config = cluster_config("limited");
        config.token.clear();
        config.exec = kube::ExecConfig{};
        config.exec->api_version = "client.authentication.k8s.io/v1beta1";
        config.exec->command = dir.file("plugin");
        config.exec->interactive_mode = "IfAvailable";
        kube::Client client(config);
        for (int i = 0; i < 5; ++i)
            client.get("/api/v1/namespaces/kq-e2e/pods");
        CHECK(client.exec_runs() == 1);
        std::this_thread::sleep_for(3500ms);
        client.get("/api/v1/namespaces/kq-e2e/pods");
        CHECK(client.exec_runs() == 2);
    }

    TEST_CASE("500 concurrent creates share one HTTP/2 connection") {
        TestNamespace ns("kq-fanout");
        auto client = cluster_client("admin");
        const std::string path = "/api/v1/namespaces/" + ns.name() + "/configmaps";
        client->get("/version"); // opens the connection, so the count below is the creates' alone

        const int count = 500;
        int done = 0;
        int failed = 0;
        const auto started = ClientClock::now();
        for (int i = 0; i < count; ++i) {
            kube::ApiRequest request;
            request.method = "POST";
            request.path = path;
            request.body = config_map(fmt::format("fan-{:03}", i), "fan");
            client->start(std::move(request), [&](kube::ApiResult&& result) {
                ++done;
                if (!result.ok()) {
                    ++failed;
                    MESSAGE(result.error->what());
                }
            });
        }
        client->run([&] { return done == count; }, ClientClock::now() + 120s);
        const double seconds = std::chrono::duration<double>(ClientClock::now() - started).count();
        CHECK(done == count);
        CHECK(failed == 0);
        CHECK(client->stats().connections == 1);
        CHECK(client->stats().http_version == 2);
        MESSAGE(fmt::format(
            "{} concurrent creates in {:.2f}s: {:.0f} requests/s over {} connection(s), at most {} in flight",
            count, seconds, count / seconds, client->stats().connections, client->stats().peak_in_flight));

        // For comparison: the same number of reads one after the other on that connection.
        const auto sequential_start = ClientClock::now();
        for (int i = 0; i < count; ++i)
            client->get(path + fmt::format("/fan-{:03}", i));
        const double sequential =
            std::chrono::duration<double>(ClientClock::now() - sequential_start).count();
        MESSAGE(fmt::format("{} sequential GETs in {:.2f}s: {:.0f} requests/s", count, sequential,
                            count / sequential));

        kube::ListOptions options;
        options.label_selector = "kq.test/set=fan";
        size_t listed = 0;
        client->list(path, options, [&](nlohmann::json& page) { listed += page["items"].size(); });
        CHECK(listed == count);
        CHECK(client->stats().connections == 1);

        // All of them in one page is big enough for the server to compress it, which the client accepts.
        std::vector<std::string> lines;
        kube::ClientOptions verbose;
        verbose.verbosity = 2;
        verbose.log = [&](const std::string& line) { lines.push_back(line); };
        auto logged = cluster_client("admin", verbose);
        options.limit = 0;
        listed = 0;
        logged->list(path, options, [&](nlohmann::json& page) { listed += page["items"].size(); });
        CHECK(listed == count);
        CHECK(std::find(lines.begin(), lines.end(), "  < content-encoding: gzip") != lines.end());
    }

    TEST_CASE("through kubectl proxy the server speaks HTTP/1.1, and an open watch holds nothing up") {
        TestNamespace ns("kq-http1");
        const int port = free_port();
        BackgroundProcess proxy({cluster_kubectl(), "--kubeconfig", cluster_kubeconfig(), "proxy",
                                 "--address", "127.0.0.1", "--port", std::to_string(port)});
        REQUIRE_MESSAGE(wait_for_port(port, 30s), proxy.output());
        kube::ClientConfig config;
        config.context = "proxied";
        config.cluster = "proxied";
        config.source = "kubectl proxy";
        config.server = fmt::format("http://127.0.0.1:{}", port);
        kube::Client client(config);
        const std::string path = "/api/v1/namespaces/" + ns.name() + "/configmaps";

        int events = 0;
        kube::WatchHandlers handlers;
        handlers.on_event = [&](const kube::WatchEvent&) {
            ++events;
            return true;
        };
        kube::WatchOptions options;
        options.label_selector = "kq.test/set=h1";
        const kube::CallId watch = client.start_watch(path, options, std::move(handlers));
        const int count = 40;
        int done = 0;
        int failed = 0;
        for (int i = 0; i < count; ++i) {
            kube::ApiRequest request;
            request.method = "POST";
            request.path = path;
            request.body = config_map(fmt::format("h1-{:02}", i), "h1");
            client.start(std::move(request), [&](kube::ApiResult&& result) {
                ++done;
                if (!result.ok()) {
                    ++failed;
                    MESSAGE(result.error->what());
                }
            });
        }
        client.run([&] { return done == count && events == count; }, ClientClock::now() + 60s);
        client.cancel(watch);
        CHECK(done == count);
        CHECK(failed == 0);
        CHECK(events == count);
        CHECK(client.stats().http_version == 1);
        CHECK(client.stats().peak_in_flight <= 16);
    }

    TEST_CASE("many log streams at once share one connection") {
        TestNamespace ns("kq-streams");
        auto client = cluster_client("admin");
        const int pods_count = 20;
        client->create("/apis/batch/v1/namespaces/" + ns.name() + "/jobs",
                       logging_job("many", 4, "500ms", pods_count));
        const std::vector<std::string> pods = running_pods(*client, ns.name(), "many", pods_count);
        REQUIRE(pods.size() == static_cast<size_t>(pods_count));
        const uint64_t connections = client->stats().connections;
        std::map<std::string, std::string> logs;
        int ended = 0;
        for (const std::string& pod : pods) {
            kube::StreamHandlers handlers;
            handlers.on_data = [&logs, pod](std::string_view bytes) {
                logs[pod] += bytes;
                return true;
            };
            handlers.on_end = [&](std::optional<kube::ApiError> error) {
                ++ended;
                if (error) MESSAGE(error->what());
            };
            client->start_stream("/api/v1/namespaces/" + ns.name() + "/pods/" + pod + "/log",
                                 {{"follow", "true"}}, std::move(handlers));
        }
        client->run([&] { return ended == pods_count; }, ClientClock::now() + 60s);
        CHECK(ended == pods_count);
        for (const std::string& pod : pods) {
            CAPTURE(pod);
            CHECK(logs[pod] == "line 1\nline 2\nline 3\nline 4\n");
        }
        CHECK(client->stats().connections == connections);
    }

} // TEST_SUITE
