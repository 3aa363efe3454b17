#pragma once

#include "project/project.hpp"

#include <map>
#include <optional>
#include <span>
#include <string>

namespace kq::project {

// Param values by name, as given with -p or resolved for rendering.
using ParamValues = std::map<std::string, std::string>;

// Parses -p flags ("NAME=VALUE", the value may hold further '='); throws a usage Error for a flag
// without '=' or with an empty name, and for a name given twice.
ParamValues parse_param_flags(std::span<const std::string> flags);

// Why value is not acceptable for param (pattern or enum mismatch), or nullopt when it is.
std::optional<std::string> check_param_value(const ParamDef& param, const std::string& value);

// Every param of job with its value: given, else its default, else "". Throws a usage Error for a
// name the job does not declare (listing the known ones), a required param not given, and a value
// that fails its param's pattern or enum.
ParamValues resolve_params(const JobDef& job, const ParamValues& given);

} // namespace kq::project
