#pragma once

#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kq::kube {

class Client;

// Kueue's API (sigs.k8s.io/kueue), at the version its CRDs store: v1beta2 since Kueue 0.15.
inline constexpr const char* k_kueue_api = "/apis/kueue.x-k8s.io/v1beta2";

// The label Kueue puts on the Workload of a Job, holding the Job's uid.
inline constexpr const char* k_kueue_job_uid_label = "kueue.x-k8s.io/job-uid";

// The path of a namespace's LocalQueues, or of one of them when name is not empty.
std::string local_queues_path(const std::string& namespace_name, const std::string& name = "");

// What a LocalQueue's status says.
struct LocalQueueSummary {
    std::string name;
    std::string namespace_name;
    std::string cluster_queue; // spec.clusterQueue
    int pending = 0;           // status.pendingWorkloads: waiting for quota
    int reserving = 0;         // status.reservingWorkloads: quota reserved
    int admitted = 0;          // status.admittedWorkloads
    bool active = false;       // the Active condition is True
    std::string reason;        // the Active condition's reason and message when it is not True
    std::string message;
    std::optional<TimePoint> created;
};

// Reads a LocalQueue object; tolerant of missing fields.
LocalQueueSummary summarize_local_queue(const nlohmann::json& queue);

// Kueue's visibility API, an aggregated API that Kueue's manager serves where its APIService is
// installed: the Workloads waiting in a queue, in order. v1beta2 since Kueue 0.15, as k_kueue_api.
inline constexpr const char* k_kueue_visibility_api = "/apis/visibility.kueue.x-k8s.io/v1beta2";

// The path of a LocalQueue's pending Workloads in the visibility API.
std::string pending_workloads_path(const std::string& namespace_name, const std::string& local_queue);

// One Workload waiting in a queue, as the visibility API lists it. Positions count from 0, as Kueue's.
struct PendingWorkload {
    std::string name;
    std::string namespace_name;
    std::string local_queue;             // localQueueName
    std::vector<std::string> owner_uids; // metadata.ownerReferences[].uid: the Job's
    int priority = 0;
    int position_in_cluster_queue = 0;
    int position_in_local_queue = 0;
};

// Reads the items of a PendingWorkloadsSummary; tolerant of missing fields.
std::vector<PendingWorkload> parse_pending_workloads(const nlohmann::json& summary);

// Where a waiting Workload stands, counted from 1 (1: admitted next when quota frees up).
struct QueuePosition {
    int in_local_queue = 0;
    int in_cluster_queue = 0;
    std::string cluster_queue; // the LocalQueue's spec.clusterQueue; empty when it could not be read
};

// The position of the Workload `workload` (or of the one owned by the Job `job_uid`) in the pending
// Workloads of this summary, or nullopt when it is not among them.
std::optional<QueuePosition> queue_position_in(const nlohmann::json& summary, const std::string& workload,
                                               const std::string& job_uid);

// Asks Kueue's visibility API where a waiting Workload stands in its LocalQueue. Returns nullopt, and
// never throws an ApiError, when the cluster does not tell: no visibility API (404, or 503 while its
// APIService is unavailable), no right to it (403), or the Workload not pending there. One attempt
// only; the request shows at -v like any other.
std::optional<QueuePosition> fetch_queue_position(Client& client, const std::string& namespace_name,
                                                  const std::string& local_queue, const std::string& workload,
                                                  const std::string& job_uid);

} // namespace kq::kube
