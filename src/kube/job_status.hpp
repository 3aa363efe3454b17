#pragma once

#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kq::kube {

// The label the Job controller puts on every pod of a Job, naming the Job.
inline constexpr const char* k_job_name_label = "batch.kubernetes.io/job-name";

// What a batch/v1 Job object says about itself, in the terms kq's tables and waits use.
struct JobSummary {
    std::string name;
    std::string namespace_name;
    std::string definition; // the kq definition it came from (app.kubernetes.io/name), or empty
    std::string status;     // Pending, Running, Queued, Suspended, Complete or Failed
    std::string queue;      // the Kueue LocalQueue it waits in or ran from (kueue.x-k8s.io/queue-name)
    bool finished = false;  // a Complete or Failed condition is True
    bool succeeded = false; // the Complete condition is True
    std::string reason;     // the finishing condition's reason, e.g. BackoffLimitExceeded
    std::string message;    // the finishing condition's message
    int active = 0;
    int succeeded_pods = 0;
    int failed_pods = 0;
    int completions = 1; // spec.completions; -1 when unset with parallelism (a work queue)
    int parallelism = 1; // spec.parallelism
    std::optional<TimePoint> created;
    std::optional<TimePoint> started;
    std::optional<TimePoint> completed; // completionTime, or the Failed condition's transition time
};

// Reads the parts of a Job object that kq shows and waits on; tolerant of missing fields.
JobSummary summarize_job(const nlohmann::json& job);

// "1/1": succeeded pods against completions, as kubectl's COMPLETIONS column.
std::string completions_text(const JobSummary& job);

// How long the Job ran (to now, while it runs); nullopt before it started.
std::optional<std::chrono::seconds> job_duration(const JobSummary& job, TimePoint now);

// The result of a finished Job as a command that waited on it reports it.
struct JobResult {
    bool succeeded = false;
    int exit_code = 0;     // 0, the failed container's exit code, or k_exit_job_failed
    std::string reason;    // BackoffLimitExceeded, DeadlineExceeded, ... (empty on success)
    std::string pod;       // the pod whose container's exit code is used, if any
    std::string container; // that container
    std::string detail;    // one line for humans: what failed and why
};

// Decides a finished Job's result from the Job and its pods: the container's own exit code when the
// Job failed because a container exited non-zero (the last failed pod's first non-zero container),
// else kq's code for a Job that failed without one (deadline, pod failure policy, eviction).
JobResult job_result(const JobSummary& job, const std::vector<nlohmann::json>& pods);

} // namespace kq::kube
