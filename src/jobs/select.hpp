#pragma once

#include "kube/api_error.hpp"
#include "kube/client.hpp"
#include "kube/job_queries.hpp"
#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kq::jobs {

// The Jobs matching a label selector, oldest first (by creation time, then name), keeping only what
// ordering needs.
std::vector<kube::JobSummary> list_summaries(kube::Client& client, const std::string& namespace_name,
                                             const std::string& selector);

// The name of the newest Job of a definition (by creation time, then name); throws a usage Error
// naming the definition and namespace when it has none.
std::string newest_job(kube::Client& client, const std::string& namespace_name,
                       const std::string& definition);

// How a command names the Jobs it works on: names, a definition's newest Job, or kq's Jobs matching a
// selector (exactly one).
struct JobSelection {
    std::vector<std::string> names;
    std::string definition; // --job
    std::string selector;   // -l/--selector
};

// The names of the Jobs a selection means in a namespace: the names as given, the newest Job of the
// definition, or the kq-managed Jobs matching the selector (sorted by creation time). May be empty
// only for a selector.
std::vector<std::string> select_jobs(kube::Client& client, const std::string& namespace_name,
                                     const JobSelection& selection);

// The objects of the Jobs a selection means, in select_jobs' order, read lean (without pod templates:
// kube::ApiRequest::lean), as a wait needs them: with a selector, from the one list that finds them;
// else one read each, so that a missing Job is the API's not-found error naming it.
std::vector<nlohmann::json> select_job_objects(kube::Client& client, const std::string& namespace_name,
                                               const JobSelection& selection);

// The Jobs a bulk delete means: a definition's newest Job, or kq's Jobs matching a selector (every one
// of them when it is empty), narrowed by state and age.
struct BulkSelection {
    std::string definition;                    // --job
    std::string selector;                      // -l/--selector
    std::optional<kube::JobStateFilter> state; // --status
    std::optional<std::chrono::seconds> age;   // --older-than
    TimePoint now;                             // what ages are measured to
    std::size_t page_size = 500;               // Jobs asked for per page of the list
};

// The names of the Jobs a bulk selection means, in the API's order.
std::vector<std::string> bulk_names(kube::Client& client, const std::string& namespace_name,
                                    const BulkSelection& selection);

// How Jobs are deleted.
struct DeleteOptions {
    enum class DryRun { none, client, server };
    std::string propagation_policy = "Background"; // Background, Foreground or Orphan
    DryRun dry_run = DryRun::none; // client: only read each Job; server: have the server check
    bool ignore_not_found = false; // a Job already gone is what was wanted
};

// The errors of a delete: the first few, to show, and how many there were.
struct DeleteFailures {
    static constexpr std::size_t k_shown = 3; // errors a message quotes
    std::vector<kube::ApiError> first;        // the first k_shown
    std::size_t count = 0;                    // all of them
};

// Deletes (or, for a client dry run, reads) each Job, at most 32 at once over the client's connection,
// telling `deleted` each one deleted in the names' order as soon as those before it are answered;
// returns the errors.
DeleteFailures delete_jobs(kube::Client& client, const std::string& namespace_name,
                           const std::vector<std::string>& names, const DeleteOptions& options,
                           const std::function<void(const std::string& name)>& deleted);

// Throws one error for all that went wrong: the error itself when alone (keeping its exit code), else the
// first few and a count of the rest.
[[noreturn]] void throw_delete_failures(const DeleteFailures& failures);

} // namespace kq::jobs
