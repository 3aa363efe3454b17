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

// Jobs that a wait takes in while it runs, made as earlier ones finish (kq submit --max-active). The
// wait follows them all through one watch of the Jobs by the source's label selector, kept open until
// the source is exhausted, and calls more() between its turns, where requests may be sent.
class JobSource {
public:
    virtual ~JobSource() = default;

    // The label selector ("key=value") that every Job of the source carries.
    virtual std::string selector() const = 0;

    // Makes what may be made now and returns the Jobs made (or found already there) since the last call.
    virtual std::vector<nlohmann::json> more() = 0;

    // A followed Job changed (from the watch).
    virtual void changed(const kube::JobSummary& job) = 0;

    // True when more() has something to do: the current turn of the wait ends early for it.
    virtual bool ready() const = 0;

    // True once no Job is left to make and none is being made.
    virtual bool exhausted() const = 0;

    // How many Jobs are still to be made, for the wait's status line.
    virtual size_t left() const = 0;

    // The message of the interrupted Error when SIGINT or SIGTERM ends the wait.
    virtual std::string interrupted_message() const = 0;
};

// Waits until every Job has finished (Complete or Failed), streaming logs if asked, through watches
// that survive dropped connections; with a `source`, also every Job it makes meanwhile. `jobs` are the
// Jobs' objects (a lean read is enough: ApiRequest::lean), dropped once their watch has what it needs. Throws
// a timeout Error when the timeout passes (saying so when the server stopped answering meanwhile) and an
// interrupted Error on SIGINT/SIGTERM, after a note on how to follow and delete what still runs.
AwaitOutcome await_jobs(kube::Client& client, const std::string& namespace_name,
                        std::vector<nlohmann::json> jobs, const AwaitOptions& options,
                        const AwaitHandlers& handlers, JobSource* source = nullptr);

// Throws the Error that ends a command whose Jobs did not all succeed: the failed Job's detail and
// exit status (its container's exit code, or 121), or a count when several failed.
void throw_if_failed(const AwaitOutcome& outcome);

// Deletes a Job and its pods (background propagation); a Job already gone is not an error.
void delete_job(kube::Client& client, const std::string& namespace_name, const std::string& name);

} // namespace kq::jobs
