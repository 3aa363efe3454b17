#include "kube/job_status.hpp"

#include "util/error.hpp"

#include "kube/json_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string_view>

namespace kq::kube {
namespace {

using nlohmann::json;

// A terminated container state with a non-zero exit code, from state or lastState (OnFailure restarts).
struct Termination {
    int exit_code = 0;
    std::string container;
    std::optional<TimePoint> finished;
};

std::optional<Termination> failed_termination(const json& status) {
    for (const char* which : {"state", "lastState"}) {
        const json* terminated_ptr = lookup(status, {which, "terminated"});
        if (terminated_ptr == nullptr || !terminated_ptr->is_object()) continue;
        const json& terminated = *terminated_ptr;
        const int code = int_at(terminated, {"exitCode"}, 0);
        if (code == 0) continue;
        return Termination{code, string_at(status, {"name"}), time_at(terminated, {"finishedAt"})};
    }
    return std::nullopt;
}

// The first container, in the pod spec's order, that terminated with a non-zero code: of the main
// containers, or with `init` of the init containers that run to completion before them (not the native
// sidecars, restartPolicy Always, whose end does not fail a pod).
std::optional<Termination> first_failed_container(const json& pod, bool init = false) {
    const json& statuses = array_at(pod, {"status", init ? "initContainerStatuses" : "containerStatuses"});
    std::vector<std::string> order;
    for (const json& container : array_at(pod, {"spec", init ? "initContainers" : "containers"})) {
        if (init && string_at(container, {"restartPolicy"}) == "Always") continue;
        order.push_back(string_at(container, {"name"}));
    }
    std::optional<Termination> best;
    size_t best_rank = SIZE_MAX;
    for (const json& status : statuses) {
        if (!status.is_object()) continue;
        auto termination = failed_termination(status);
        if (!termination) continue;
        const auto found = std::find(order.begin(), order.end(), termination->container);
        if (found == order.end() && init) continue; // a sidecar
        const size_t rank = static_cast<size_t>(found - order.begin());
        if (!best || rank < best_rank) {
            best = termination;
            best_rank = rank;
        }
    }
    return best;
}

// The exit code and container a FailJob rule on exit codes names in the Job's PodFailurePolicy
// condition message, as the Job controller writes it: "Container NAME for pod NS/POD failed with exit
// code N matching FailJob rule at index I". Rules on pod conditions name no code.
struct FailJobMatch {
    int exit_code = 0;
    std::string container;
    std::string pod;
};

std::optional<FailJobMatch> fail_job_exit_code(const std::string& message) {
    constexpr std::string_view container_prefix = "Container ";
    constexpr std::string_view pod_marker = " for pod ";
    constexpr std::string_view code_marker = " failed with exit code ";
    constexpr std::string_view rule_marker = " matching FailJob rule";
    if (message.rfind(container_prefix, 0) != 0) return std::nullopt;
    const std::size_t pod_at = message.find(pod_marker);
    const std::size_t code_at = message.find(code_marker);
    if (pod_at == std::string::npos || code_at == std::string::npos || code_at < pod_at) return std::nullopt;
    const std::size_t digits_at = code_at + code_marker.size();
    std::size_t end = digits_at;
    int code = 0;
    while (end < message.size() && end - digits_at < 4 && message[end] >= '0' && message[end] <= '9')
        code = code * 10 + (message[end++] - '0');
    if (end == digits_at || message.compare(end, rule_marker.size(), rule_marker) != 0) return std::nullopt;
    if (code <= 0 || code > 255) return std::nullopt;
    FailJobMatch match;
    match.exit_code = code;
    match.container = message.substr(container_prefix.size(), pod_at - container_prefix.size());
    std::string pod = message.substr(pod_at + pod_marker.size(), code_at - pod_at - pod_marker.size());
    const std::size_t slash = pod.find('/');
    match.pod = slash == std::string::npos ? pod : pod.substr(slash + 1);
    return match;
}

} // namespace

JobSummary summarize_job(const json& job) {
    JobSummary summary;
    summary.name = string_at(job, {"metadata", "name"});
    summary.namespace_name = string_at(job, {"metadata", "namespace"});
    // kq's own label names the definition; the common app.kubernetes.io/name is a fallback.
    summary.definition = string_at(job, {"metadata", "labels", "kq.dev/definition"});
    if (summary.definition.empty())
        summary.definition = string_at(job, {"metadata", "labels", "app.kubernetes.io/name"});
    summary.queue = string_at(job, {"metadata", "labels", "kueue.x-k8s.io/queue-name"});
    summary.active = int_at(job, {"status", "active"}, 0);
    summary.succeeded_pods = int_at(job, {"status", "succeeded"}, 0);
    summary.failed_pods = int_at(job, {"status", "failed"}, 0);
    const bool has_parallelism = lookup(job, {"spec", "parallelism"}) != nullptr;
    summary.completions = int_at(job, {"spec", "completions"}, has_parallelism ? -1 : 1);
    summary.parallelism = int_at(job, {"spec", "parallelism"}, 1);
    summary.created = time_at(job, {"metadata", "creationTimestamp"});
    summary.started = time_at(job, {"status", "startTime"});
    summary.completed = time_at(job, {"status", "completionTime"});

    for (const json& condition : array_at(job, {"status", "conditions"})) {
        if (string_at(condition, {"status"}) != "True") continue;
        const std::string type = string_at(condition, {"type"});
        if (type != "Complete" && type != "Failed") continue;
        summary.finished = true;
        summary.succeeded = type == "Complete";
        summary.reason = string_at(condition, {"reason"});
        summary.message = string_at(condition, {"message"});
        if (!summary.completed) summary.completed = time_at(condition, {"lastTransitionTime"});
    }
    const json* suspend = lookup(job, {"spec", "suspend"});
    const bool suspended = suspend != nullptr && *suspend == true;
    if (summary.finished) {
        summary.status = summary.succeeded ? "Complete" : "Failed";
    } else if (suspended && !summary.queue.empty()) {
        // Kueue keeps a queued Job suspended until its quota admits it (and suspends it again on eviction).
        summary.status = "Queued";
    } else if (suspended) {
        summary.status = "Suspended";
    } else if (summary.active > 0 || summary.succeeded_pods > 0 || summary.failed_pods > 0) {
        summary.status = "Running";
    } else {
        summary.status = "Pending";
    }
    return summary;
}

std::string completions_text(const JobSummary& job) {
    if (job.completions < 0) return fmt::format("{}/1 of {}", job.succeeded_pods, job.parallelism);
    return fmt::format("{}/{}", job.succeeded_pods, job.completions);
}

std::optional<std::chrono::seconds> job_duration(const JobSummary& job, TimePoint now) {
    if (!job.started) return std::nullopt;
    const TimePoint end = job.completed ? *job.completed : now;
    return std::chrono::duration_cast<std::chrono::seconds>(end - *job.started);
}

JobResult job_result(const JobSummary& job, const std::vector<json>& pods) {
    JobResult result;
    if (job.succeeded) {
        result.succeeded = true;
        return result;
    }
    result.reason = job.reason;
    result.exit_code = k_exit_job_failed;
    // A deadline or a pod failure policy ends a Job whatever its containers did; their codes (often 137
    // from the kill) would mislead a script, so those keep kq's own code.
    // The exception: a FailJob rule on an exit code, which the user chose to end the Job with that code.
    if (job.reason == "PodFailurePolicy") {
        if (auto match = fail_job_exit_code(job.message)) {
            result.exit_code = match->exit_code;
            result.pod = match->pod;
            result.container = match->container;
            result.detail =
                fmt::format("job.batch/{} failed: container \"{}\" of pod {} exited with code {}, "
                            "which a FailJob rule of its podFailurePolicy matches",
                            job.name, match->container, match->pod, match->exit_code);
            return result;
        }
    }
    const bool container_caused = job.reason != "DeadlineExceeded" && job.reason != "PodFailurePolicy";
    if (container_caused) {
        std::optional<Termination> last;
        std::string last_pod;
        for (const json& pod : pods) {
            auto termination = first_failed_container(pod);
            if (!termination) continue;
            if (!last ||
                (termination->finished && (!last->finished || *termination->finished >= *last->finished))) {
                last = termination;
                last_pod = string_at(pod, {"metadata", "name"});
            }
        }
        if (last && last->exit_code > 0 && last->exit_code <= 255) {
            result.exit_code = last->exit_code;
            result.pod = last_pod;
            result.container = last->container;
            result.detail = fmt::format("job.batch/{} failed: container \"{}\" of pod {} exited with code {}",
                                        job.name, last->container, last_pod, last->exit_code);
            return result;
        }
        // A failed init container: the main container never ran, so there is no exit code of its to
        // pass on (kq's own code stays), but the message says which container failed and how.
        for (const json& pod : pods) {
            if (first_failed_container(pod)) continue;
            if (auto init = first_failed_container(pod, true)) {
                result.pod = string_at(pod, {"metadata", "name"});
                result.container = init->container;
                result.detail =
                    fmt::format("job.batch/{} failed: init container \"{}\" of pod {} exited with "
                                "code {}, so its containers never ran",
                                job.name, init->container, result.pod, init->exit_code);
                return result;
            }
        }
    }
    const std::string why = job.message.empty() ? job.reason : fmt::format("{}: {}", job.reason, job.message);
    result.detail = why.empty() ? fmt::format("job.batch/{} failed", job.name)
                                : fmt::format("job.batch/{} failed ({})", job.name, why);
    return result;
}

} // namespace kq::kube
