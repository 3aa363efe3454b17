#include "kube/kueue.hpp"

#include "kube/api_error.hpp"
#include "kube/client.hpp"
#include "kube/json_fields.hpp"

#include <fmt/format.h>

#include <algorithm>

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

std::string pending_workloads_path(const std::string& namespace_name, const std::string& local_queue) {
    return fmt::format("{}/namespaces/{}/localqueues/{}/pendingworkloads", k_kueue_visibility_api,
                       namespace_name, local_queue);
}

std::vector<PendingWorkload> parse_pending_workloads(const json& summary) {
    std::vector<PendingWorkload> workloads;
    for (const json& item : array_at(summary, {"items"})) {
        PendingWorkload workload;
        workload.name = string_at(item, {"metadata", "name"});
        workload.namespace_name = string_at(item, {"metadata", "namespace"});
        workload.local_queue = string_at(item, {"localQueueName"});
        for (const json& owner : array_at(item, {"metadata", "ownerReferences"})) {
            const std::string uid = string_at(owner, {"uid"});
            if (!uid.empty()) workload.owner_uids.push_back(uid);
        }
        workload.priority = int_at(item, {"priority"}, 0);
        workload.position_in_cluster_queue = int_at(item, {"positionInClusterQueue"}, 0);
        workload.position_in_local_queue = int_at(item, {"positionInLocalQueue"}, 0);
        workloads.push_back(std::move(workload));
    }
    return workloads;
}

std::optional<QueuePosition> queue_position_in(const json& summary, const std::string& workload,
                                               const std::string& job_uid) {
    for (const PendingWorkload& pending : parse_pending_workloads(summary)) {
        const bool named = !workload.empty() && pending.name == workload;
        const bool owned = !job_uid.empty() && std::find(pending.owner_uids.begin(), pending.owner_uids.end(),
                                                         job_uid) != pending.owner_uids.end();
        if (!named && !owned) continue;
        QueuePosition position;
        position.in_local_queue = pending.position_in_local_queue + 1;
        position.in_cluster_queue = pending.position_in_cluster_queue + 1;
        return position;
    }
    return std::nullopt;
}

std::optional<QueuePosition> fetch_queue_position(Client& client, const std::string& namespace_name,
                                                  const std::string& local_queue, const std::string& workload,
                                                  const std::string& job_uid) {
    // The position is an extra: whatever keeps the cluster from telling it (most clusters do not serve
    // the visibility API) leaves it out instead of failing the command.
    std::optional<QueuePosition> position;
    try {
        ApiRequest request;
        request.path = pending_workloads_path(namespace_name, local_queue);
        request.single_attempt = true;
        position = queue_position_in(client.call(std::move(request)), workload, job_uid);
    } catch (const ApiError&) {
        return std::nullopt;
    }
    if (!position) return std::nullopt;
    try {
        ApiRequest request;
        request.path = local_queues_path(namespace_name, local_queue);
        request.single_attempt = true;
        position->cluster_queue = summarize_local_queue(client.call(std::move(request))).cluster_queue;
    } catch (const ApiError&) {
        // The position stands without the ClusterQueue's name.
    }
    return position;
}

} // namespace kq::kube
