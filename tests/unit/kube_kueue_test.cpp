// Unit tests of kube/kueue.hpp's visibility API reading: a LocalQueue's pending Workloads, a Job's
// position among them, and the answers (404, 403, 503) of clusters that do not serve that API, against a
// scripted API server.

#include "cmd/support/job_views.hpp"
#include "fake_api_server.hpp"
#include "kube/job_queries.hpp"
#include "kube/kueue.hpp"

#include <doctest/doctest.h>

#include <string>

using kq::testing::fake_config;
using kq::testing::FakeApiServer;
using kq::testing::FakeRequest;
using kq::testing::FakeResponse;
using kq::testing::json_answer;
using nlohmann::json;

namespace {

// A pending Workload as Kueue's visibility server lists it (v1beta2, PendingWorkload).
json pending_item(const std::string& name, const std::string& job_uid, int in_cluster_queue,
                  int in_local_queue) {
    return {{"metadata",
             {{"name", name},
              {"namespace", "ml"},
              {"creationTimestamp", "2026-11-27T11:58:59Z"},
              {"ownerReferences",
               {{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"name", "x"}, {"uid", job_uid}}}}}},
            {"priority", 0},
            {"localQueueName", "batch"},
            {"positionInClusterQueue", in_cluster_queue},
            {"positionInLocalQueue", in_local_queue}};
}

json pending_summary() {
    return {{"kind", "PendingWorkloadsSummary"},
            {"apiVersion", "visibility.kueue.x-k8s.io/v1beta2"},
            {"metadata", json::object()},
            {"items",
             {pending_item("job-first-1a2b3", "uid-first", 0, 0),
              pending_item("job-third-4c5d6", "uid-third", 2, 1),
              pending_item("job-fifth-7e8f9", "uid-fifth", 4, 2)}}};
}

json local_queue() {
    return {{"apiVersion", "kueue.x-k8s.io/v1beta2"},
            {"kind", "LocalQueue"},
            {"metadata", {{"name", "batch"}, {"namespace", "ml"}}},
            {"spec", {{"clusterQueue", "shared"}}}};
}

FakeResponse status_answer(int code, const std::string& reason, const std::string& message) {
    return json_answer(code, {{"kind", "Status"},
                              {"apiVersion", "v1"},
                              {"status", "Failure"},
                              {"code", code},
                              {"reason", reason},
                              {"message", message}});
}

} // namespace

TEST_CASE("pending workloads: the visibility API's items, with positions as Kueue counts them (from 0)") {
    CHECK(kq::kube::pending_workloads_path("ml", "batch") ==
          "/apis/visibility.kueue.x-k8s.io/v1beta2/namespaces/ml/localqueues/batch/pendingworkloads");
    const auto items = kq::kube::parse_pending_workloads(pending_summary());
    REQUIRE(items.size() == 3);
    CHECK(items[1].name == "job-third-4c5d6");
    CHECK(items[1].namespace_name == "ml");
    CHECK(items[1].local_queue == "batch");
    CHECK(items[1].owner_uids == std::vector<std::string>{"uid-third"});
    CHECK(items[1].position_in_cluster_queue == 2);
    CHECK(items[1].position_in_local_queue == 1);
    // An empty queue, and answers of an unexpected shape, are no items.
    CHECK(kq::kube::parse_pending_workloads({{"items", json::array()}}).empty());
    CHECK(kq::kube::parse_pending_workloads({{"items", "nope"}}).empty());
    CHECK(kq::kube::parse_pending_workloads(json::array()).empty());
}

TEST_CASE("queue position: found by the Workload's name or the Job's uid, counted from 1") {
    const auto by_name = kq::kube::queue_position_in(pending_summary(), "job-fifth-7e8f9", "");
    REQUIRE(by_name);
    CHECK(by_name->in_local_queue == 3);
    CHECK(by_name->in_cluster_queue == 5);
    const auto by_owner = kq::kube::queue_position_in(pending_summary(), "", "uid-third");
    REQUIRE(by_owner);
    CHECK(by_owner->in_local_queue == 2);
    CHECK(by_owner->in_cluster_queue == 3);
    // Not pending (admitted meanwhile, or beyond the first page): no position.
    CHECK_FALSE(kq::kube::queue_position_in(pending_summary(), "job-other", "uid-other"));
    CHECK_FALSE(kq::kube::queue_position_in(pending_summary(), "", ""));
}

TEST_CASE("fetch_queue_position: the position, and the ClusterQueue named by the LocalQueue") {
    FakeApiServer server([](const FakeRequest& request, int) {
        if (request.path().ends_with("/pendingworkloads")) return json_answer(200, pending_summary());
        return json_answer(200, local_queue());
    });
    kq::kube::Client client(fake_config(server));
    const auto position =
        kq::kube::fetch_queue_position(client, "ml", "batch", "job-third-4c5d6", "uid-third");
    REQUIRE(position);
    CHECK(position->in_local_queue == 2);
    CHECK(position->in_cluster_queue == 3);
    CHECK(position->cluster_queue == "shared");
    REQUIRE(server.requests().size() == 2);
    CHECK(server.requests()[0].path() ==
          "/apis/visibility.kueue.x-k8s.io/v1beta2/namespaces/ml/localqueues/batch/pendingworkloads");
    CHECK(server.requests()[1].path() == "/apis/kueue.x-k8s.io/v1beta2/namespaces/ml/localqueues/batch");
}

TEST_CASE("fetch_queue_position: without the visibility API there is no position, no error, one request") {
    // 404: no APIService for the group (most clusters); 503: the aggregator while the APIService is
    // unavailable (Kueue down), which the client would otherwise retry; 403: no right to it.
    const FakeResponse answers[] = {
        status_answer(404, "NotFound", "the server could not find the requested resource"),
        status_answer(503, "ServiceUnavailable", "the server is currently unable to handle the request"),
        status_answer(403, "Forbidden",
                      "localqueues.visibility.kueue.x-k8s.io \"batch\" is forbidden: User \"u\" cannot get "
                      "resource \"localqueues/pendingworkloads\""),
        status_answer(500, "InternalError", "boom"),
    };
    for (const FakeResponse& answer : answers) {
        CAPTURE(answer.status);
        FakeApiServer server([&answer](const FakeRequest&, int) { return answer; });
        kq::kube::Client client(fake_config(server));
        CHECK_FALSE(kq::kube::fetch_queue_position(client, "ml", "batch", "job-third-4c5d6", "uid-third"));
        CHECK(server.requests().size() == 1);
    }
}

TEST_CASE("fetch_queue_position: a LocalQueue it may not read leaves the ClusterQueue's name out") {
    FakeApiServer server([](const FakeRequest& request, int) {
        if (request.path().ends_with("/pendingworkloads")) return json_answer(200, pending_summary());
        return status_answer(403, "Forbidden", "localqueues.kueue.x-k8s.io \"batch\" is forbidden");
    });
    kq::kube::Client client(fake_config(server));
    const auto position = kq::kube::fetch_queue_position(client, "ml", "batch", "job-first-1a2b3", "");
    REQUIRE(position);
    CHECK(position->in_local_queue == 1);
    CHECK(position->cluster_queue.empty());
}

TEST_CASE("status shows a queued Job's position in text and -o json, and null when unknown") {
    kq::kube::JobReport report;
    report.summary = kq::kube::summarize_job(
        {{"metadata",
          {{"name", "x"}, {"namespace", "ml"}, {"labels", {{"kueue.x-k8s.io/queue-name", "batch"}}}}},
         {"spec", {{"suspend", true}}}});
    kq::kube::WorkloadSummary workload;
    workload.name = "job-x-1a2b3";
    workload.queue = "batch";
    report.workload = workload;
    const kq::TimePoint now = *kq::parse_rfc3339("2026-11-27T12:00:00Z");

    CHECK(kq::cmd::status_json(report, now)["queue"]["position"].is_null());
    CHECK(kq::cmd::status_text(report, now).find("Position:") == std::string::npos);

    report.queue_position = kq::kube::QueuePosition{3, 5, "shared"};
    const std::string text = kq::cmd::status_text(report, now);
    CHECK(text.find("Queue:         batch (Kueue workload job-x-1a2b3)\n"
                    "Position:      3 in LocalQueue batch (5 in ClusterQueue shared)\n") !=
          std::string::npos);
    CHECK(kq::cmd::status_json(report, now)["queue"]["position"] ==
          json{{"localQueue", 3}, {"clusterQueue", 5}, {"clusterQueueName", "shared"}});

    report.queue_position->cluster_queue.clear();
    CHECK(kq::cmd::status_text(report, now)
              .find("Position:      3 in LocalQueue batch (5 in its ClusterQueue)\n") != std::string::npos);
    CHECK(kq::cmd::status_json(report, now)["queue"]["position"]["clusterQueueName"].is_null());
}
