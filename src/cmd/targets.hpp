#pragma once

#include "cmd/context.hpp"
#include "jobs/paths.hpp"
#include "kube/client.hpp"
#include "project/project.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kq::cmd {

// The project file when one is given or found; nullopt when none exists (commands that address Jobs by
// name work without one). A project file that exists but is broken is still an error.
std::optional<project::Project> load_project_if_any(const Context& context);

// The namespace of a command that addresses Jobs: -n/--namespace, else the definition's namespace
// (when `definition` names one of the project's), else the project file's, else the context's, else
// "default".
std::string jobs_namespace(const Context& context, const kube::ClientConfig& config,
                           const std::optional<project::Project>& project,
                           const std::string& definition = "");

// The Jobs' API paths, kq's selector and a Job's printed name, from the jobs layer.
using jobs::job_path;
using jobs::job_ref;
using jobs::jobs_path;
using jobs::managed_selector;
using jobs::pods_path;

// The name of the newest Job of a definition (by creation time, then name); throws a usage Error
// naming the definition and namespace when it has none.
std::string newest_job(kube::Client& client, const std::string& namespace_name,
                       const std::string& definition);

// How a command names the Jobs it works on: NAME..., --job DEF, or -l SELECTOR (exactly one).
struct JobSelection {
    std::vector<std::string> names;
    std::string definition; // --job
    std::string selector;   // -l/--selector
};

// Checks that exactly one way of naming Jobs was used; throws a usage Error naming the flags.
void check_selection(const JobSelection& selection, const char* command);

// The names of the Jobs a selection means in a namespace: the names as given, the newest Job of the
// definition, or the kq-managed Jobs matching the selector (sorted by creation time). May be empty
// only for a selector.
std::vector<std::string> select_jobs(kube::Client& client, const std::string& namespace_name,
                                     const JobSelection& selection);

} // namespace kq::cmd
