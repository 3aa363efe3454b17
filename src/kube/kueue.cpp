#include "kube/kueue.hpp"

#include "kube/json_fields.hpp"

#include <fmt/format.h>

namespace kq::kube {

using nlohmann::json;

std::string local_queues_path(const std::string& namespace_name, const std::string& name) {
    std::string path = fmt::format("{}/namespaces/{}/localqueues", k_kueue_api, namespace_name);
    if (!name.empty()) path += "/" + name;
    return path;
}

LocalQueueSummary summarize_local_queue(const json& queue) {
    LocalQueueSummary summary;
    summary.name = string_at(queue, {"metadata", "name"});
    summary.namespace_name = string_at(queue, {"metadata", "namespace"});
    summary.cluster_queue = string_at(queue, {"spec", "clusterQueue"});
    summary.pending = int_at(queue, {"status", "pendingWorkloads"}, 0);
    summary.reserving = int_at(queue, {"status", "reservingWorkloads"}, 0);
    summary.admitted = int_at(queue, {"status", "admittedWorkloads"}, 0);
    summary.created = time_at(queue, {"metadata", "creationTimestamp"});
    for (const json& condition : array_at(queue, {"status", "conditions"})) {
        if (string_at(condition, {"type"}) != "Active") continue;
        summary.active = string_at(condition, {"status"}) == "True";
        summary.reason = string_at(condition, {"reason"});
        summary.message = string_at(condition, {"message"});
    }
    return summary;
}

} // namespace kq::kube
