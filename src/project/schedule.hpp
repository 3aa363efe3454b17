#pragma once

#include "project/diagnostics.hpp"
#include "project/fields.hpp"
#include "project/project.hpp"
#include "project/render.hpp"
#include "project/source.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kq::project {

// The labels a CronJob kq renders carries, on itself and on its job template.

// The project's name (Project::name): `kq apply --prune` deletes only CronJobs of its project.
inline constexpr std::string_view k_label_project = "kq.dev/project";
// The name of the CronJob (and definition) whose template made a Job.
inline constexpr std::string_view k_label_schedule = "kq.dev/schedule";

// Reads a job's `schedule` (a cron string or a map of k_schedule_keys), recording every problem with
// its location: a bad cron field at the cron string, an unknown zone, a negative count, an unknown key.
std::optional<ScheduleDef> parse_schedule(const SourceNode& node, FieldConverter& converter,
                                          Diagnostics& diagnostics);

// Reports a schedule's params that the job does not declare or whose value its pattern or enum
// refuses, and required params the schedule leaves unset (at the schedule's location).
void check_schedule_params(const JobDef& job, Diagnostics& diagnostics);

// The project name made of a folder's name: lowercased, characters a label value may not hold
// turned into '-', trimmed to 63 characters and to alphanumeric ends; "kq" when nothing is left.
std::string project_name_from_folder(const std::string& folder);

// The batch/v1 CronJob of a scheduled job: named after the definition, its jobTemplate the Job
// render_job makes with the schedule's params (request.params is ignored), both carrying kq's
// labels, k_label_project and k_label_schedule. Throws a usage Error when the job has no schedule.
nlohmann::json render_cronjob(const Project& project, const JobDef& job, const RenderRequest& request);

// The scheduled jobs `names` picks (every scheduled job of the project when empty), in the order
// written; throws a usage Error for a name that is not a job or a job without a schedule.
std::vector<const JobDef*> scheduled_jobs(const Project& project, const std::vector<std::string>& names);

} // namespace kq::project
