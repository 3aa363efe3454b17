#pragma once

#include "jobs/payload.hpp"
#include "kube/client.hpp"
#include "project/params.hpp"
#include "project/project.hpp"
#include "project/templating.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kq::jobs {

// `kq rerun`: a new Job made from an old one, as `argo resubmit` makes it. By default the old Job's spec is
// copied, without what the API server and the Job controller added (the selector, the controller-uid and
// batch.kubernetes.io/* labels, status) and without its suspension; with `from_definition` the Job is
// rendered again from today's project file, with the params recorded on the old Job (k_annotation_params)
// overridden by -p. The new Job is named from the definition with a fresh suffix, labelled
// k_label_rerun_of=OLD, and gets a copy of the old Job's payload in a payload object of its own. A re-run
// of a queued Job goes to the same Kueue queue with the same priority class (or to `queue` and
// `priority`), also when rendered again, suspended for Kueue to admit.

// What a re-run is made from, besides the old Job.
struct RerunOptions {
    bool from_definition = false;              // re-render from the project file
    const project::Project* project = nullptr; // with from_definition
    project::ParamValues params;               // -p: over the recorded params (with from_definition)
    project::EnvLookup env;                    // reads {{ env.NAME }} when re-rendering
    bool suspend = false;                      // --suspend: the new Job starts no pod
    std::optional<std::string> queue;          // --queue: the Kueue LocalQueue, over the old Job's
    std::optional<std::string> priority;       // --priority: the Kueue WorkloadPriorityClass
};

// The new Job of a re-run, not created yet.
struct RerunPlan {
    std::string old_name;
    nlohmann::json manifest;        // named, labelled, with the payload attached when there is one
    std::optional<Payload> payload; // the old Job's, copied
    bool suspend = false;
};

// Makes the re-run of `old` (a Job object as the server has it), reading its payload when it has one.
// Throws a usage Error for a Job kq did not make, a definition the project file no longer has, or a
// bad -p; a cluster Error when the old payload object is gone.
RerunPlan plan_rerun(kube::Client& client, const std::string& namespace_name, const nlohmann::json& old,
                     const RerunOptions& options);

// Creates a planned re-run (a server-side dry run with `dry_run_query` "All"), storing its payload and
// resuming it as jobs/payload.hpp does; returns the Job the server holds.
nlohmann::json create_rerun(kube::Client& client, const std::string& namespace_name, const RerunPlan& plan,
                            const std::string& dry_run_query);

// The failed Jobs of a definition that no Job re-runs yet (so of a chain of re-runs only the newest
// attempt, and only if it failed), oldest first.
std::vector<nlohmann::json> failed_not_rerun(kube::Client& client, const std::string& namespace_name,
                                             const std::string& definition);

} // namespace kq::jobs
