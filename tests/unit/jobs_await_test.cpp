// Unit tests of jobs/await: what a wait makes of Jobs that complete, fail (with their container's exit
// code from the pods) or outlast the timeout, against a scripted API server.

#include "fake_api_server.hpp"
#include "jobs/await.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

using kq::testing::fake_config;
using kq::testing::FakeApiServer;
using kq::testing::FakeRequest;
using kq::testing::FakeResponse;
using kq::testing::json_answer;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A Job in namespace "batch": running, complete, or failed for `reason`.
json job(const std::string& name, const std::string& state,
         const std::string& reason = "BackoffLimitExceeded") {
    json object = {
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata", {{"name", name}, {"namespace", "batch"}, {"resourceVersion", "5"}}},
        {"spec",
         {{"completions", 1}, {"selector", {{"matchLabels", {{"batch.kubernetes.io/job-name", name}}}}}}},
        {"status", {{"active", 1}}}};
    if (state == "complete") {
        object["status"] = {{"succeeded", 1}, {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}};
    } else if (state == "failed") {
        object["status"] = {{"failed", 1},
                            {"conditions",
                             {{{"type", "Failed"},
                               {"status", "True"},
                               {"reason", reason},
                               {"message", "Job has reached the specified backoff limit"}}}}};
    }
    return object;
}

// A pod of a Job whose container "main" exited with `code`.
json failed_pod(const std::string& job_name, int code) {
    return {
        {"metadata",
         {{"name", job_name + "-p1"},
          {"namespace", "batch"},
          {"ownerReferences", {{{"kind", "Job"}, {"name", job_name}, {"controller", true}}}}}},
        {"spec", {{"containers", {{{"name", "main"}}}}}},
        {"status",
         {{"containerStatuses",
           {{{"name", "main"},
             {"state", {{"terminated", {{"exitCode", code}, {"finishedAt", "2026-12-04T10:00:00Z"}}}}}}}}}}};
}

// The API server of a wait: each Job's watch sends the Job's final state (or nothing, for `never`),
// and the pods list answers with `pods`.
struct WaitServer {
    std::map<std::string, json> final_state; // by Job name; absent: the watch never sends an event
    std::vector<json> pods;

    FakeResponse handle(const FakeRequest& request) const {
        if (request.path() == "/api/v1/namespaces/batch/pods")
            return json_answer(
                200, {{"kind", "PodList"}, {"metadata", {{"resourceVersion", "9"}}}, {"items", pods}});
        // More than three Jobs are followed through one list and one watch of the collection.
        if (request.path() == "/apis/batch/v1/namespaces/batch/jobs" &&
            request.target.find("watch=") == std::string::npos) {
            json items = json::array();
            for (const auto& [name, object] : final_state)
                items.push_back(object);
            return json_answer(
                200, {{"kind", "JobList"}, {"metadata", {{"resourceVersion", "9"}}}, {"items", items}});
        }
        if (request.path() == "/apis/batch/v1/namespaces/batch/jobs" &&
            request.target.find("watch=") != std::string::npos) {
            FakeResponse response;
            response.headers.emplace_back("Content-Type", "application/json");
            const std::size_t at = request.target.find("metadata.name%3D");
            const std::string name =
                at == std::string::npos
                    ? ""
                    : request.target.substr(at + 16, request.target.find('&', at) - at - 16);
            const auto found = final_state.find(name);
            if (found == final_state.end()) {
                response.chunks = {{5000ms, ""}}; // a watch that stays quiet
                return response;
            }
            response.chunks = {{10ms, json{{"type", "MODIFIED"}, {"object", found->second}}.dump() + "\n"}};
            return response;
        }
        return json_answer(
            404, {{"kind", "Status"}, {"code", 404}, {"reason", "NotFound"}, {"message", "not here"}});
    }
};

// Each Job's result as the `finished` handler told it: "NAME complete" or "NAME failed EXIT".
struct Waited {
    kq::jobs::AwaitOutcome outcome;
    std::vector<std::string> finished;
    std::vector<std::string> notes;
};

Waited wait_for(const WaitServer& script, const std::vector<json>& jobs,
                kq::jobs::AwaitOptions options = {}) {
    FakeApiServer server([&](const FakeRequest& request, int) { return script.handle(request); });
    kq::kube::ClientOptions client_options;
    client_options.retry.base_delay = 5ms;
    client_options.retry.max_delay = 10ms;
    kq::kube::Client client(fake_config(server), client_options);
    Waited waited;
    kq::jobs::AwaitHandlers handlers;
    handlers.finished = [&waited](const kq::kube::JobSummary& job, const kq::kube::JobResult& result) {
        waited.finished.push_back(
            job.name + (result.succeeded ? " complete" : " failed " + std::to_string(result.exit_code)));
    };
    handlers.note = [&waited](const std::string& note) { waited.notes.push_back(note); };
    waited.outcome = kq::jobs::await_jobs(client, "batch", jobs, options, handlers);
    return waited;
}

std::string failure_of(const kq::jobs::AwaitOutcome& outcome, int& exit_status) {
    try {
        kq::jobs::throw_if_failed(outcome);
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::job_failed);
        exit_status = error.exit_status();
        return error.what();
    }
    exit_status = 0;
    return "";
}

} // namespace

TEST_CASE("await: a Job that completes while watched ends the wait with 0") {
    WaitServer script;
    script.final_state["hello-a"] = job("hello-a", "complete");
    const Waited waited = wait_for(script, {job("hello-a", "running")});
    CHECK(waited.outcome.exit_code == 0);
    CHECK(waited.finished == std::vector<std::string>{"hello-a complete"});
    CHECK(waited.notes.empty());
    int status = -1;
    CHECK(failure_of(waited.outcome, status).empty());
    CHECK(status == 0);
}

TEST_CASE("await: a failed Job exits with its container's exit code, read from its pods") {
    WaitServer script;
    script.final_state["hello-a"] = job("hello-a", "failed");
    script.pods = {failed_pod("hello-a", 3)};
    const Waited waited = wait_for(script, {job("hello-a", "running")});
    CHECK(waited.outcome.exit_code == 3);
    CHECK(waited.finished == std::vector<std::string>{"hello-a failed 3"});
    CHECK(waited.notes.empty()); // with one Job the detail is the error
    int status = 0;
    CHECK(failure_of(waited.outcome, status) ==
          "job.batch/hello-a failed: container \"main\" of pod hello-a-p1 exited with code 3");
    CHECK(status == 3);
}

TEST_CASE("await: a Job failed by its deadline exits 121, whatever its containers did") {
    WaitServer script;
    script.pods = {failed_pod("hello-a", 137)};
    const Waited waited = wait_for(script, {job("hello-a", "failed", "DeadlineExceeded")});
    CHECK(waited.outcome.exit_code == 121);
    int status = 0;
    CHECK(failure_of(waited.outcome, status) ==
          "job.batch/hello-a failed (DeadlineExceeded: Job has reached the specified backoff limit)");
    CHECK(status == 121);
}

TEST_CASE("await: of several Jobs the first failed one's code is the exit status, each failure a note") {
    WaitServer script;
    script.final_state["b"] = job("b", "failed");
    script.final_state["c"] = job("c", "complete");
    script.pods = {failed_pod("b", 4)};
    const Waited waited = wait_for(script, {job("a", "complete"), job("b", "running"), job("c", "running"),
                                            job("d", "failed", "DeadlineExceeded")});
    CHECK(waited.finished ==
          std::vector<std::string>{"a complete", "b failed 4", "c complete", "d failed 121"});
    CHECK(waited.outcome.exit_code == 4);
    CHECK(waited.notes ==
          std::vector<std::string>{
              "job.batch/b failed: container \"main\" of pod b-p1 exited with code 4",
              "job.batch/d failed (DeadlineExceeded: Job has reached the specified backoff limit)"});
    int status = 0;
    CHECK(failure_of(waited.outcome, status) == "2 of 4 Jobs failed; the first: job.batch/b failed: "
                                                "container \"main\" of pod b-p1 exited with code 4");
    CHECK(status == 4);
}

TEST_CASE("await: a timeout of many Jobs names the first ten unfinished and counts the rest") {
    WaitServer script;
    std::vector<nlohmann::json> jobs;
    std::string named;
    for (int index = 0; index < 14; ++index) {
        const std::string name = fmt::format("j{:02}", index);
        jobs.push_back(job(name, "running"));
        // One list of the collection finds them all: the first complete, the others running on.
        script.final_state[name] = job(name, index == 0 ? "complete" : "running");
        if (index >= 1 && index <= 10)
            named += fmt::format("{}job.batch/{} (Running)", named.empty() ? "" : ", ", name);
    }
    kq::jobs::AwaitOptions options;
    options.timeout = 300ms;
    options.timeout_text = "300ms";
    try {
        (void)wait_for(script, jobs, options);
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.exit_status() == 124);
        CHECK(std::string(error.what()) == "timed out after 300ms waiting for " + named + " and 3 more Jobs");
    }
}

TEST_CASE("await: a wait that outlasts its timeout is an error with exit 124 naming what still runs") {
    WaitServer script;
    script.final_state["a"] = job("a", "complete");
    kq::jobs::AwaitOptions options;
    options.timeout = 300ms;
    options.timeout_text = "300ms";
    try {
        (void)wait_for(script, {job("a", "running"), job("b", "running"), job("c", "running")}, options);
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::timeout);
        CHECK(error.exit_status() == 124);
        CHECK(std::string(error.what()) ==
              "timed out after 300ms waiting for job.batch/b (Running), job.batch/c (Running)");
    }
}

TEST_CASE(
    "await: more than three Jobs are read through one list of the collection, results from one pods list") {
    WaitServer script;
    std::vector<json> jobs;
    for (const char* name : {"m1", "m2", "m3", "m4", "m5"}) {
        script.final_state[name] = job(name, std::string(name) == "m4" ? "failed" : "complete");
        jobs.push_back(job(name, "running"));
    }
    script.pods = {failed_pod("m4", 6), failed_pod("m2", 9)}; // m2 succeeded: its pod is not read
    const Waited waited = wait_for(script, jobs);
    CHECK(waited.finished == std::vector<std::string>{"m1 complete", "m2 complete", "m3 complete",
                                                      "m4 failed 6", "m5 complete"});
    CHECK(waited.outcome.exit_code == 6);
}

TEST_CASE("await: a followed Job missing from the collection's list was deleted: an error naming it") {
    WaitServer script;
    std::vector<json> jobs;
    for (const char* name : {"n1", "n2", "n3", "n4"}) {
        if (std::string(name) != "n3") script.final_state[name] = job(name, "complete");
        jobs.push_back(job(name, "running"));
    }
    try {
        (void)wait_for(script, jobs);
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::cluster);
        CHECK(std::string(error.what()) == "job.batch/n3 was deleted while waiting for it");
    }
}

namespace {

// A Job of the source's submission.
json submitted(const std::string& name, const std::string& state) {
    json object = job(name, state);
    object["metadata"]["labels"]["kq.dev/submission"] = "abc";
    return object;
}

// A source of two Jobs: "a" at the start, "b" once "a" has finished, each handed over still running.
class TwoJobSource : public kq::jobs::JobSource {
public:
    std::string selector() const override { return "kq.dev/submission=abc"; }
    std::vector<json> more() override {
        ++calls;
        if (!m_gave_a) {
            m_gave_a = true;
            return {submitted("a", "running")};
        }
        if (m_a_finished && !m_gave_b) {
            m_gave_b = true;
            return {submitted("b", "running")};
        }
        return {};
    }
    void changed(const kq::kube::JobSummary& summary) override {
        if (summary.name == "a" && summary.finished) m_a_finished = true;
    }
    bool ready() const override { return m_a_finished && !m_gave_b; }
    bool exhausted() const override { return m_gave_b; }
    size_t left() const override { return m_gave_b ? 0 : (m_gave_a ? 1 : 2); }
    std::string interrupted_message() const override { return "interrupted"; }

    int calls = 0;

private:
    bool m_gave_a = false;
    bool m_gave_b = false;
    bool m_a_finished = false;
};

} // namespace

TEST_CASE("await: a source's Job whose end the watch told before it was added is not waited for in vain") {
    // One watch of the collection by the source's selector; its one message tells that "b" completed
    // (before the source made b known) and then that "a" did; then it stays quiet.
    std::vector<std::string> watches;
    std::mutex lock;
    FakeApiServer server([&](const FakeRequest& request, int) {
        if (request.path() != "/apis/batch/v1/namespaces/batch/jobs")
            return json_answer(404, {{"kind", "Status"}, {"code", 404}, {"reason", "NotFound"}});
        if (request.target.find("watch=") == std::string::npos)
            return json_answer(
                200,
                {{"kind", "JobList"}, {"metadata", {{"resourceVersion", "9"}}}, {"items", json::array()}});
        {
            const std::lock_guard<std::mutex> guard(lock);
            watches.push_back(request.target);
        }
        FakeResponse response;
        response.headers.emplace_back("Content-Type", "application/json");
        response.chunks = {
            {20ms, json{{"type", "MODIFIED"}, {"object", submitted("b", "complete")}}.dump() + "\n" +
                       json{{"type", "MODIFIED"}, {"object", submitted("a", "complete")}}.dump() + "\n"},
            {5000ms, ""}};
        return response;
    });
    kq::kube::Client client(fake_config(server));
    TwoJobSource source;
    kq::jobs::AwaitOptions options;
    options.timeout = 3s;
    const kq::jobs::AwaitOutcome outcome = kq::jobs::await_jobs(client, "batch", {}, options, {}, &source);
    CHECK(outcome.exit_code == 0);
    REQUIRE(outcome.jobs.size() == 2);
    CHECK(outcome.jobs[0].name == "a");
    CHECK(outcome.jobs[1].name == "b");
    CHECK(outcome.results[1].succeeded);
    const std::lock_guard<std::mutex> guard(lock);
    REQUIRE(watches.size() == 1);
    CHECK(watches.front().find("labelSelector=kq.dev%2Fsubmission%3Dabc") != std::string::npos);
}
