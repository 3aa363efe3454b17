// kq apply, kq trigger and kq suspend --schedule against a scripted server: the error paths a real API
// server can't be made to take on demand (an answer lost after the request arrived, a 500 in the middle
// of a prune). What they do against the real control plane is in tests/e2e/schedules_test.cpp.

#include "fake_api_server.hpp"
#include "jobs/schedules.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace {

using kq::testing::fake_config;
using kq::testing::FakeApiServer;
using kq::testing::FakeRequest;
using kq::testing::FakeResponse;
using kq::testing::json_answer;
using sched_json = nlohmann::json;

constexpr const char* k_cronjob_path = "/apis/batch/v1/namespaces/batch/cronjobs/nightly";

kq::kube::ClientOptions quick_retries() {
    kq::kube::ClientOptions options;
    options.retry.base_delay = std::chrono::milliseconds(5);
    options.retry.max_delay = std::chrono::milliseconds(10);
    options.retry.max_attempts = 3;
    return options;
}

sched_json cronjob_manifest() {
    return {{"apiVersion", "batch/v1"},
            {"kind", "CronJob"},
            {"metadata", {{"name", "nightly"}, {"namespace", "batch"}}},
            {"spec", {{"schedule", "@daily"}}}};
}

sched_json not_found(const std::string& name) {
    return {{"kind", "Status"},
            {"code", 404},
            {"reason", "NotFound"},
            {"message", "cronjobs.batch \"" + name + "\" not found"},
            {"details", {{"name", name}, {"group", "batch"}, {"kind", "cronjobs"}}}};
}

// Records "METHOD path" of each request, under a lock (the server answers on its own threads).
struct RequestLog {
    std::mutex mutex;
    std::vector<std::string> lines;
    void add(const FakeRequest& request) {
        const std::lock_guard<std::mutex> lock(mutex);
        lines.push_back(request.method + " " + request.path());
    }
};

} // namespace

TEST_CASE("apply: an answer lost after the PATCH arrived is asked for again (applying twice is once)") {
    RequestLog log;
    int patches = 0;
    FakeApiServer server([&](const FakeRequest& request, int) {
        log.add(request);
        if (request.method == "GET") return json_answer(404, not_found("nightly"));
        CHECK(request.headers.at("content-type") == "application/apply-patch+yaml");
        CHECK(request.target.find("fieldManager=kq") != std::string::npos);
        if (++patches == 1) {
            FakeResponse dropped;
            dropped.drop = true; // read, then the connection closes without an answer
            return dropped;
        }
        sched_json applied = cronjob_manifest();
        applied["metadata"]["resourceVersion"] = "5";
        return json_answer(201, applied);
    });
    kq::kube::Client client(fake_config(server), quick_retries());
    const kq::jobs::AppliedCronJob applied =
        kq::jobs::apply_cronjob(client, cronjob_manifest(), kq::jobs::ScheduleDryRun::none);
    CHECK(applied.action == kq::jobs::ApplyAction::created);
    CHECK(log.lines == std::vector<std::string>{"GET " + std::string(k_cronjob_path),
                                                "PATCH " + std::string(k_cronjob_path),
                                                "PATCH " + std::string(k_cronjob_path)});
}

TEST_CASE("apply: a server error is the command's one-line error, exit 123") {
    FakeApiServer server([&](const FakeRequest& request, int) {
        if (request.method == "GET") return json_answer(404, not_found("nightly"));
        return json_answer(422,
                           {{"kind", "Status"},
                            {"code", 422},
                            {"reason", "Invalid"},
                            {"message", "CronJob.batch \"nightly\" is invalid: spec.schedule: Invalid value: "
                                        "\"@daily\": boom"}});
    });
    kq::kube::Client client(fake_config(server), quick_retries());
    try {
        (void)kq::jobs::apply_cronjob(client, cronjob_manifest(), kq::jobs::ScheduleDryRun::none);
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.exit_status() == 123);
        const std::string message = error.what();
        CHECK(message.find("CronJob.batch \"nightly\" is invalid: spec.schedule") != std::string::npos);
        CHECK(message.find('\n') == std::string::npos);
    }
}

TEST_CASE("prune: a CronJob deleted meanwhile is pruned all the same; a refused delete stops the prune") {
    RequestLog log;
    FakeApiServer server([&](const FakeRequest& request, int) {
        log.add(request);
        if (request.method == "GET") {
            CHECK(request.target.find(
                      "labelSelector=app.kubernetes.io%2Fmanaged-by%3Dkq%2Ckq.dev%2Fproject%3Dapp") !=
                  std::string::npos);
            return json_answer(200, {{"kind", "CronJobList"},
                                     {"metadata", {{"resourceVersion", "3"}}},
                                     {"items",
                                      {{{"metadata", {{"name", "gone"}}}},
                                       {{"metadata", {{"name", "kept"}}}},
                                       {{"metadata", {{"name", "locked"}}}}}}});
        }
        if (request.path().ends_with("/gone")) return json_answer(404, not_found("gone"));
        return json_answer(403,
                           {{"kind", "Status"},
                            {"code", 403},
                            {"reason", "Forbidden"},
                            {"message", "cronjobs.batch \"locked\" is forbidden: User \"ci\" cannot delete "
                                        "resource \"cronjobs\" in API group \"batch\" in the namespace "
                                        "\"batch\""}});
    });
    kq::kube::Client client(fake_config(server), quick_retries());
    std::vector<std::string> pruned;
    const auto done = [&](const kq::jobs::AppliedCronJob& applied) { pruned.push_back(applied.name); };
    CHECK_THROWS_WITH_AS(
        kq::jobs::prune_cronjobs(client, {"batch"}, "app", {"kept"}, kq::jobs::ScheduleDryRun::none, done),
        doctest::Contains("cannot delete resource \"cronjobs\""), kq::Error);
    CHECK(pruned == std::vector<std::string>{"gone"});
    CHECK(log.lines == std::vector<std::string>{"GET /apis/batch/v1/namespaces/batch/cronjobs",
                                                "DELETE /apis/batch/v1/namespaces/batch/cronjobs/gone",
                                                "DELETE /apis/batch/v1/namespaces/batch/cronjobs/locked"});
}

TEST_CASE("trigger: a keyed create whose answer was lost is sent again, and the 409 adopted as its own") {
    sched_json manifest = {
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata",
         {{"namespace", "batch"},
          {"labels", {{"kq.dev/spec-hash", "abc"}}},
          {"ownerReferences", {{{"kind", "CronJob"}, {"name", "nightly"}, {"uid", "u-1"}}}}}},
        {"spec", sched_json::object()}};
    kq::jobs::key_triggered_job(manifest, "batch", "nightly", "ci-7");
    const std::string name = manifest["metadata"]["name"].get<std::string>();
    CHECK(name.rfind("nightly-", 0) == 0);
    CHECK(manifest["metadata"]["annotations"]["kq.dev/idempotency-key"] == "ci-7");

    RequestLog log;
    int posts = 0;
    sched_json stored;
    FakeApiServer server([&](const FakeRequest& request, int) {
        log.add(request);
        if (request.method == "POST") {
            if (++posts == 1) {
                stored = sched_json::parse(request.body); // the server made it; the answer is lost
                stored["metadata"]["uid"] = "job-1";
                FakeResponse dropped;
                dropped.drop = true;
                return dropped;
            }
            return json_answer(409, {{"kind", "Status"},
                                     {"code", 409},
                                     {"reason", "AlreadyExists"},
                                     {"message", "jobs.batch \"" + name + "\" already exists"},
                                     {"details", {{"name", name}, {"kind", "jobs"}}}});
        }
        return json_answer(200, stored);
    });
    kq::kube::Client client(fake_config(server), quick_retries());
    const kq::jobs::Triggered triggered = kq::jobs::create_triggered(client, "batch", manifest, "ci-7", "");
    CHECK(triggered.adopted);
    CHECK(triggered.job["metadata"]["uid"] == "job-1");
    CHECK(log.lines == std::vector<std::string>{"POST /apis/batch/v1/namespaces/batch/jobs",
                                                "POST /apis/batch/v1/namespaces/batch/jobs",
                                                "GET /apis/batch/v1/namespaces/batch/jobs/" + name});
}

TEST_CASE("trigger: without a key a lost answer is not sent again (a second create would be a second Job)") {
    int posts = 0;
    FakeApiServer server([&](const FakeRequest&, int) {
        ++posts;
        FakeResponse dropped;
        dropped.drop = true;
        return dropped;
    });
    kq::kube::Client client(fake_config(server), quick_retries());
    const sched_json manifest = {{"apiVersion", "batch/v1"},
                                 {"kind", "Job"},
                                 {"metadata", {{"generateName", "nightly-manual-"}, {"namespace", "batch"}}},
                                 {"spec", sched_json::object()}};
    CHECK_THROWS_AS(kq::jobs::create_triggered(client, "batch", manifest, "", ""), kq::Error);
    CHECK(posts == 1);
}

TEST_CASE("suspend --schedule: a lost answer to the PATCH is asked for again") {
    int patches = 0;
    FakeApiServer server([&](const FakeRequest& request, int) {
        sched_json cronjob = cronjob_manifest();
        cronjob["spec"]["suspend"] = false;
        if (request.method == "GET") return json_answer(200, cronjob);
        CHECK(sched_json::parse(request.body) == sched_json{{"spec", {{"suspend", true}}}});
        if (++patches == 1) {
            FakeResponse dropped;
            dropped.drop = true;
            return dropped;
        }
        cronjob["spec"]["suspend"] = true;
        return json_answer(200, cronjob);
    });
    kq::kube::Client client(fake_config(server), quick_retries());
    CHECK(kq::jobs::set_cronjob_suspended(client, "batch", "nightly", true, kq::jobs::ScheduleDryRun::none));
    CHECK(patches == 2);
}
