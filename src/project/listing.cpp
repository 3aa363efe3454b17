#include "project/listing.hpp"

#include "util/error.hpp"
#include "util/table.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <sstream>

namespace kq::project {

const JobDef& require_job(const Project& project, std::string_view name) {
    if (const JobDef* job = project.find_job(name)) return *job;
    const std::vector<std::string> names = project.job_names();
    if (names.empty())
        fail(ErrorKind::usage, "unknown job {}: {} defines no jobs", quote(name), project.file);
    std::string hint;
    if (auto suggestion = closest_match(name, names))
        hint = fmt::format("did you mean {}? ", quote(*suggestion));
    fail(ErrorKind::usage, "unknown job {} in {}; {}known jobs: {}", quote(name), project.file, hint,
         join(names, ", "));
}

namespace {

std::string params_summary(const JobDef& job) {
    std::vector<std::string> items;
    for (const ParamDef& param : job.params) {
        if (param.required) {
            items.push_back(param.name + " (required)");
        } else {
            items.push_back(fmt::format("{}={}", param.name, param.default_value.value_or("")));
        }
    }
    return items.empty() ? "<none>" : join(items, ", ");
}

} // namespace

std::string jobs_table(const Project& project) {
    Table table({"NAME", "DESCRIPTION", "PARAMS"});
    for (const JobDef& job : project.jobs) {
        table.add_row({job.name, job.description.empty() ? "<none>" : job.description, params_summary(job)});
    }
    std::ostringstream out;
    table.print(out);
    return out.str();
}

nlohmann::json jobs_json(const Project& project) {
    nlohmann::json jobs = nlohmann::json::array();
    for (const JobDef& job : project.jobs) {
        nlohmann::json params = nlohmann::json::array();
        for (const ParamDef& param : job.params) {
            nlohmann::json item = {{"name", param.name}, {"required", param.required}};
            if (param.default_value) item["default"] = *param.default_value;
            if (!param.description.empty()) item["description"] = param.description;
            if (param.pattern) item["pattern"] = *param.pattern;
            if (!param.choices.empty()) item["enum"] = param.choices;
            params.push_back(std::move(item));
        }
        jobs.push_back({{"name", job.name}, {"description", job.description}, {"params", std::move(params)}});
    }
    return jobs;
}

nlohmann::json diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
    nlohmann::json result = nlohmann::json::array();
    for (const Diagnostic& diagnostic : diagnostics) {
        result.push_back({{"file", diagnostic.location.file},
                          {"line", diagnostic.location.line},
                          {"column", diagnostic.location.column},
                          {"message", diagnostic.message}});
    }
    return result;
}

} // namespace kq::project
