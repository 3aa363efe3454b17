#include "project/params.hpp"

#include "util/error.hpp"
#include "util/pattern.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

namespace kq::project {

ParamValues parse_param_flags(std::span<const std::string> flags) {
    ParamValues values;
    for (const std::string& flag : flags) {
        const std::size_t equals = flag.find('=');
        if (equals == std::string::npos || equals == 0) {
            fail(ErrorKind::usage, "-p {}: expected NAME=VALUE, e.g. -p who=world", quote(flag));
        }
        const std::string name = flag.substr(0, equals);
        if (!values.emplace(name, flag.substr(equals + 1)).second) {
            fail(ErrorKind::usage, "-p {}: param {} is given twice; give it once", quote(flag), quote(name));
        }
    }
    return values;
}

std::optional<std::string> check_param_value(const ParamDef& param, const std::string& value) {
    if (!param.choices.empty()) {
        bool known = false;
        for (const std::string& choice : param.choices)
            known = known || choice == value;
        if (!known) {
            std::string message = fmt::format("is not one of {}", join_quoted(param.choices));
            if (auto suggestion = closest_match(value, param.choices)) {
                message += fmt::format("; did you mean {}?", quote(*suggestion));
            }
            return message;
        }
    }
    if (param.pattern) {
        const Pattern pattern = Pattern::compile(*param.pattern);
        // An invalid pattern is reported where it is written; the loader keeps such a job from rendering.
        if (!pattern.valid())
            return fmt::format("has the invalid pattern {}: {}", quote(*param.pattern), pattern.error());
        if (value.size() > Pattern::k_max_input_length) {
            return fmt::format("is {} characters long; values checked against a pattern may have at most {}",
                               value.size(), Pattern::k_max_input_length);
        }
        if (!pattern.search(value))
            return fmt::format("does not match the pattern {}", quote(*param.pattern));
    }
    return std::nullopt;
}

ParamValues resolve_params(const JobDef& job, const ParamValues& given) {
    std::vector<std::string> known;
    for (const ParamDef& param : job.params)
        known.push_back(param.name);
    for (const auto& [name, value] : given) {
        if (job.find_param(name) != nullptr) continue;
        const std::string flag = fmt::format("-p {}", quote(name + "=" + value));
        if (known.empty()) fail(ErrorKind::usage, "{}: job {} takes no params", flag, quote(job.name));
        std::string hint;
        if (auto suggestion = closest_match(name, known))
            hint = fmt::format("did you mean {}? ", quote(*suggestion));
        fail(ErrorKind::usage, "{}: unknown param {} for job {}; {}known params: {}", flag, quote(name),
             quote(job.name), hint, join(known, ", "));
    }
    ParamValues values;
    for (const ParamDef& param : job.params) {
        const auto found = given.find(param.name);
        if (found == given.end()) {
            if (param.required) {
                fail(ErrorKind::usage, "job {} needs param {}; pass -p {}=VALUE", quote(job.name),
                     quote(param.name), param.name);
            }
            values[param.name] = param.default_value.value_or("");
            continue;
        }
        if (auto problem = check_param_value(param, found->second)) {
            fail(ErrorKind::usage, "-p {}: param {} of job {} {}", quote(param.name + "=" + found->second),
                 quote(param.name), quote(job.name), *problem);
        }
        values[param.name] = found->second;
    }
    return values;
}

} // namespace kq::project
