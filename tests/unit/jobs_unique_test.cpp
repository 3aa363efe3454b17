#include "fake_api_server.hpp"
#include "jobs/unique.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

using kq::jobs::UniqueDecision;
using nlohmann::json;

namespace {

// A Job of definition "nightly" created at 10:00:SS, suspended as a claim or running, or finished.
json job(const std::string& name, int second, const std::string& kind) {
    json object = {{"metadata",
                    {{"name", name},
                     {"namespace", "batch"},
                     {"creationTimestamp",
                      "2026-12-04T10:" + std::string(second < 600 ? "0" : "") + std::to_string(second / 60) +
                          ":" + (second % 60 < 10 ? "0" : "") + std::to_string(second % 60) + "Z"},
                     {"labels", {{"kq.dev/definition", "nightly"}}}}},
                   {"spec", json::object()},
                   {"status", json::object()}};
    if (kind == "claim") kq::jobs::make_claim(object);
    if (kind == "suspended") object["spec"]["suspend"] = true; // suspended by a user: not a claim
    if (kind == "running") object["status"] = {{"active", 1}};
    if (kind == "done") object["status"] = {{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}};
    return object;
}

UniqueDecision decide(const json& ours, const std::vector<json>& others) {
    std::vector<kq::jobs::UniqueRival> rivals;
    rivals.push_back(kq::jobs::unique_rival(ours));
    for (const json& other : others)
        rivals.push_back(kq::jobs::unique_rival(other));
    return kq::jobs::decide_unique(kq::kube::summarize_job(ours), rivals);
}

} // namespace

TEST_CASE("a claim is a suspended Job with the claim annotation, and only that") {
    json manifest = job("nightly-a", 0, "");
    CHECK_FALSE(kq::jobs::is_pending_claim(manifest));
    kq::jobs::make_claim(manifest);
    CHECK(manifest["spec"]["suspend"] == true);
    CHECK(manifest["metadata"]["annotations"]["kq.dev/unique-claim"] == "pending");
    CHECK(kq::jobs::is_pending_claim(manifest));
    manifest["spec"]["suspend"] = false; // resumed, annotation not yet gone: no longer a claim
    CHECK_FALSE(kq::jobs::is_pending_claim(manifest));
    CHECK_FALSE(kq::jobs::is_pending_claim(job("nightly-b", 0, "suspended")));
    CHECK_FALSE(kq::jobs::is_pending_claim(json::array()));
}

TEST_CASE("a claim alone, or beside finished Jobs, wins") {
    CHECK(decide(job("nightly-b", 5, "claim"), {}).verdict == UniqueDecision::Verdict::win);
    CHECK(decide(job("nightly-b", 5, "claim"), {job("nightly-a", 1, "done")}).verdict ==
          UniqueDecision::Verdict::win);
}

TEST_CASE("an unfinished Job that is not a claim beats every claim") {
    const UniqueDecision running = decide(job("nightly-b", 5, "claim"), {job("nightly-z", 9, "running")});
    CHECK(running.verdict == UniqueDecision::Verdict::lose_active);
    CHECK(running.rival.name == "nightly-z");
    // A Job suspended by its user is unfinished too, as --unique always counted it.
    CHECK(decide(job("nightly-b", 5, "claim"), {job("nightly-a", 1, "suspended")}).verdict ==
          UniqueDecision::Verdict::lose_active);
}

TEST_CASE("a claim that sees other claims stands back, naming the oldest") {
    const UniqueDecision decision =
        decide(job("nightly-b", 5, "claim"), {job("nightly-c", 4, "claim"), job("nightly-a", 4, "claim")});
    CHECK(decision.verdict == UniqueDecision::Verdict::contend);
    CHECK(decision.rival.name == "nightly-a");
    // A running Job beats that: the claim has lost for good.
    CHECK(decide(job("nightly-b", 5, "claim"), {job("nightly-a", 4, "claim"), job("nightly-z", 9, "running")})
              .verdict == UniqueDecision::Verdict::lose_active);
}

TEST_CASE("of claims listed one after another, at most one finds itself alone") {
    // Each claim's list holds every claim created before it (a quorum read): claim i sees claims 0..k
    // for some k >= i. Whatever the interleaving, only a claim that sees no other wins.
    std::vector<json> claims;
    for (int index = 0; index < 8; ++index)
        claims.push_back(job("nightly-" + std::string(1, static_cast<char>('h' - index)), 7, "claim"));
    for (std::size_t seen_up_to = 0; seen_up_to < claims.size(); ++seen_up_to) {
        int winners = 0;
        for (std::size_t index = 0; index <= seen_up_to; ++index) {
            const std::vector<json> visible(claims.begin(),
                                            claims.begin() +
                                                static_cast<std::ptrdiff_t>(std::max(index, seen_up_to) + 1));
            if (decide(claims[index], visible).verdict == UniqueDecision::Verdict::win) ++winners;
        }
        CHECK(winners == (seen_up_to == 0 ? 1 : 0));
    }
}

TEST_CASE("a claim left by a kq that died is stale after a minute: it no longer competes and is deleted") {
    const UniqueDecision decision = decide(job("nightly-b", 300, "claim"), {job("nightly-a", 100, "claim")});
    CHECK(decision.verdict == UniqueDecision::Verdict::win);
    REQUIRE(decision.stale.size() == 1);
    CHECK(decision.stale.front() == "nightly-a");
    // Within the minute it still competes.
    CHECK(decide(job("nightly-b", 150, "claim"), {job("nightly-a", 100, "claim")}).verdict ==
          UniqueDecision::Verdict::contend);
}

// submit_unique against a scripted server: the requests it sends on each path, in order.
namespace {

using kq::testing::fake_config;
using kq::testing::FakeApiServer;
using kq::testing::FakeRequest;
using kq::testing::FakeResponse;
using kq::testing::json_answer;

// The server's side of the story: what the list shows each time, and the log of requests.
struct ClaimServer {
    std::vector<std::vector<json>> lists; // the rivals each list returns, besides the claim itself
    std::vector<std::string> log;         // "METHOD NAME-or-path" per request
    std::mutex mutex;
    int created = 0;
    int listed = 0;

    FakeResponse handle(const FakeRequest& request) {
        const std::lock_guard<std::mutex> lock(mutex);
        const std::string path = request.path();
        const std::string collection = "/apis/batch/v1/namespaces/batch/jobs";
        if (request.method == "POST" && path == collection) {
            json claim = json::parse(request.body);
            claim["metadata"]["name"] = "nightly-" + std::to_string(++created);
            claim["metadata"]["creationTimestamp"] = "2026-12-04T10:00:07Z";
            claim["metadata"]["namespace"] = "batch";
            log.push_back("POST " + claim["metadata"]["name"].get<std::string>());
            return json_answer(201, claim);
        }
        if (request.method == "GET" && path == collection) {
            log.push_back("LIST");
            CHECK(request.target.find(
                      "labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkq%2Ckq.dev%2Fdefinition%3Dnightly") !=
                  std::string::npos);
            const std::size_t index = static_cast<std::size_t>(listed++);
            if (index >= lists.size())
                return json_answer(500, {{"kind", "Status"}, {"code", 500}, {"message", "boom"}});
            json items = lists[index];
            json own = job("nightly-" + std::to_string(created), 7, "claim");
            items.push_back(own);
            return json_answer(
                200, {{"kind", "JobList"}, {"metadata", {{"resourceVersion", "9"}}}, {"items", items}});
        }
        const std::string name = path.substr(path.rfind('/') + 1);
        log.push_back(request.method + " " + name);
        if (request.method == "PATCH") {
            json resumed = job(name, 7, "running");
            CHECK(json::parse(request.body) ==
                  json{{"metadata", {{"annotations", {{"kq.dev/unique-claim", nullptr}}}}},
                       {"spec", {{"suspend", false}}}});
            return json_answer(200, resumed);
        }
        return json_answer(200, {{"kind", "Status"}, {"status", "Success"}});
    }
};

json claim_manifest() {
    json manifest = job("", 0, "");
    manifest["metadata"].erase("name");
    manifest["metadata"]["generateName"] = "nightly-";
    kq::jobs::make_claim(manifest);
    return manifest;
}

json run_unique(ClaimServer& script,
                kq::jobs::UniqueRetry retry = {std::chrono::milliseconds(10), std::chrono::milliseconds(20),
                                               std::chrono::milliseconds(2000)}) {
    FakeApiServer server([&](const FakeRequest& request, int) { return script.handle(request); });
    kq::kube::ClientOptions options;
    options.retry.base_delay = std::chrono::milliseconds(5);
    options.retry.max_delay = std::chrono::milliseconds(10);
    options.retry.max_attempts = 2;
    kq::kube::Client client(fake_config(server), options);
    return kq::jobs::submit_unique(
        client, "batch", "nightly",
        [&] { return client.create("/apis/batch/v1/namespaces/batch/jobs", claim_manifest()); }, retry);
}

} // namespace

TEST_CASE("submit_unique: alone, the claim is resumed") {
    ClaimServer script;
    script.lists = {{job("nightly-old", 1, "done")}};
    const json resumed = run_unique(script);
    CHECK(resumed["metadata"]["name"] == "nightly-1");
    CHECK(script.log == std::vector<std::string>{"POST nightly-1", "LIST", "PATCH nightly-1"});
}

TEST_CASE("submit_unique: contended, the claim is deleted and a new one tried after a pause") {
    ClaimServer script;
    script.lists = {{job("nightly-rival", 7, "claim")}, {job("nightly-rival", 7, "claim")}, {}};
    const json resumed = run_unique(script);
    CHECK(resumed["metadata"]["name"] == "nightly-3");
    CHECK(script.log == std::vector<std::string>{"POST nightly-1", "LIST", "DELETE nightly-1",
                                                 "POST nightly-2", "LIST", "DELETE nightly-2",
                                                 "POST nightly-3", "LIST", "PATCH nightly-3"});
}

TEST_CASE("submit_unique: an active Job refuses with exit 122 after deleting the claim") {
    ClaimServer script;
    script.lists = {{job("nightly-z", 2, "running"), job("nightly-rival", 7, "claim")}};
    try {
        (void)run_unique(script);
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.exit_status() == 122);
        const std::string message = error.what();
        CHECK(message.rfind(
                  "--unique: definition \"nightly\" already has an active Job in namespace \"batch\": "
                  "job.batch/nightly-z (Running, created ",
                  0) == 0);
        CHECK(message.ends_with("; wait for it ('kq wait nightly-z') or delete it ('kq delete nightly-z')"));
    }
    CHECK(script.log == std::vector<std::string>{"POST nightly-1", "LIST", "DELETE nightly-1"});
}

TEST_CASE("submit_unique: a failed list deletes the claim, and the list's error is the one reported") {
    ClaimServer script; // no lists scripted: each answers 500
    CHECK_THROWS_WITH_AS(run_unique(script), doctest::Contains("boom"), kq::Error);
    REQUIRE(script.log.size() >= 3);
    CHECK(script.log.front() == "POST nightly-1");
    CHECK(script.log.back() == "DELETE nightly-1");
}

TEST_CASE("submit_unique: contenders that never go away give up with exit 122 when patience runs out") {
    ClaimServer script;
    for (int index = 0; index < 1000; ++index)
        script.lists.push_back({job("nightly-rival", 7, "claim")});
    try {
        (void)run_unique(script, {std::chrono::milliseconds(10), std::chrono::milliseconds(20),
                                  std::chrono::milliseconds(200)});
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.exit_status() == 122);
        CHECK(std::string(error.what()).find("kept competing for 0s (") != std::string::npos);
    }
    CHECK(script.log.back().rfind("DELETE nightly-", 0) == 0);
}
