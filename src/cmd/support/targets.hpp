#pragma once

#include "cmd/support/context.hpp"
#include "jobs/paths.hpp"
#include "jobs/select.hpp"
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

// Selecting Jobs, from the jobs layer.
using jobs::JobSelection;
using jobs::newest_job;
using jobs::select_job_objects;
using jobs::select_jobs;

// The --dry-run mode of a command that changes Jobs (delete, suspend, resume): "none", "client" or
// "server"; kubectl's older true and false are client and none. Throws a usage Error for another word.
std::string dry_run_mode(const std::string& text);

// Checks that exactly one way of naming Jobs was used; throws a usage Error naming the flags.
void check_selection(const JobSelection& selection, const char* command);

} // namespace kq::cmd
