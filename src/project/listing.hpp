#pragma once

#include "project/project.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace kq::project {

// The job called name; throws a usage Error naming the known jobs (and the closest) when there is none.
const JobDef& require_job(const Project& project, std::string_view name);

// The job definitions as a table for `kq jobs`: NAME, DESCRIPTION, PARAMS.
std::string jobs_table(const Project& project);

// The job definitions as JSON for `kq jobs -o json`: an array of {name, description, params}.
nlohmann::json jobs_json(const Project& project);

// Diagnostics as JSON for `kq validate -o json`: an array of {file, line, column, message}.
nlohmann::json diagnostics_json(const std::vector<Diagnostic>& diagnostics);

} // namespace kq::project
