#pragma once

#include "kube/client.hpp"
#include "kube/job_status.hpp"
#include "kube/kueue.hpp"
#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kq::kube {

// Which finished-or-not state a filter such as `--status failed` keeps.
enum class JobStateFilter {
    active,    // not finished yet: pending, running or suspended
    succeeded, // the Complete condition is True
    failed,    // the Failed condition is True
    finished,  // either of the two
};

// True when the Job is in the state the filter keeps.
bool matches_state(const JobSummary& job, JobStateFilter filter);

// True when the Job was created more than `age` before `now`; false when its creation time is unknown.
bool older_than(const JobSummary& job, std::chrono::seconds age, TimePoint now);

// The kq definition a Job came from (its kq.dev/definition label), or empty for a Job kq did not make.
std::string job_definition(const nlohmann::json& job);

// The CronJob whose template made a Job (its kq.dev/schedule label), or empty.
std::string job_schedule(const nlohmann::json& job);

// The images of the Job's pod template's containers, in order (init containers left out, as kubectl's).
std::vector<std::string> job_images(const nlohmann::json& job);

// The label selector of a Job's pods, from spec.selector.matchLabels; the job-name label when there is none.
std::string job_pod_selector(const nlohmann::json& job);

// One entry of a Job's status.conditions.
struct JobCondition {
    std::string type;   // Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet
    std::string status; // True, False or Unknown
    std::string reason;
    std::string message;
    std::optional<TimePoint> last_transition;
};

// The Job's status.conditions, in the order the API gives them.
std::vector<JobCondition> job_conditions(const nlohmann::json& job);

// What one container of a pod is doing or did, from its containerStatuses entry.
struct ContainerSummary {
    std::string name;
    bool init = false;            // an init container
    std::string state;            // waiting, running or terminated
    std::string reason;           // ContainerCreating, ErrImagePull, OOMKilled, Error, Completed, ...
    std::string message;          // the state's message, if any
    std::optional<int> exit_code; // when terminated
    int restarts = 0;
    std::string last_reason;           // the previous run's termination reason (after a restart)
    std::optional<int> last_exit_code; // and its exit code
};

// What one pod of a Job is doing or did.
struct PodSummary {
    std::string name;
    std::string phase;     // Pending, Running, Succeeded, Failed, Unknown
    std::string reason;    // the pod's own status.reason: Evicted, DeadlineExceeded, ...
    std::string message;   // the pod's own status.message
    std::string node;      // spec.nodeName, empty until scheduled
    int restarts = 0;      // summed over its containers
    bool deleting = false; // a deletionTimestamp is set
    std::optional<TimePoint> created;
    std::vector<ContainerSummary> containers; // init containers first, then the others, in spec order
};

// Reads a pod object; tolerant of missing fields.
PodSummary summarize_pod(const nlohmann::json& pod);

// One event about a Job or one of its pods.
struct EventSummary {
    std::string type;   // Normal or Warning
    std::string reason; // SuccessfulCreate, BackoffLimitExceeded, Scheduled, ...
    std::string object; // "job/NAME" or "pod/NAME": the involved object's kind in lower case and its name
    std::string message;
    int count = 1;
    std::optional<TimePoint> first; // when it was first seen
    std::optional<TimePoint> last;  // when it was last seen
    // metadata.resourceVersion when it is a number (0 otherwise): only to order events of the same
    // second as they were recorded, since the times have one-second resolution.
    std::uint64_t sequence = 0;
};

// Reads a core/v1 Event object; `last` falls back from series.lastObservedTime to lastTimestamp, eventTime
// and creationTimestamp, as events.k8s.io and older reporters each fill a different one.
EventSummary summarize_event(const nlohmann::json& event);

// The `keep` most recent events, oldest first (by last time seen, then sequence; events without a time
// first).
std::vector<EventSummary> recent_events(std::vector<EventSummary> events, std::size_t keep);

// Everything `kq status` shows about one Job.
// What the Workload Kueue made for a Job says about its place in the queue.
struct WorkloadSummary {
    std::string name;
    std::string uid;
    std::string queue;                    // spec.queueName
    std::string cluster_queue;            // status.admission.clusterQueue, once quota is reserved
    std::vector<JobCondition> conditions; // QuotaReserved, Admitted, Evicted, Preempted, Finished, ...
    bool quota_reserved = false;
    bool admitted = false;

    // The condition of this type, or nullptr.
    const JobCondition* condition(const std::string& type) const;
};

// Reads a Workload object; tolerant of missing fields.
WorkloadSummary summarize_workload(const nlohmann::json& workload);

// The Workload of the Job with this uid (found by Kueue's job-uid label), or nullopt when Kueue has not
// made one yet. Throws ApiError; a cluster without Kueue answers 404.
std::optional<WorkloadSummary> find_workload(Client& client, const std::string& namespace_name,
                                             const std::string& job_uid);

// The same Workload as the server has it (kq rerun reads the pod template Kueue recorded), or nullopt.
std::optional<nlohmann::json> find_workload_object(Client& client, const std::string& namespace_name,
                                                   const std::string& job_uid);

struct JobReport {
    JobSummary summary;                   // the Job's own state
    std::string definition;               // the kq.dev/definition label, or empty
    std::string schedule;                 // the kq.dev/schedule label, or empty
    std::vector<JobCondition> conditions; // as the API gives them
    std::vector<PodSummary> pods;         // oldest first
    std::vector<EventSummary> events;     // the most recent, oldest first
    // For a Job in a Kueue queue: its Workload, once Kueue made one.
    std::optional<WorkloadSummary> workload;
    // For a Workload still waiting for quota: its place in the queue, when Kueue's visibility API tells.
    std::optional<QueuePosition> queue_position;
    nlohmann::json annotations; // the Job's metadata.annotations (null when none)
};

// How many events a report keeps.
inline constexpr std::size_t k_report_events = 10;

// How many of a Job's pods (the newest) a report asks events for; more pods are listed but not asked.
inline constexpr std::size_t k_report_event_pods = 20;

// Reads a Job, its pods and the recent events of both, the reads after the Job's running concurrently;
// and, for a queued Job (kueue.x-k8s.io/queue-name), its Workload and, while that waits for quota, its
// place in the queue (fetch_queue_position).
// Throws ApiError (`jobs.batch "x" not found` when the Job does not exist).
JobReport fetch_job_report(Client& client, const std::string& namespace_name, const std::string& name);

} // namespace kq::kube
