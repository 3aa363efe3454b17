#include "jobs/queue.hpp"

#include "kube/api_error.hpp"
#include "kube/json_fields.hpp"
#include "project/labels.hpp"
#include "project/render.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace kq::jobs {

std::string queue_of(const nlohmann::json& job) {
    return kube::string_at(job, {"metadata", "labels", std::string(project::k_label_kueue_queue).c_str()});
}

std::vector<kube::LocalQueueSummary> list_local_queues(kube::Client& client,
                                                       const std::string& namespace_name) {
    const std::string path = namespace_name.empty() ? fmt::format("{}/localqueues", kube::k_kueue_api)
                                                    : kube::local_queues_path(namespace_name);
    std::vector<kube::LocalQueueSummary> queues;
    kube::ListOptions options;
    client.list(path, options, [&queues](nlohmann::json& page) {
        for (const nlohmann::json& item : kube::array_at(page, {"items"}))
            queues.push_back(kube::summarize_local_queue(item));
    });
    std::sort(queues.begin(), queues.end(), [](const auto& a, const auto& b) {
        return std::tie(a.namespace_name, a.name) < std::tie(b.namespace_name, b.name);
    });
    return queues;
}

void put_in_queue(nlohmann::json& manifest, const std::optional<std::string>& queue,
                  const std::optional<std::string>& priority) {
    project::check_kueue_flags(queue, priority);
    nlohmann::json& labels = manifest["metadata"]["labels"];
    if (queue) labels[std::string(project::k_label_kueue_queue)] = *queue;
    if (priority) labels[std::string(project::k_label_kueue_priority)] = *priority;
    if (!queue_of(manifest).empty()) manifest["spec"]["suspend"] = true;
}

void hold_queue(nlohmann::json& manifest) {
    nlohmann::json& metadata = manifest["metadata"];
    const std::string label(project::k_label_kueue_queue);
    if (!metadata.contains("labels") || !metadata["labels"].contains(label)) return;
    metadata["annotations"][std::string(k_annotation_held_queue)] = metadata["labels"][label];
    metadata["labels"].erase(label);
}

void add_release(const nlohmann::json& job, nlohmann::json& patch) {
    const std::string held(k_annotation_held_queue);
    const std::string queue = kube::string_at(job, {"metadata", "annotations", held.c_str()});
    if (queue.empty()) {
        patch["spec"]["suspend"] = false;
        return;
    }
    patch["metadata"]["annotations"][held] = nullptr;
    patch["metadata"]["labels"][std::string(project::k_label_kueue_queue)] = queue;
}

namespace {

// A 404 for the object itself carries a Status naming it; one for an API the server does not serve
// does not.
bool object_missing(const kube::ApiError& error, const std::string& name) {
    return kube::string_at(error.status(), {"details", "name"}) == name;
}

} // namespace

void require_local_queue(kube::Client& client, const std::string& namespace_name, const std::string& queue) {
    try {
        (void)client.get(kube::local_queues_path(namespace_name, queue));
        return;
    } catch (const kube::ApiError& error) {
        if (!error.not_found()) throw;
        if (!object_missing(error, queue)) {
            fail(ErrorKind::cluster,
                 "--queue {}: the cluster does not serve Kueue's API (kueue.x-k8s.io/v1beta2); is Kueue "
                 "installed?",
                 queue);
        }
    }
    std::vector<std::string> names;
    for (const kube::LocalQueueSummary& item : list_local_queues(client, namespace_name))
        names.push_back(item.name);
    fail(ErrorKind::cluster, "localqueue.kueue.x-k8s.io {} not found in namespace {}; {}", quote(queue),
         quote(namespace_name),
         names.empty() ? std::string("the namespace has no LocalQueue")
                       : fmt::format("its LocalQueues: {}", join(names, ", ")));
}

void check_queue_target(kube::Client& client, const std::string& namespace_name,
                        const nlohmann::json& manifest, bool suspend) {
    const std::string queue = queue_of(manifest);
    if (queue.empty()) return;
    if (suspend) {
        fail(ErrorKind::usage,
             "--suspend: a Job in Kueue queue \"{}\" stays suspended until Kueue admits it, and Kueue then "
             "resumes it; drop --suspend or the queue",
             queue);
    }
    require_local_queue(client, namespace_name, queue);
}

} // namespace kq::jobs
