#pragma once

#include "kube/client.hpp"
#include "kube/job_logs.hpp"
#include "kube/job_status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kq::jobs {

// How to wait for Jobs.
struct AwaitOptions {
    bool logs = false;                                // stream the pods' logs while waiting
    kube::LogRequest log_request;                     // what to stream
    std::optional<std::chrono::milliseconds> timeout; // nullopt waits for ever
    std::string timeout_text;                         // the timeout as the user wrote it, for messages
    // --timeout-includes-queue: the time every unfinished Job waited in a Kueue queue counts too.
    bool timeout_includes_queue = false;
};

// What a wait tells as it goes; any of them may be null.
struct AwaitHandlers {
    // Each log line of the pods, prefixed as the LogRequest asks.
    std::function<void(std::string_view line)> log_line;
    // A diagnostic for stderr: a log follower's note, each failure when several Jobs were waited for,
    // and on an interrupt how to follow and delete what still runs.
    std::function<void(const std::string& note)> note;
    // The wait's status ("waiting for job.batch/x: Running 0/1 (5s)"), about four times a second while
    // waiting without logs; then an empty text, when the status is to be taken down.
    std::function<void(const std::string& status)> progress;
    // Each Job's result once all have finished, in the order given.
    std::function<void(const kube::JobSummary& job, const kube::JobResult& result)> finished;
};

// What a wait found: each Job's result, in the order given, and the exit status they make.
struct AwaitOutcome {
    std::vector<kube::JobSummary> jobs;
    std::vector<kube::JobResult> results;
    int exit_code = 0; // 0 when all succeeded, else the first failed Job's result code
};

// Waits until every Job has finished (Complete or Failed), streaming logs if asked, through watches
// that survive dropped connections. Throws a timeout Error when the timeout passes (saying so when the
// server stopped answering meanwhile) and an interrupted Error on SIGINT/SIGTERM, after a note on how
// to follow and delete what still runs.
AwaitOutcome await_jobs(kube::Client& client, const std::string& namespace_name,
                        const std::vector<nlohmann::json>& jobs, const AwaitOptions& options,
                        const AwaitHandlers& handlers);

// Throws the Error that ends a command whose Jobs did not all succeed: the failed Job's detail and
// exit status (its container's exit code, or 121), or a count when several failed.
void throw_if_failed(const AwaitOutcome& outcome);

// Deletes a Job and its pods (background propagation); a Job already gone is not an error.
void delete_job(kube::Client& client, const std::string& namespace_name, const std::string& name);

} // namespace kq::jobs
