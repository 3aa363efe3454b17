#include "cmd/support/apply_schedules.hpp"

#include "cmd/support/project_loading.hpp"
#include "project/render.hpp"
#include "project/schedule.hpp"

namespace kq::cmd {

std::string schedule_default_namespace(const Context& context, const kube::Client& client) {
    if (!context.global.namespace_name.empty()) return context.global.namespace_name;
    if (!client.config().namespace_name.empty()) return client.config().namespace_name;
    return "default";
}

std::vector<nlohmann::json> render_schedules(const Context& context, const project::Project& project,
                                             const std::vector<std::string>& names,
                                             const std::string& default_namespace) {
    project::RenderRequest request;
    if (!context.global.namespace_name.empty()) request.namespace_override = context.global.namespace_name;
    request.default_namespace = default_namespace;
    request.env = process_env;
    std::vector<nlohmann::json> manifests;
    for (const project::JobDef* job : project::scheduled_jobs(project, names))
        manifests.push_back(project::render_cronjob(project, *job, request));
    return manifests;
}

jobs::ScheduleDryRun schedule_dry_run(const std::string& mode) {
    if (mode == "client") return jobs::ScheduleDryRun::client;
    if (mode == "server") return jobs::ScheduleDryRun::server;
    return jobs::ScheduleDryRun::none;
}

const char* dry_run_suffix(jobs::ScheduleDryRun mode) {
    switch (mode) {
    case jobs::ScheduleDryRun::client: return " (dry run)";
    case jobs::ScheduleDryRun::server: return " (server dry run)";
    case jobs::ScheduleDryRun::none: return "";
    }
    return "";
}

} // namespace kq::cmd
