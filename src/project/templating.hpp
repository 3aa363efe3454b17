#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kq::project {

// Reads one environment variable: its value, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The values {{ }} expressions can read.
struct TemplateValues {
    // Every param of the job with its value (given, else its default).
    const std::map<std::string, std::string>* params = nullptr;
    // The environment; {{ env.NAME }} of an unset variable is an error.
    EnvLookup env;
};

// One piece of a template: literal text, or a reference to a param or an environment variable.
struct TemplatePart {
    enum class Kind { text, param, env };
    Kind kind = Kind::text;
    // The literal text, or the name referred to.
    std::string value;
};

// True when text holds "{{" and so is a template rather than a plain string.
bool is_template(std::string_view text);

// Splits text into parts. Expressions are {{ params.NAME }}, {{ env.NAME }} and {{ "literal" }}
// (so {{ "{{" }} writes "{{"); "}}" outside an expression is plain text. Returns the parts, or
// sets error to why the text is not a valid template.
std::vector<TemplatePart> parse_template(std::string_view text, std::string& error);

// The text with every expression replaced by its value, or nullopt with error set.
std::optional<std::string> expand_template(std::string_view text, const TemplateValues& values,
                                           std::string& error);

} // namespace kq::project
