#include "cmd/targets.hpp"

#include "cmd/cluster.hpp"
#include "cmd/project_loading.hpp"
#include "kube/job_status.hpp"
#include "project/labels.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>

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

namespace {

// Lists the Jobs matching a selector, oldest first, keeping only what ordering needs.
std::vector<kube::JobSummary> list_summaries(kube::Client& client, const std::string& namespace_name,
                                             const std::string& selector) {
    std::vector<kube::JobSummary> jobs;
    kube::ListOptions options;
    options.label_selector = selector;
    client.list(jobs_path(namespace_name), options, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (const nlohmann::json& item : page["items"])
            jobs.push_back(kube::summarize_job(item));
    });
    std::sort(jobs.begin(), jobs.end(), [](const kube::JobSummary& a, const kube::JobSummary& b) {
        if (a.created != b.created) return a.created < b.created;
        return a.name < b.name;
    });
    return jobs;
}

} // namespace

std::string newest_job(kube::Client& client, const std::string& namespace_name,
                       const std::string& definition) {
    const auto jobs = list_summaries(client, namespace_name, managed_selector(definition));
    if (jobs.empty()) {
        fail(ErrorKind::usage, "--job: definition \"{}\" has no Jobs in namespace \"{}\"", definition,
             namespace_name);
    }
    return jobs.back().name;
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

std::vector<std::string> select_jobs(kube::Client& client, const std::string& namespace_name,
                                     const JobSelection& selection) {
    if (!selection.names.empty()) return selection.names;
    if (!selection.definition.empty()) return {newest_job(client, namespace_name, selection.definition)};
    std::vector<std::string> names;
    for (const kube::JobSummary& job :
         list_summaries(client, namespace_name, managed_selector("", selection.selector))) {
        names.push_back(job.name);
    }
    return names;
}

} // namespace kq::cmd
