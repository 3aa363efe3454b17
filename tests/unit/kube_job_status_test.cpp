#include "kube/job_status.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using nlohmann::json;

namespace {

json job_with(const json& status, const json& spec = json::object()) {
    json job = {{"metadata",
                 {{"name", "hello-x7k2p"},
                  {"namespace", "batch"},
                  {"creationTimestamp", "2026-11-27T10:00:00Z"},
                  {"labels", {{"app.kubernetes.io/name", "hello"}}}}},
                {"spec", spec},
                {"status", status}};
    return job;
}

json failed_pod(const std::string& name, int code, const std::string& finished,
                const std::string& container = "main") {
    return {{"metadata", {{"name", name}}},
            {"spec", {{"containers", {{{"name", "sidecar"}}, {{"name", container}}}}}},
            {"status",
             {{"phase", "Failed"},
              {"containerStatuses",
               {{{"name", "sidecar"}, {"state", {{"terminated", {{"exitCode", 0}}}}}},
                {{"name", container},
                 {"state", {{"terminated", {{"exitCode", code}, {"finishedAt", finished}}}}}}}}}}};
}

} // namespace

TEST_CASE("summarize_job reads a running Job") {
    auto job = kq::kube::summarize_job(job_with({{"active", 1}, {"startTime", "2026-11-27T10:00:01Z"}},
                                                {{"completions", 3}, {"parallelism", 2}}));
    CHECK(job.name == "hello-x7k2p");
    CHECK(job.namespace_name == "batch");
    CHECK(job.definition == "hello");
    CHECK(job.status == "Running");
    CHECK_FALSE(job.finished);
    CHECK(kq::kube::completions_text(job) == "0/3");
    auto now = *kq::parse_rfc3339("2026-11-27T10:02:31Z");
    CHECK(kq::kube::job_duration(job, now)->count() == 150);
}

TEST_CASE("summarize_job reads the finishing conditions") {
    json complete = job_with({{"succeeded", 1},
                              {"startTime", "2026-11-27T10:00:01Z"},
                              {"completionTime", "2026-11-27T10:00:11Z"},
                              {"conditions",
                               {{{"type", "SuccessCriteriaMet"}, {"status", "True"}},
                                {{"type", "Complete"}, {"status", "True"}}}}});
    auto done = kq::kube::summarize_job(complete);
    CHECK(done.status == "Complete");
    CHECK(done.finished);
    CHECK(done.succeeded);
    CHECK(kq::kube::completions_text(done) == "1/1");
    CHECK(kq::kube::job_duration(done, kq::now_seconds())->count() == 10);

    json failed = job_with({{"failed", 1},
                            {"conditions",
                             {{{"type", "FailureTarget"}, {"status", "True"}},
                              {{"type", "Failed"},
                               {"status", "True"},
                               {"reason", "BackoffLimitExceeded"},
                               {"message", "Job has reached the specified backoff limit"},
                               {"lastTransitionTime", "2026-11-27T10:00:20Z"}}}}});
    auto bad = kq::kube::summarize_job(failed);
    CHECK(bad.status == "Failed");
    CHECK(bad.finished);
    CHECK_FALSE(bad.succeeded);
    CHECK(bad.reason == "BackoffLimitExceeded");
    REQUIRE(bad.completed);
    CHECK(kq::format_rfc3339(*bad.completed) == "2026-11-27T10:00:20Z");

    // FailureTarget alone is not the end: the controller still has pods to finish.
    auto pending_failure = kq::kube::summarize_job(
        job_with({{"active", 1}, {"conditions", {{{"type", "FailureTarget"}, {"status", "True"}}}}}));
    CHECK_FALSE(pending_failure.finished);
    CHECK(pending_failure.status == "Running");

    auto fresh = kq::kube::summarize_job(job_with(json::object()));
    CHECK(fresh.status == "Pending");
    auto suspended = kq::kube::summarize_job(job_with(json::object(), {{"suspend", true}}));
    CHECK(suspended.status == "Suspended");
    auto queue = kq::kube::summarize_job(job_with({{"succeeded", 2}}, {{"parallelism", 4}}));
    CHECK(kq::kube::completions_text(queue) == "2/1 of 4");
}

TEST_CASE("summarize_job reads the definition from kq's own label first") {
    json job = job_with(json::object());
    job["metadata"]["labels"]["kq.dev/definition"] = "greet";
    CHECK(kq::kube::summarize_job(job).definition == "greet");
}

TEST_CASE("summarize_job tolerates malformed objects") {
    for (const json& odd : {json::object(), json::array(), json(nullptr), json{{"status", 5}},
                            json{{"status", {{"conditions", "x"}}}}, json{{"metadata", {{"name", 7}}}}}) {
        CAPTURE(odd.dump());
        auto job = kq::kube::summarize_job(odd);
        CHECK_FALSE(job.finished);
    }
}

TEST_CASE("job_result uses the last failed pod's first non-zero container") {
    json failed = job_with(
        {{"conditions", {{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"}}}}});
    auto job = kq::kube::summarize_job(failed);
    std::vector<json> pods = {failed_pod("hello-x7k2p-aaaaa", 3, "2026-11-27T10:00:05Z"),
                              failed_pod("hello-x7k2p-bbbbb", 7, "2026-11-27T10:00:09Z")};
    auto result = kq::kube::job_result(job, pods);
    CHECK_FALSE(result.succeeded);
    CHECK(result.exit_code == 7);
    CHECK(result.pod == "hello-x7k2p-bbbbb");
    CHECK(result.container == "main");
    CHECK(result.detail ==
          "job.batch/hello-x7k2p failed: container \"main\" of pod hello-x7k2p-bbbbb exited with code 7");
}

TEST_CASE("job_result keeps kq's own code when no container explains the failure") {
    json deadline = job_with({{"conditions",
                               {{{"type", "Failed"},
                                 {"status", "True"},
                                 {"reason", "DeadlineExceeded"},
                                 {"message", "Job was active longer than specified deadline"}}}}});
    auto result = kq::kube::job_result(kq::kube::summarize_job(deadline),
                                       {failed_pod("p", 137, "2026-11-27T10:00:09Z")});
    CHECK(result.exit_code == kq::k_exit_job_failed);
    CHECK(result.reason == "DeadlineExceeded");
    CHECK(result.detail ==
          "job.batch/hello-x7k2p failed (DeadlineExceeded: Job was active longer than specified deadline)");

    json evicted = job_with(
        {{"conditions", {{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"}}}}});
    auto no_pods = kq::kube::job_result(kq::kube::summarize_job(evicted), {});
    CHECK(no_pods.exit_code == kq::k_exit_job_failed);

    json complete = job_with({{"conditions", {{{"type", "Complete"}, {"status", "True"}}}}});
    auto ok = kq::kube::job_result(kq::kube::summarize_job(complete), {});
    CHECK(ok.succeeded);
    CHECK(ok.exit_code == 0);
}

TEST_CASE("job_result: a FailJob rule on an exit code gives that code; one on a pod condition gives 121") {
    json fail_job = job_with(
        {{"conditions",
          {{{"type", "Failed"},
            {"status", "True"},
            {"reason", "PodFailurePolicy"},
            {"message", "Container worker for pod batch/hello-x7k2p-aaaaa failed with exit code 42 matching "
                        "FailJob rule at index 0"}}}}});
    // The pods may be gone (or show another code): the condition's message decides.
    auto result = kq::kube::job_result(kq::kube::summarize_job(fail_job), {});
    CHECK(result.exit_code == 42);
    CHECK(result.reason == "PodFailurePolicy");
    CHECK(result.pod == "hello-x7k2p-aaaaa");
    CHECK(result.container == "worker");
    CHECK(result.detail ==
          "job.batch/hello-x7k2p failed: container \"worker\" of pod hello-x7k2p-aaaaa exited "
          "with code 42, which a FailJob rule of its podFailurePolicy matches");

    json on_condition = job_with(
        {{"conditions",
          {{{"type", "Failed"},
            {"status", "True"},
            {"reason", "PodFailurePolicy"},
            {"message", "Pod batch/hello-x7k2p-aaaaa has condition DisruptionTarget matching FailJob rule at "
                        "index 1"}}}}});
    auto condition_result =
        kq::kube::job_result(kq::kube::summarize_job(on_condition),
                             {failed_pod("hello-x7k2p-aaaaa", 137, "2026-11-27T10:00:09Z")});
    CHECK(condition_result.exit_code == kq::k_exit_job_failed);
    CHECK(condition_result.detail ==
          "job.batch/hello-x7k2p failed (PodFailurePolicy: Pod batch/hello-x7k2p-aaaaa "
          "has condition DisruptionTarget matching FailJob rule at index 1)");
}

TEST_CASE("job_result: a failed init container keeps kq's code and names the container; a sidecar does not") {
    json failed = job_with(
        {{"conditions", {{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"}}}}});
    json pod = {
        {"metadata", {{"name", "hello-x7k2p-ccccc"}}},
        {"spec",
         {{"initContainers", {{{"name", "proxy"}, {"restartPolicy", "Always"}}, {{"name", "setup"}}}},
          {"containers", {{{"name", "main"}}}}}},
        {"status",
         {{"phase", "Failed"},
          {"initContainerStatuses",
           {{{"name", "proxy"}, {"state", {{"terminated", {{"exitCode", 2}}}}}},
            {{"name", "setup"}, {"state", {{"terminated", {{"exitCode", 4}, {"reason", "Error"}}}}}}}},
          {"containerStatuses",
           {{{"name", "main"}, {"state", {{"waiting", {{"reason", "PodInitializing"}}}}}}}}}}};
    auto result = kq::kube::job_result(kq::kube::summarize_job(failed), {pod});
    CHECK(result.exit_code == kq::k_exit_job_failed);
    CHECK(result.container == "setup");
    CHECK(result.pod == "hello-x7k2p-ccccc");
    CHECK(result.detail == "job.batch/hello-x7k2p failed: init container \"setup\" of pod hello-x7k2p-ccccc "
                           "exited with code 4, so its containers never ran");

    // Only the sidecar ended non-zero: nothing names a container.
    pod["status"]["initContainerStatuses"][1]["state"]["terminated"]["exitCode"] = 0;
    result = kq::kube::job_result(kq::kube::summarize_job(failed), {pod});
    CHECK(result.exit_code == kq::k_exit_job_failed);
    CHECK(result.container.empty());
    CHECK(result.detail == "job.batch/hello-x7k2p failed (BackoffLimitExceeded)");
}
