#include "kube/job_queries.hpp"

#include "kube/json_fields.hpp"
#include "kube/kueue.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>

namespace kq::kube {
namespace {

using nlohmann::json;

// Fills a container's state from its containerStatuses entry.
void read_container_status(ContainerSummary& container, const json& status) {
    container.restarts = int_at(status, {"restartCount"}, 0);
    for (const char* state : {"terminated", "running", "waiting"}) {
        const json* detail = lookup(status, {"state", state});
        if (detail == nullptr || !detail->is_object()) continue;
        container.state = state;
        container.reason = string_at(*detail, {"reason"});
        container.message = string_at(*detail, {"message"});
        if (container.state == "terminated") container.exit_code = optional_int_at(*detail, {"exitCode"});
        break;
    }
    if (const json* last = lookup(status, {"lastState", "terminated"});
        last != nullptr && last->is_object()) {
        container.last_reason = string_at(*last, {"reason"});
        container.last_exit_code = optional_int_at(*last, {"exitCode"});
    }
}

// The containers of one list of the pod spec (containers or initContainers), joined with their statuses.
void read_containers(PodSummary& pod, const json& object, const char* spec_key, const char* status_key,
                     bool init) {
    const json& statuses = array_at(object, {"status", status_key});
    for (const json& spec : array_at(object, {"spec", spec_key})) {
        ContainerSummary container;
        container.name = string_at(spec, {"name"});
        container.init = init;
        // A container without a status has not been created yet.
        container.state = "waiting";
        for (const json& status : statuses) {
            if (string_at(status, {"name"}) == container.name) read_container_status(container, status);
        }
        pod.restarts += container.restarts;
        pod.containers.push_back(std::move(container));
    }
}

} // namespace

bool matches_state(const JobSummary& job, JobStateFilter filter) {
    switch (filter) {
    case JobStateFilter::active: return !job.finished;
    case JobStateFilter::succeeded: return job.finished && job.succeeded;
    case JobStateFilter::failed: return job.finished && !job.succeeded;
    case JobStateFilter::finished: return job.finished;
    }
    return false;
}

bool older_than(const JobSummary& job, std::chrono::seconds age, TimePoint now) {
    return job.created.has_value() && now - *job.created > age;
}

std::string job_definition(const json& job) {
    return string_at(job, {"metadata", "labels", "kq.dev/definition"});
}

std::string job_schedule(const json& job) {
    return string_at(job, {"metadata", "labels", "kq.dev/schedule"});
}

std::vector<std::string> job_images(const json& job) {
    std::vector<std::string> images;
    for (const json& container : array_at(job, {"spec", "template", "spec", "containers"})) {
        images.push_back(string_at(container, {"image"}));
    }
    return images;
}

std::string job_pod_selector(const json& job) {
    std::string selector;
    if (const json* labels = lookup(job, {"spec", "selector", "matchLabels"});
        labels != nullptr && labels->is_object()) {
        for (const auto& [key, value] : labels->items()) {
            if (!value.is_string()) continue;
            if (!selector.empty()) selector += ',';
            selector += fmt::format("{}={}", key, value.get<std::string>());
        }
    }
    if (selector.empty())
        selector = fmt::format("{}={}", k_job_name_label, string_at(job, {"metadata", "name"}));
    return selector;
}

std::vector<JobCondition> job_conditions(const json& job) {
    std::vector<JobCondition> conditions;
    for (const json& condition : array_at(job, {"status", "conditions"})) {
        conditions.push_back({string_at(condition, {"type"}), string_at(condition, {"status"}),
                              string_at(condition, {"reason"}), string_at(condition, {"message"}),
                              time_at(condition, {"lastTransitionTime"})});
    }
    return conditions;
}

PodSummary summarize_pod(const json& object) {
    PodSummary pod;
    pod.name = string_at(object, {"metadata", "name"});
    pod.phase = string_at(object, {"status", "phase"});
    pod.reason = string_at(object, {"status", "reason"});
    pod.message = string_at(object, {"status", "message"});
    pod.node = string_at(object, {"spec", "nodeName"});
    pod.deleting = lookup(object, {"metadata", "deletionTimestamp"}) != nullptr;
    pod.created = time_at(object, {"metadata", "creationTimestamp"});
    read_containers(pod, object, "initContainers", "initContainerStatuses", true);
    read_containers(pod, object, "containers", "containerStatuses", false);
    return pod;
}

EventSummary summarize_event(const json& event) {
    EventSummary summary;
    summary.type = string_at(event, {"type"});
    summary.reason = string_at(event, {"reason"});
    summary.message = string_at(event, {"message"});
    const std::string kind = string_at(event, {"involvedObject", "kind"});
    const std::string name = string_at(event, {"involvedObject", "name"});
    summary.object = kind.empty() ? name : fmt::format("{}/{}", lower(kind), name);
    summary.count = std::max(1, int_at(event, {"series", "count"}, int_at(event, {"count"}, 1)));
    summary.first = time_at(event, {"firstTimestamp"});
    if (!summary.first) summary.first = time_at(event, {"eventTime"});
    if (!summary.first) summary.first = time_at(event, {"metadata", "creationTimestamp"});
    summary.last = time_at(event, {"series", "lastObservedTime"});
    if (!summary.last) summary.last = time_at(event, {"lastTimestamp"});
    if (!summary.last) summary.last = time_at(event, {"eventTime"});
    if (!summary.last) summary.last = summary.first;
    const std::string version = string_at(event, {"metadata", "resourceVersion"});
    const auto [end, error] =
        std::from_chars(version.data(), version.data() + version.size(), summary.sequence);
    if (error != std::errc() || end != version.data() + version.size()) summary.sequence = 0;
    return summary;
}

std::vector<EventSummary> recent_events(std::vector<EventSummary> events, std::size_t keep) {
    // Stable, so that events of the same second keep the order the API gave them.
    std::stable_sort(events.begin(), events.end(), [](const EventSummary& a, const EventSummary& b) {
        if (a.last != b.last) return a.last < b.last;
        return a.sequence < b.sequence;
    });
    if (events.size() > keep) events.erase(events.begin(), events.end() - static_cast<std::ptrdiff_t>(keep));
    return events;
}

const JobCondition* WorkloadSummary::condition(const std::string& type) const {
    for (const JobCondition& item : conditions) {
        if (item.type == type) return &item;
    }
    return nullptr;
}

WorkloadSummary summarize_workload(const json& workload) {
    WorkloadSummary summary;
    summary.name = string_at(workload, {"metadata", "name"});
    summary.uid = string_at(workload, {"metadata", "uid"});
    summary.queue = string_at(workload, {"spec", "queueName"});
    summary.cluster_queue = string_at(workload, {"status", "admission", "clusterQueue"});
    // A Workload's conditions have the shape of a Job's (metav1.Condition).
    summary.conditions = job_conditions(workload);
    for (const JobCondition& condition : summary.conditions) {
        if (condition.status != "True") continue;
        if (condition.type == "QuotaReserved") summary.quota_reserved = true;
        if (condition.type == "Admitted") summary.admitted = true;
    }
    return summary;
}

std::optional<json> find_workload_object(Client& client, const std::string& namespace_name,
                                         const std::string& job_uid) {
    json list = client.get(fmt::format("{}/namespaces/{}/workloads", k_kueue_api, namespace_name),
                           {{"labelSelector", fmt::format("{}={}", k_kueue_job_uid_label, job_uid)}});
    const json& items = array_at(list, {"items"});
    if (items.empty()) return std::nullopt;
    // Kueue makes one Workload per Job; after a Job's spec changed it may briefly hold an old one too.
    const json* newest = &items.front();
    for (const json& item : items) {
        if (string_at(item, {"metadata", "creationTimestamp"}) >
            string_at(*newest, {"metadata", "creationTimestamp"}))
            newest = &item;
    }
    return *newest;
}

std::optional<WorkloadSummary> find_workload(Client& client, const std::string& namespace_name,
                                             const std::string& job_uid) {
    const std::optional<json> workload = find_workload_object(client, namespace_name, job_uid);
    if (!workload) return std::nullopt;
    return summarize_workload(*workload);
}

JobReport fetch_job_report(Client& client, const std::string& namespace_name, const std::string& name) {
    const std::string jobs = fmt::format("/apis/batch/v1/namespaces/{}/jobs/{}", namespace_name, name);
    const json job = client.get(jobs);
    JobReport report;
    report.summary = summarize_job(job);
    report.definition = job_definition(job);
    report.schedule = job_schedule(job);
    report.conditions = job_conditions(job);
    if (job.contains("metadata") && job["metadata"].contains("annotations"))
        report.annotations = job["metadata"]["annotations"];

    const std::string events_path = fmt::format("/api/v1/namespaces/{}/events", namespace_name);
    std::vector<EventSummary> events;
    std::optional<ApiError> error;
    int pending = 0;
    auto on_events = [&events](json& page) {
        for (const json& event : array_at(page, {"items"}))
            events.push_back(summarize_event(event));
    };
    auto done = [&pending, &error](const std::string&, std::optional<ApiError> failure) {
        --pending;
        if (failure && !error) error = std::move(failure);
    };
    auto list_events = [&](const std::string& uid) {
        ListOptions options;
        options.field_selector = "involvedObject.uid=" + uid;
        ++pending;
        client.start_list(events_path, options, on_events, done);
    };

    // Pod uids are known only once the pods are listed, so their events are asked for after that.
    std::vector<std::pair<std::string, std::optional<TimePoint>>> pod_uids;
    ListOptions pod_options;
    pod_options.label_selector = job_pod_selector(job);
    ++pending;
    client.start_list(
        fmt::format("/api/v1/namespaces/{}/pods", namespace_name), pod_options,
        [&](json& page) {
            for (const json& pod : array_at(page, {"items"})) {
                report.pods.push_back(summarize_pod(pod));
                pod_uids.emplace_back(string_at(pod, {"metadata", "uid"}), report.pods.back().created);
            }
        },
        [&](const std::string& version, std::optional<ApiError> failure) {
            if (!failure) {
                std::stable_sort(pod_uids.begin(), pod_uids.end(),
                                 [](const auto& a, const auto& b) { return a.second > b.second; });
                if (pod_uids.size() > k_report_event_pods) pod_uids.resize(k_report_event_pods);
                for (const auto& [uid, created] : pod_uids) {
                    if (!uid.empty()) list_events(uid);
                }
            }
            done(version, std::move(failure));
        });
    const std::string job_uid = string_at(job, {"metadata", "uid"});
    if (!job_uid.empty()) list_events(job_uid);
    client.run([&] { return pending == 0; });
    if (error) throw *error;

    if (!report.summary.queue.empty() && !job_uid.empty()) {
        try {
            report.workload = find_workload(client, namespace_name, job_uid);
        } catch (const ApiError& failure) {
            // No Kueue in the cluster (404), or no right to read Workloads: the Job's own state still shows.
            if (!failure.not_found() && !failure.forbidden()) throw;
        }
        if (report.workload && !report.workload->quota_reserved && !report.workload->admitted) {
            const std::string local_queue =
                report.workload->queue.empty() ? report.summary.queue : report.workload->queue;
            report.queue_position =
                fetch_queue_position(client, namespace_name, local_queue, report.workload->name, job_uid);
        }
        if (report.workload && !report.workload->uid.empty()) {
            // Kueue tells why a Workload waits ("couldn't assign flavors ...") in events on the Workload.
            list_events(report.workload->uid);
            client.run([&] { return pending == 0; });
            if (error) throw *error;
        }
    }

    std::stable_sort(report.pods.begin(), report.pods.end(), [](const PodSummary& a, const PodSummary& b) {
        if (a.created != b.created) return a.created < b.created;
        return a.name < b.name;
    });
    report.events = recent_events(std::move(events), k_report_events);
    return report;
}

} // namespace kq::kube
