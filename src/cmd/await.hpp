#pragma once

#include "cmd/context.hpp"
#include "kube/client.hpp"
#include "kube/job_logs.hpp"
#include "kube/job_status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kq::cmd {

// How a command waits for Jobs it submitted or was given.
struct AwaitOptions {
    bool logs = false;                                // stream the pods' logs while waiting
    kube::LogRequest log_request;                     // what to stream
    std::optional<std::chrono::milliseconds> timeout; // --timeout; nullopt waits for ever
    std::string timeout_text;                         // --timeout as written, for messages
    bool print_results = false;                       // `job.batch/x complete|failed` on stdout (kq wait)
};

// What a wait found: each Job's result, in the order given, and the exit status they make.
struct AwaitOutcome {
    std::vector<kube::JobSummary> jobs;
    std::vector<kube::JobResult> results;
    int exit_code = 0; // 0 when all succeeded, else the first failed Job's result code
};

// Waits until every Job has finished (Complete or Failed), streaming logs if asked, through watches
// that survive dropped connections. Throws a timeout Error when --timeout passes (a cluster Error when
// the server stopped answering meanwhile) and an interrupted Error on SIGINT/SIGTERM, after telling
// on stderr how to follow and delete what still runs.
AwaitOutcome await_jobs(kube::Client& client, const std::string& namespace_name,
                        const std::vector<nlohmann::json>& jobs, const AwaitOptions& options,
                        Context& context);

// Throws the Error that ends a command whose Jobs did not all succeed: the failed Job's detail and
// exit status (its container's exit code, or 121), or a count when several failed.
void throw_if_failed(const AwaitOutcome& outcome);

// Parses a --timeout or similar duration flag ("30s", "5m", "1h30m"); empty means none. Throws a
// usage Error naming the flag.
std::optional<std::chrono::milliseconds> parse_duration_flag(const std::string& flag,
                                                             const std::string& text);

// Whether a log line prefix was asked for: --prefix, --no-prefix, or neither.
kube::LogPrefix prefix_choice(bool prefix, bool no_prefix);

// Deletes a Job and its pods (background propagation), printing `job.batch/x deleted`; a Job already
// gone is not an error.
void delete_job(kube::Client& client, const std::string& namespace_name, const std::string& name,
                std::ostream& out);

} // namespace kq::cmd
