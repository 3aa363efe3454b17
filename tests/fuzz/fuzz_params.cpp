// libFuzzer target: the params and templating code of kq render, from bytes: -p flag parsing, param
// resolution with defaults, required params, enums and patterns (util/pattern's guarded std::regex),
// and {{ params.X }} / {{ env.X }} / {{ "literal" }} expansion. A kq::Error is the expected answer to
// bad input; a crash, a sanitizer report, another exception or a broken invariant is a bug.
#include "project/params.hpp"
#include "project/project.hpp"
#include "project/templating.hpp"
#include "util/error.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace {

// Stops the run with a crash libFuzzer records, when an invariant of the code under test breaks.
void require(bool condition) {
    if (!condition) __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);

    // A job with up to four params, each with what the project file may give it.
    kq::project::JobDef job;
    job.name = "fuzz";
    const int param_count = input.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < param_count; ++i) {
        kq::project::ParamDef param;
        param.name = input.ConsumeRandomLengthString(16);
        if (input.ConsumeBool()) param.default_value = input.ConsumeRandomLengthString(64);
        param.required = input.ConsumeBool();
        if (input.ConsumeBool()) param.pattern = input.ConsumeRandomLengthString(64);
        const int choices = input.ConsumeIntegralInRange(0, 3);
        for (int c = 0; c < choices; ++c)
            param.choices.push_back(input.ConsumeRandomLengthString(16));
        job.params.push_back(std::move(param));
    }

    // -p flags as the command line would pass them.
    std::vector<std::string> flags;
    const int flag_count = input.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < flag_count; ++i)
        flags.push_back(input.ConsumeRandomLengthString(64));

    // The rest is one string value of the project file.
    const std::string text = input.ConsumeRemainingBytesAsString();

    kq::project::ParamValues values;
    try {
        const kq::project::ParamValues given = kq::project::parse_param_flags(flags);
        values = kq::project::resolve_params(job, given);
        // Every declared param has a value once resolved, and only those.
        require(values.size() <= job.params.size());
        for (const kq::project::ParamDef& param : job.params)
            require(values.count(param.name) == 1);
    } catch (const kq::Error&) {
        // Malformed flags, unknown or missing params, values outside their enum or pattern.
        values.clear();
        for (const kq::project::ParamDef& param : job.params)
            values[param.name] = param.default_value.value_or("");
    }

    std::string parse_error;
    const std::vector<kq::project::TemplatePart> parts = kq::project::parse_template(text, parse_error);
    if (!kq::project::is_template(text)) {
        // Text without "{{" is plain text, whatever else it holds.
        require(parse_error.empty());
    }

    kq::project::TemplateValues template_values;
    template_values.params = &values;
    template_values.env = [](const std::string& name) -> std::optional<std::string> {
        if (name.size() % 2 == 0) return "env-" + name;
        return std::nullopt;
    };
    std::string expand_error;
    const std::optional<std::string> expanded =
        kq::project::expand_template(text, template_values, expand_error);
    require(expanded.has_value() == expand_error.empty());
    if (!kq::project::is_template(text)) require(expanded && *expanded == text);
    // A text that does not parse never expands; one that does parse fails only on a name.
    if (!parse_error.empty()) require(!expanded);
    if (parse_error.empty() && !expanded) {
        bool has_reference = false;
        for (const kq::project::TemplatePart& part : parts)
            has_reference = has_reference || part.kind != kq::project::TemplatePart::Kind::text;
        require(has_reference);
    }
    return 0;
}
