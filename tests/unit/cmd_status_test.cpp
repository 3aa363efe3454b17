// Unit tests of `kq status`'s pieces: reading pods and events, and the text and JSON it prints.

#include "cmd/support/job_views.hpp"
#include "kube/job_queries.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using nlohmann::json;

namespace {

const kq::TimePoint k_status_now = *kq::parse_rfc3339("2026-11-27T12:00:00Z");

json oom_pod() {
    return {
        {"metadata",
         {{"name", "train-x-abcde"}, {"uid", "p1"}, {"creationTimestamp", "2026-11-27T11:59:00Z"}}},
        {"spec",
         {{"nodeName", "kq-node"},
          {"initContainers", {{{"name", "fetch"}}}},
          {"containers", {{{"name", "main"}}, {{"name", "side"}}}}}},
        {"status",
         {{"phase", "Failed"},
          {"initContainerStatuses",
           {{{"name", "fetch"}, {"state", {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}}}}}},
          {"containerStatuses",
           {{{"name", "side"},
             {"restartCount", 1},
             {"state", {{"running", json::object()}}},
             {"lastState", {{"terminated", {{"exitCode", 2}, {"reason", "Error"}}}}}},
            {{"name", "main"},
             {"state", {{"terminated", {{"exitCode", 137}, {"reason", "OOMKilled"}}}}}}}}}}};
}

json event(const std::string& kind, const std::string& name, const std::string& reason,
           const std::string& last, const std::string& type = "Normal") {
    return {{"type", type},
            {"reason", reason},
            {"message", reason + " happened"},
            {"involvedObject", {{"kind", kind}, {"name", name}}},
            {"firstTimestamp", last},
            {"lastTimestamp", last}};
}

kq::kube::JobReport failed_report() {
    const json job = {{"metadata",
                       {{"name", "train-x"},
                        {"namespace", "ml"},
                        {"creationTimestamp", "2026-11-27T11:58:59Z"},
                        {"labels", {{"kq.dev/definition", "train"}}}}},
                      {"status",
                       {{"failed", 1},
                        {"startTime", "2026-11-27T11:59:00Z"},
                        {"conditions",
                         {{{"type", "Failed"},
                           {"status", "True"},
                           {"reason", "BackoffLimitExceeded"},
                           {"message", "Job has reached the specified backoff limit"},
                           {"lastTransitionTime", "2026-11-27T11:59:30Z"}}}}}}};
    kq::kube::JobReport report;
    report.summary = kq::kube::summarize_job(job);
    report.definition = kq::kube::job_definition(job);
    report.conditions = kq::kube::job_conditions(job);
    report.pods = {kq::kube::summarize_pod(oom_pod())};
    json repeated = event("Job", "train-x", "BackoffLimitExceeded", "2026-11-27T11:59:30Z", "Warning");
    repeated["count"] = 3;
    repeated["firstTimestamp"] = "2026-11-27T11:59:10Z";
    report.events = kq::kube::recent_events(
        {kq::kube::summarize_event(repeated),
         kq::kube::summarize_event(event("Job", "train-x", "SuccessfulCreate", "2026-11-27T11:59:00Z"))},
        10);
    return report;
}

} // namespace

TEST_CASE("summarize_pod reads phase, node, restarts and each container's state, reason and exit code") {
    const auto pod = kq::kube::summarize_pod(oom_pod());
    CHECK(pod.name == "train-x-abcde");
    CHECK(pod.phase == "Failed");
    CHECK(pod.node == "kq-node");
    CHECK(pod.restarts == 1);
    REQUIRE(pod.containers.size() == 3);
    CHECK(pod.containers[0].name == "fetch");
    CHECK(pod.containers[0].init);
    CHECK(pod.containers[1].name == "main");
    CHECK(pod.containers[1].state == "terminated");
    CHECK(pod.containers[1].reason == "OOMKilled");
    CHECK(pod.containers[1].exit_code == 137);
    CHECK(pod.containers[2].state == "running");
    CHECK(pod.containers[2].last_reason == "Error");
    CHECK(pod.containers[2].last_exit_code == 2);

    const auto pulling = kq::kube::summarize_pod(
        {{"metadata", {{"name", "p"}}},
         {"spec", {{"containers", {{{"name", "main"}}}}}},
         {"status",
          {{"phase", "Pending"},
           {"containerStatuses",
            {{{"name", "main"},
              {"state", {{"waiting", {{"reason", "ErrImagePull"}, {"message", "no such image"}}}}}}}}}}});
    CHECK(pulling.containers[0].state == "waiting");
    CHECK(pulling.containers[0].reason == "ErrImagePull");
    CHECK(pulling.containers[0].message == "no such image");
    CHECK_FALSE(pulling.containers[0].exit_code);

    const auto unscheduled = kq::kube::summarize_pod({{"spec", {{"containers", {{{"name", "main"}}}}}}});
    CHECK(unscheduled.containers[0].state == "waiting");
    CHECK(unscheduled.node.empty());
}

TEST_CASE("summarize_event reads core/v1 and events.k8s.io-style times; recent_events keeps the newest") {
    json modern = {{"type", "Normal"},
                   {"reason", "Scheduled"},
                   {"involvedObject", {{"kind", "Pod"}, {"name", "p"}}},
                   {"eventTime", "2026-11-27T11:59:01.123456Z"},
                   {"series", {{"count", 4}, {"lastObservedTime", "2026-11-27T11:59:40.000001Z"}}}};
    const auto summary = kq::kube::summarize_event(modern);
    CHECK(summary.object == "pod/p");
    CHECK(summary.count == 4);
    CHECK(kq::format_rfc3339(*summary.first) == "2026-11-27T11:59:01Z");
    CHECK(kq::format_rfc3339(*summary.last) == "2026-11-27T11:59:40Z");

    std::vector<kq::kube::EventSummary> events;
    for (int i = 0; i < 15; ++i) {
        events.push_back(kq::kube::summarize_event(
            event("Pod", "p", "R" + std::to_string(i), fmt::format("2026-11-27T11:{:02}:00Z", 59 - i))));
    }
    const auto recent = kq::kube::recent_events(events, 10);
    REQUIRE(recent.size() == 10);
    CHECK(recent.front().reason == "R9");
    CHECK(recent.back().reason == "R0");

    // Within one second, the order they were recorded in (resourceVersion) decides.
    json scheduled = event("Pod", "p", "Scheduled", "2026-11-27T11:59:00Z");
    scheduled["metadata"]["resourceVersion"] = "1200";
    json created = event("Job", "j", "SuccessfulCreate", "2026-11-27T11:59:00Z");
    created["metadata"]["resourceVersion"] = "999";
    const auto same_second = kq::kube::recent_events(
        {kq::kube::summarize_event(scheduled), kq::kube::summarize_event(created)}, 10);
    CHECK(same_second[0].reason == "SuccessfulCreate");
    CHECK(same_second[1].reason == "Scheduled");
}

TEST_CASE("job_pod_selector uses the Job's matchLabels, else its job-name label") {
    CHECK(
        kq::kube::job_pod_selector(
            {{"metadata", {{"name", "x"}}},
             {"spec", {{"selector", {{"matchLabels", {{"batch.kubernetes.io/controller-uid", "u1"}}}}}}}}) ==
        "batch.kubernetes.io/controller-uid=u1");
    CHECK(kq::kube::job_pod_selector({{"metadata", {{"name", "x"}}}}) == "batch.kubernetes.io/job-name=x");
}

TEST_CASE("status text: the Job, its conditions, pods with exit codes and reasons, and events") {
    CHECK(kq::cmd::status_text(failed_report(), k_status_now) ==
          "Name:          train-x\n"
          "Namespace:     ml\n"
          "Definition:    train\n"
          "Status:        Failed\n"
          "Reason:        BackoffLimitExceeded\n"
          "Message:       Job has reached the specified backoff limit\n"
          "Completions:   0/1 (0 active, 0 succeeded, 1 failed)\n"
          "Created:       2026-11-27T11:58:59Z (61s ago)\n"
          "Started:       2026-11-27T11:59:00Z (60s ago)\n"
          "Finished:      2026-11-27T11:59:30Z (30s ago)\n"
          "Duration:      30s\n"
          "\n"
          "Conditions:\n"
          "  TYPE     STATUS   REASON                 AGE   MESSAGE\n"
          "  Failed   True     BackoffLimitExceeded   30s   Job has reached the specified backoff limit\n"
          "\n"
          "Pods:\n"
          "  NAME            PHASE    NODE      RESTARTS   AGE   CONTAINERS\n"
          "  train-x-abcde   Failed   kq-node   1          60s   init:fetch: terminated (Completed, exit "
          "code 0); "
          "main: terminated (OOMKilled, exit code 137); side: running, last terminated (Error, exit code 2)\n"
          "\n"
          "Events:\n"
          "  TYPE      REASON                 AGE                 OBJECT        MESSAGE\n"
          "  Normal    SuccessfulCreate       60s                 job/train-x   SuccessfulCreate happened\n"
          "  Warning   BackoffLimitExceeded   30s (x3 over 50s)   job/train-x   BackoffLimitExceeded "
          "happened\n");
}

TEST_CASE("status text: sections without entries say <none>") {
    kq::kube::JobReport report;
    report.summary = kq::kube::summarize_job({{"metadata", {{"name", "x"}, {"namespace", "d"}}}});
    const std::string text = kq::cmd::status_text(report, k_status_now);
    CHECK(text == "Name:          x\n"
                  "Namespace:     d\n"
                  "Definition:    <none>\n"
                  "Status:        Pending\n"
                  "Completions:   0/1 (0 active, 0 succeeded, 0 failed)\n"
                  "Created:       <unknown>\n"
                  "\n"
                  "Conditions:  <none>\n"
                  "\n"
                  "Pods:  <none>\n"
                  "\n"
                  "Events:  <none>\n");
}

TEST_CASE("status -o json has every key, null where nothing applies") {
    const json document = kq::cmd::status_json(failed_report(), k_status_now);
    CHECK(document["job"] == json{{"name", "train-x"},
                                  {"namespace", "ml"},
                                  {"definition", "train"},
                                  {"schedule", nullptr},
                                  {"status", "Failed"},
                                  {"reason", "BackoffLimitExceeded"},
                                  {"message", "Job has reached the specified backoff limit"},
                                  {"completions", "0/1"},
                                  {"active", 0},
                                  {"succeeded", 0},
                                  {"failed", 1},
                                  {"creationTimestamp", "2026-11-27T11:58:59Z"},
                                  {"startTime", "2026-11-27T11:59:00Z"},
                                  {"completionTime", "2026-11-27T11:59:30Z"},
                                  {"duration", "30s"},
                                  {"durationSeconds", 30}});
    CHECK(document["conditions"][0] == json{{"type", "Failed"},
                                            {"status", "True"},
                                            {"reason", "BackoffLimitExceeded"},
                                            {"message", "Job has reached the specified backoff limit"},
                                            {"lastTransitionTime", "2026-11-27T11:59:30Z"}});
    CHECK(document.contains("payload"));
    CHECK(document["payload"].is_null());
    CHECK(document.contains("queue"));
    CHECK(document["queue"].is_null());
    const json& pod = document["pods"][0];
    CHECK(pod["name"] == "train-x-abcde");
    CHECK(pod["reason"].is_null());
    CHECK(pod["restarts"] == 1);
    CHECK(pod["containers"][1] == json{{"name", "main"},
                                       {"init", false},
                                       {"state", "terminated"},
                                       {"reason", "OOMKilled"},
                                       {"message", nullptr},
                                       {"exitCode", 137},
                                       {"restarts", 0},
                                       {"lastReason", nullptr},
                                       {"lastExitCode", nullptr}});
    CHECK(document["events"][1] == json{{"type", "Warning"},
                                        {"reason", "BackoffLimitExceeded"},
                                        {"object", "job/train-x"},
                                        {"message", "BackoffLimitExceeded happened"},
                                        {"count", 3},
                                        {"firstTimestamp", "2026-11-27T11:59:10Z"},
                                        {"lastTimestamp", "2026-11-27T11:59:30Z"},
                                        {"age", "30s"}});
}

TEST_CASE("kq status needs exactly one of NAME and --job") {
    auto none = kq::testing::run_kq({"status"});
    CHECK(none.status == kq::k_exit_usage);
    CHECK(none.err == "kq: error: status: name a Job, or use --job DEFINITION\n");
    auto both = kq::testing::run_kq({"status", "x", "--job", "y"});
    CHECK(both.status == kq::k_exit_usage);
    CHECK(both.err == "kq: error: status: use a Job name or --job, not both\n");
}
