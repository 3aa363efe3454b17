#pragma once

#include "cmd/support/context.hpp"
#include "jobs/schedules.hpp"
#include "kube/client.hpp"
#include "project/project.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kq::cmd {

// The namespace a scheduled job's CronJob lives in when the job and the project name none: -n, else the
// kubeconfig context's, else "default".
std::string schedule_default_namespace(const Context& context, const kube::Client& client);

// The CronJobs of the scheduled jobs `names` picks (all of the project's when empty), rendered before
// any is sent so that a bad one applies nothing; in `default_namespace` unless -n, the job or the
// project names another.
std::vector<nlohmann::json> render_schedules(const Context& context, const project::Project& project,
                                             const std::vector<std::string>& names,
                                             const std::string& default_namespace);

// The --dry-run mode of apply, diff and suspend|resume --schedule as the jobs layer takes it.
jobs::ScheduleDryRun schedule_dry_run(const std::string& mode);

// The suffix kubectl puts after a change made in a dry run: "", " (dry run)" or " (server dry run)".
const char* dry_run_suffix(jobs::ScheduleDryRun mode);

} // namespace kq::cmd
