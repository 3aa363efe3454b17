#include "cmd/support/targets.hpp"

#include "cmd/support/cluster.hpp"
#include "cmd/support/project_loading.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

namespace kq::cmd {

std::optional<project::Project> load_project_if_any(const Context& context) {
    // Only discovery can fail for want of a file; with -f or $KQ_FILE the user asked for one.
    const bool explicit_file = !context.global.file.empty() || process_env("KQ_FILE").has_value();
    if (!explicit_file) {
        try {
            (void)locate_project_file(context);
        } catch (const Error&) {
            return std::nullopt;
        }
    }
    return load_project(context);
}

std::string jobs_namespace(const Context& context, const kube::ClientConfig& config,
                           const std::optional<project::Project>& project, const std::string& definition) {
    std::optional<std::string> job_namespace;
    std::optional<std::string> project_namespace;
    if (project) {
        project_namespace = project->namespace_name;
        if (const project::JobDef* job = definition.empty() ? nullptr : project->find_job(definition)) {
            job_namespace = job->namespace_name;
        }
    }
    return choose_namespace(context.global.namespace_name, job_namespace, project_namespace,
                            config.namespace_name)
        .name;
}

std::string dry_run_mode(const std::string& text) {
    if (text == "true" || text == "client") return "client";
    if (text == "false" || text == "none") return "none";
    if (text == "server") return "server";
    fail(ErrorKind::usage, "--dry-run: \"{}\" is not a mode; use client, server or none", text);
}

void check_selection(const JobSelection& selection, const char* command) {
    const int ways = (selection.names.empty() ? 0 : 1) + (selection.definition.empty() ? 0 : 1) +
                     (selection.selector.empty() ? 0 : 1);
    if (ways == 0) {
        fail(ErrorKind::usage, "{}: name a Job, or use --job DEFINITION or -l SELECTOR", command);
    }
    if (ways > 1) {
        fail(ErrorKind::usage, "{}: use only one of Job names, --job and -l/--selector", command);
    }
}

} // namespace kq::cmd
