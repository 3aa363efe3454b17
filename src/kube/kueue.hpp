#pragma once

#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace kq::kube {

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

} // namespace kq::kube
