#include "project/schedule.hpp"

#include "project/labels.hpp"
#include "project/listing.hpp"
#include "project/names.hpp"
#include "project/params.hpp"
#include "project/schema.hpp"
#include "project/templating.hpp"
#include "util/cron.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

namespace kq::project {
namespace {

using SK = FieldKind;
using ST = FieldTarget;

// The schedule's keys that FieldConverter checks, named as messages show them.
constexpr FieldSpec k_schedule_policy_field{"schedule.concurrencyPolicy", SK::choice, ST::none, "",
                                            k_concurrency_policies};
constexpr FieldSpec k_schedule_deadline_field{
    "schedule.startingDeadlineSeconds", SK::count, ST::none, "", {}};
constexpr FieldSpec k_schedule_successful_field{
    "schedule.successfulJobsHistoryLimit", SK::count, ST::none, "", {}};
constexpr FieldSpec k_schedule_failed_field{"schedule.failedJobsHistoryLimit", SK::count, ST::none, "", {}};
constexpr FieldSpec k_schedule_suspend_field{"schedule.suspend", SK::flag, ST::none, "", {}};

// The CronJob controller names a run NAME-<minutes since the epoch>; the API server keeps 11 characters for
// it.
constexpr std::size_t k_max_scheduled_name_length = 52;

// A schedule's values are fixed when it is applied: a template there would have no -p to read.
bool refuse_template(const SourceNode& value, std::string_view path, const FieldConverter& converter,
                     Diagnostics& diagnostics) {
    if (value.kind != NodeKind::scalar || !is_template(value.text)) return false;
    diagnostics.add(value.location,
                    fmt::format("{} in {} cannot hold a template; the CronJob's values are fixed when it "
                                "is applied",
                                path, converter.owner()));
    return true;
}

std::optional<std::int64_t> schedule_count(const SourceNode* value, const FieldSpec& field,
                                           FieldConverter& converter, Diagnostics& diagnostics) {
    if (value == nullptr || refuse_template(*value, field.key, converter, diagnostics)) return std::nullopt;
    auto number = converter.convert(field, *value);
    if (!number) return std::nullopt;
    return number->get<std::int64_t>();
}

} // namespace

std::optional<ScheduleDef> parse_schedule(const SourceNode& node, FieldConverter& converter,
                                          Diagnostics& diagnostics) {
    const std::size_t problems_before = diagnostics.size();
    ScheduleDef schedule;
    schedule.location = node.location;
    const SourceNode* cron = nullptr;
    std::string cron_path = "schedule";
    if (node.kind == NodeKind::scalar && scalar_type(node) != ScalarType::null) {
        cron = &node;
    } else if (node.kind == NodeKind::map) {
        converter.check_keys(node, k_schedule_keys, "schedule");
        cron = node.find("cron");
        cron_path = "schedule.cron";
        if (cron == nullptr) {
            diagnostics.add(node.location, fmt::format("schedule in {} has no cron; add one such as "
                                                       "cron: \"0 3 * * *\"",
                                                       converter.owner()));
        }
    } else {
        diagnostics.add(node.location,
                        fmt::format("schedule in {} must be a cron string such as \"0 3 * * *\" "
                                    "or a map with cron, not {}",
                                    converter.owner(), describe_kind(node)));
        return std::nullopt;
    }
    if (cron != nullptr && !refuse_template(*cron, cron_path, converter, diagnostics)) {
        if (auto text = converter.text(*cron, cron_path)) {
            std::string error;
            if (parse_cron(*text, error)) {
                schedule.cron = *text;
            } else {
                diagnostics.add(cron->location, fmt::format("invalid {} {} in {}: {}", cron_path,
                                                            quote(*text), converter.owner(), error));
            }
        }
    }
    if (node.kind == NodeKind::map) {
        if (const SourceNode* zone = node.find("timeZone")) {
            if (!refuse_template(*zone, "schedule.timeZone", converter, diagnostics)) {
                if (auto text = converter.text(*zone, "schedule.timeZone")) {
                    std::string error;
                    if (TimeZone::load(*text, error)) {
                        schedule.time_zone = *text;
                    } else {
                        diagnostics.add(zone->location, fmt::format("invalid schedule.timeZone {} in {}: {}",
                                                                    quote(*text), converter.owner(), error));
                    }
                }
            }
        }
        if (const SourceNode* policy = node.find("concurrencyPolicy")) {
            if (!refuse_template(*policy, k_schedule_policy_field.key, converter, diagnostics)) {
                if (auto value = converter.convert(k_schedule_policy_field, *policy)) {
                    schedule.concurrency_policy = value->get<std::string>();
                }
            }
        }
        schedule.starting_deadline_seconds = schedule_count(
            node.find("startingDeadlineSeconds"), k_schedule_deadline_field, converter, diagnostics);
        schedule.successful_jobs_history_limit = schedule_count(
            node.find("successfulJobsHistoryLimit"), k_schedule_successful_field, converter, diagnostics);
        schedule.failed_jobs_history_limit = schedule_count(node.find("failedJobsHistoryLimit"),
                                                            k_schedule_failed_field, converter, diagnostics);
        if (const SourceNode* suspend = node.find("suspend")) {
            if (!refuse_template(*suspend, k_schedule_suspend_field.key, converter, diagnostics)) {
                if (auto value = converter.convert(k_schedule_suspend_field, *suspend)) {
                    schedule.suspend = value->get<bool>();
                }
            }
        }
        if (const SourceNode* params = node.find("params")) {
            if (params->kind == NodeKind::map) {
                for (const SourceEntry& entry : params->entries) {
                    const std::string path = fmt::format("schedule.params.{}", entry.key);
                    if (entry.value.kind == NodeKind::scalar &&
                        scalar_type(entry.value) == ScalarType::null) {
                        schedule.params[entry.key] = "";
                    } else if (auto text = converter.text(entry.value, path)) {
                        schedule.params[entry.key] = *text;
                    }
                    schedule.param_locations[entry.key] = entry.key_location;
                }
            } else if (params->kind != NodeKind::null) {
                diagnostics.add(
                    params->location,
                    fmt::format("schedule.params in {} must be a map of param names to values, not {}",
                                converter.owner(), describe_kind(*params)));
            }
        }
    }
    if (diagnostics.size() != problems_before) return std::nullopt;
    return schedule;
}

void check_schedule_params(const JobDef& job, Diagnostics& diagnostics) {
    if (!job.schedule) return;
    const ScheduleDef& schedule = *job.schedule;
    std::vector<std::string> known;
    for (const ParamDef& param : job.params)
        known.push_back(param.name);
    for (const auto& [name, value] : schedule.params) {
        const auto found = schedule.param_locations.find(name);
        const Location where = found != schedule.param_locations.end() ? found->second : schedule.location;
        const ParamDef* param = job.find_param(name);
        if (param == nullptr) {
            std::string message =
                fmt::format("unknown param {} in schedule.params of job {}", quote(name), quote(job.name));
            if (known.empty()) {
                message += "; the job takes no params";
            } else {
                if (auto suggestion = closest_match(name, known))
                    message += fmt::format("; did you mean {}?", quote(*suggestion));
                message += fmt::format(" known params: {}", join(known, ", "));
            }
            diagnostics.add(where, std::move(message));
            continue;
        }
        if (auto problem = check_param_value(*param, value)) {
            diagnostics.add(where, fmt::format("schedule.params.{} {} of job {} {}", name, quote(value),
                                               quote(job.name), *problem));
        }
    }
    for (const ParamDef& param : job.params) {
        if (!param.required || schedule.params.count(param.name) != 0) continue;
        diagnostics.add(schedule.location,
                        fmt::format("schedule of job {} leaves required param {} unset; set it under "
                                    "schedule.params",
                                    quote(job.name), quote(param.name)));
    }
    if (job.name.size() > k_max_scheduled_name_length) {
        diagnostics.add(
            job.location,
            fmt::format("scheduled job name {} must be at most {} characters, not {}, so that the "
                        "CronJob's Job names (NAME, \"-\" and up to 10 digits) fit in 63",
                        quote(job.name), k_max_scheduled_name_length, job.name.size()));
    }
}

std::string project_name_from_folder(const std::string& folder) {
    std::string name;
    for (const char c : folder) {
        const bool alphanumeric = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        name += alphanumeric || c == '-' || c == '_' || c == '.' ? c : '-';
    }
    if (name.size() > 63) name.resize(63);
    const auto is_alphanumeric = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    while (!name.empty() && !is_alphanumeric(name.back()))
        name.pop_back();
    std::size_t start = 0;
    while (start < name.size() && !is_alphanumeric(name[start]))
        ++start;
    name = name.substr(start);
    return name.empty() ? std::string("kq") : name;
}

nlohmann::json render_cronjob(const Project& project, const JobDef& job, const RenderRequest& request) {
    if (!job.schedule) {
        fail(ErrorKind::usage, "job {} has no schedule; add one such as schedule: \"0 3 * * *\" to it in {}",
             quote(job.name), project.file);
    }
    const ScheduleDef& schedule = *job.schedule;
    RenderRequest job_request = request;
    job_request.params = schedule.params;
    job_request.name.reset();
    nlohmann::json rendered = render_job(job, job_request);
    nlohmann::json& job_metadata = rendered["metadata"];

    nlohmann::json template_metadata = {{"labels", job_metadata["labels"]}};
    template_metadata["labels"][std::string(k_label_project)] = project.name;
    template_metadata["labels"][std::string(k_label_schedule)] = job.name;
    if (job_metadata.contains("annotations")) template_metadata["annotations"] = job_metadata["annotations"];

    nlohmann::json metadata = {{"name", job.name}, {"labels", template_metadata["labels"]}};
    metadata["labels"].erase(std::string(k_label_spec_hash));
    if (job_metadata.contains("namespace")) metadata["namespace"] = job_metadata["namespace"];
    if (job_metadata.contains("annotations")) metadata["annotations"] = job_metadata["annotations"];

    nlohmann::json spec = {{"schedule", schedule.cron}, {"concurrencyPolicy", schedule.concurrency_policy}};
    if (!schedule.time_zone.empty()) spec["timeZone"] = schedule.time_zone;
    if (schedule.starting_deadline_seconds)
        spec["startingDeadlineSeconds"] = *schedule.starting_deadline_seconds;
    if (schedule.successful_jobs_history_limit)
        spec["successfulJobsHistoryLimit"] = *schedule.successful_jobs_history_limit;
    if (schedule.failed_jobs_history_limit)
        spec["failedJobsHistoryLimit"] = *schedule.failed_jobs_history_limit;
    // Only a suspended schedule owns the field, so `kq suspend --schedule` is not undone by the next apply.
    if (schedule.suspend) spec["suspend"] = true;
    spec["jobTemplate"] = {{"metadata", std::move(template_metadata)}, {"spec", std::move(rendered["spec"])}};
    return {{"apiVersion", "batch/v1"},
            {"kind", "CronJob"},
            {"metadata", std::move(metadata)},
            {"spec", std::move(spec)}};
}

std::vector<const JobDef*> scheduled_jobs(const Project& project, const std::vector<std::string>& names) {
    std::vector<const JobDef*> picked;
    if (names.empty()) {
        for (const JobDef& job : project.jobs) {
            if (job.schedule) picked.push_back(&job);
        }
        return picked;
    }
    for (const std::string& name : names) {
        const JobDef& job = require_job(project, name);
        if (!job.schedule) {
            fail(ErrorKind::usage,
                 "job {} has no schedule; add one such as schedule: \"0 3 * * *\" to it in {}",
                 quote(job.name), project.file);
        }
        picked.push_back(&job);
    }
    return picked;
}

} // namespace kq::project
