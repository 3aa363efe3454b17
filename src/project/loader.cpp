#include "project/loader.hpp"

#include "project/fields.hpp"
#include "project/job_rules.hpp"
#include "project/merge.hpp"
#include "project/names.hpp"
#include "project/params.hpp"
#include "project/schedule.hpp"
#include "project/schema.hpp"
#include "project/templating.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/pattern.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>

namespace kq::project {

const ParamDef* JobDef::find_param(std::string_view param_name) const {
    for (const ParamDef& param : params) {
        if (param.name == param_name) return &param;
    }
    return nullptr;
}

const JobDef* Project::find_job(std::string_view job_name) const {
    for (const JobDef& job : jobs) {
        if (job.name == job_name) return &job;
    }
    return nullptr;
}

std::vector<std::string> Project::job_names() const {
    std::vector<std::string> names;
    for (const JobDef& job : jobs)
        names.push_back(job.name);
    return names;
}

namespace {

// check_values is false when the params were checked already and only their model is wanted: it
// skips compiling patterns, the costliest part of loading a large project.
std::vector<ParamDef> parse_params(const SourceNode& node, FieldConverter& converter, bool check_values,
                                   Diagnostics& diagnostics) {
    std::vector<ParamDef> params;
    if (node.kind == NodeKind::null) return params;
    if (node.kind != NodeKind::map) {
        diagnostics.add(node.location,
                        fmt::format("params in {} must be a map of param names to "
                                    "{{default, required, description, pattern, enum}}, not {}",
                                    converter.owner(), describe_kind(node)));
        return params;
    }
    for (const SourceEntry& entry : node.entries) {
        ParamDef param;
        param.name = entry.key;
        param.location = entry.key_location;
        const std::string where = fmt::format("param {} in {}", quote(entry.key), converter.owner());
        if (auto problem = check_param_name(entry.key)) {
            diagnostics.add(entry.key_location, fmt::format("invalid param name {} in {}: {}",
                                                            quote(entry.key), converter.owner(), *problem));
            continue;
        }
        const SourceNode& spec = entry.value;
        if (spec.kind != NodeKind::map && spec.kind != NodeKind::null) {
            diagnostics.add(spec.location, fmt::format("{} must be a map such as {{default: VALUE}}, not {}",
                                                       where, describe_kind(spec)));
            continue;
        }
        converter.check_keys(spec, k_param_keys, fmt::format("params.{}", entry.key));
        if (const SourceNode* value = spec.find("default")) {
            if (value->kind == NodeKind::map || value->kind == NodeKind::sequence) {
                diagnostics.add(value->location, fmt::format("default of {} must be a string, not {}", where,
                                                             describe_kind(*value)));
            } else {
                param.default_value = scalar_type(*value) == ScalarType::null ? std::string() : value->text;
            }
        }
        if (const SourceNode* value = spec.find("required")) {
            if (value->kind != NodeKind::scalar || scalar_type(*value) != ScalarType::boolean) {
                diagnostics.add(value->location, fmt::format("required of {} must be true or false, not {}",
                                                             where, describe_kind(*value)));
            } else {
                param.required = value->text[0] == 't' || value->text[0] == 'T';
            }
        }
        if (const SourceNode* value = spec.find("description")) {
            if (auto text = converter.text(*value, fmt::format("params.{}.description", entry.key))) {
                param.description = *text;
            }
        }
        bool pattern_ok = true;
        if (const SourceNode* value = spec.find("pattern")) {
            if (value->kind != NodeKind::scalar || scalar_type(*value) == ScalarType::null) {
                diagnostics.add(value->location, fmt::format("pattern of {} must be a string, not {}", where,
                                                             describe_kind(*value)));
                pattern_ok = false;
            } else {
                const Pattern pattern = check_values ? Pattern::compile(value->text) : Pattern::compile("");
                if (!pattern.valid()) {
                    diagnostics.add(value->location, fmt::format("invalid pattern {} of {}: {}",
                                                                 quote(value->text), where, pattern.error()));
                    pattern_ok = false;
                }
                param.pattern = value->text;
            }
        }
        if (const SourceNode* value = spec.find("enum")) {
            if (value->kind != NodeKind::sequence || value->items.empty()) {
                diagnostics.add(value->location,
                                fmt::format("enum of {} must be a non-empty list of values", where));
            } else {
                for (const SourceNode& item : value->items) {
                    if (item.kind != NodeKind::scalar) {
                        diagnostics.add(item.location, fmt::format("enum of {} must list strings, not {}",
                                                                   where, describe_kind(item)));
                        continue;
                    }
                    param.choices.push_back(item.text);
                }
            }
        }
        if (param.required && param.default_value) {
            diagnostics.add(entry.key_location,
                            fmt::format("{} is required and has a default; drop one", where));
        }
        if (param.default_value && pattern_ok && check_values) {
            if (auto problem = check_param_value(param, *param.default_value)) {
                diagnostics.add(
                    spec.find("default")->location,
                    fmt::format("default {} of {} {}", quote(*param.default_value), where, *problem));
            }
        }
        params.push_back(std::move(param));
    }
    return params;
}

// What to do instead of setting a job-only key in defaults.
std::string_view job_only_advice(std::string_view key) {
    if (key == "schedule") return "schedule each job instead";
    return "describe each job instead";
}

// Checks a section (defaults or one job) against the schema; fields holding templates are checked
// again, expanded, when rendered.
void check_section(const SourceNode& section, FieldConverter& converter, Diagnostics& diagnostics,
                   bool is_defaults) {
    converter.check_keys(section, job_field_names(), "");
    for (const SourceEntry& entry : section.entries) {
        const FieldSpec* field = find_job_field(entry.key);
        if (field == nullptr) continue;
        if (is_defaults &&
            std::find(k_job_only_keys.begin(), k_job_only_keys.end(), entry.key) != k_job_only_keys.end()) {
            diagnostics.add(entry.key_location, fmt::format("{} cannot be set in defaults; {}", entry.key,
                                                            job_only_advice(entry.key)));
            continue;
        }
        // A job's schedule is read with the job (parse_job), where its params are known.
        if (field->kind == FieldKind::schedule) continue;
        if (field->kind == FieldKind::params) {
            parse_params(entry.value, converter, true, diagnostics);
            continue;
        }
        converter.convert(*field, entry.value);
    }
}

// True when a string in node holds "{{".
bool contains_template(const SourceNode& node) {
    if (node.kind == NodeKind::scalar) return is_template(node.text);
    for (const SourceEntry& entry : node.entries) {
        if (contains_template(entry.value)) return true;
    }
    for (const SourceNode& item : node.items) {
        if (contains_template(item)) return true;
    }
    return false;
}

// Reports {{ params.NAME }} references to params the job does not declare.
void check_references(const SourceNode& node, const JobDef& job, Diagnostics& diagnostics) {
    switch (node.kind) {
    case NodeKind::null: return;
    case NodeKind::map:
        for (const SourceEntry& entry : node.entries)
            check_references(entry.value, job, diagnostics);
        return;
    case NodeKind::sequence:
        for (const SourceNode& item : node.items)
            check_references(item, job, diagnostics);
        return;
    case NodeKind::scalar: break;
    }
    if (!is_template(node.text)) return;
    std::string error;
    const std::vector<TemplatePart> parts = parse_template(node.text, error);
    std::set<std::string> reported;
    for (const TemplatePart& part : parts) {
        if (part.kind != TemplatePart::Kind::param || job.find_param(part.value) != nullptr) continue;
        if (!reported.insert(part.value).second) continue;
        std::vector<std::string> known;
        for (const ParamDef& param : job.params)
            known.push_back(param.name);
        std::string message = fmt::format("unknown param {} in job {}", quote(part.value), quote(job.name));
        if (known.empty()) {
            message += fmt::format("; declare it under \"params\": {}: {{default: VALUE}}", part.value);
        } else {
            if (auto suggestion = closest_match(part.value, known)) {
                message += fmt::format("; did you mean {}?", quote(*suggestion));
            }
            message += fmt::format(" known params: {}", join(known, ", "));
        }
        diagnostics.add(node.location, std::move(message));
    }
}

// Renders a job's values with its params' defaults, so that a default which makes a number, name or
// quantity invalid is found by validate, not by the first render. Values that need the environment
// or a param without a default are left to render.
void try_defaults(const JobDef& job, Diagnostics& diagnostics) {
    std::map<std::string, std::string> values;
    for (const ParamDef& param : job.params) {
        if (param.default_value) values[param.name] = *param.default_value;
        if (!param.default_value && !param.required) values[param.name] = "";
    }
    const TemplateValues template_values{&values, {}};
    FieldConverter converter(ConvertMode::trial, fmt::format("job {}", quote(job.name)), &template_values,
                             diagnostics);
    for (const SourceEntry& entry : job.spec.entries) {
        const FieldSpec* field = find_job_field(entry.key);
        if (field == nullptr || !contains_template(entry.value)) continue;
        converter.convert(*field, entry.value);
    }
}

void parse_job(const SourceEntry& entry, const SourceNode& defaults, Project& project,
               Diagnostics& diagnostics) {
    const std::size_t problems_before = diagnostics.size();
    JobDef job;
    job.name = entry.key;
    job.location = entry.key_location;
    const std::string owner = fmt::format("job {}", quote(entry.key));
    if (auto problem = check_dns_label(entry.key, k_max_job_name_length)) {
        if (entry.key.size() > k_max_job_name_length && entry.key.size() <= 63 &&
            !check_dns_label(entry.key)) {
            problem = fmt::format("must be at most {} characters, not {}, so that the Job's generated name "
                                  "(NAME, \"-\" and 5 random characters) fits in 63",
                                  k_max_job_name_length, entry.key.size());
        }
        diagnostics.add(entry.key_location,
                        fmt::format("invalid job name {}: {}", quote(entry.key), *problem));
    }
    SourceNode section = entry.value;
    if (section.kind == NodeKind::null) {
        section.kind = NodeKind::map;
    } else if (section.kind != NodeKind::map) {
        diagnostics.add(section.location,
                        fmt::format("{} must be a map of job keys such as image and command, not {}", owner,
                                    describe_kind(section)));
        return;
    }
    FieldConverter converter(ConvertMode::check, owner, nullptr, diagnostics);
    check_section(section, converter, diagnostics, false);

    const SourceNode merged = merge_job_over_defaults(defaults, section);
    // Requests may come from defaults and limits from the job (or the other way round): when both set
    // resources and each is fine alone, the merged pair is checked once more.
    const SourceNode* own_resources = section.find("resources");
    const SourceNode* inherited_resources = defaults.find("resources");
    if (own_resources && inherited_resources && diagnostics.size() == problems_before) {
        const FieldSpec& resources_field = *find_job_field("resources");
        Diagnostics inherited_problems;
        FieldConverter quiet(ConvertMode::check, "defaults", nullptr, inherited_problems);
        quiet.convert(resources_field, *inherited_resources);
        if (inherited_problems.size() == 0) converter.convert(resources_field, *merged.find("resources"));
    }
    if (const SourceNode* description = section.find("description")) {
        if (description->kind == NodeKind::scalar) job.description = description->text;
    }
    job.namespace_name = project.namespace_name;
    if (const SourceNode* name_space = merged.find("namespace")) {
        if (name_space->kind == NodeKind::scalar) job.namespace_name = name_space->text;
    }
    if (const SourceNode* params = merged.find("params")) {
        // Problems were reported per section above; parsing the merged params again must not repeat them.
        Diagnostics repeated;
        FieldConverter quiet(ConvertMode::check, owner, nullptr, repeated);
        job.params = parse_params(*params, quiet, false, repeated);
    }
    if (const SourceNode* payload = merged.find("payload")) {
        Diagnostics repeated;
        FieldConverter quiet(ConvertMode::check, owner, nullptr, repeated);
        if (auto converted = quiet.convert(*find_job_field("payload"), *payload))
            job.payload = payload_def(*converted);
    }
    job.spec.kind = NodeKind::map;
    job.spec.location = merged.location;
    for (const SourceEntry& field : merged.entries) {
        if (field.key == "description" || field.key == "params" || field.key == "schedule") continue;
        if (find_job_field(field.key) == nullptr) continue;
        job.spec.entries.push_back(field);
    }
    if (const SourceNode* schedule = section.find("schedule")) {
        job.schedule = parse_schedule(*schedule, converter, diagnostics);
        check_schedule_params(job, diagnostics);
    }
    // A misspelt "image" already has its own message; "no image" would only repeat it.
    bool image_misspelt = false;
    for (const SourceEntry& field : section.entries) {
        if (find_job_field(field.key) != nullptr) continue;
        image_misspelt = image_misspelt || closest_match(field.key, job_field_names()) == "image";
    }
    if (job.spec.find("image") == nullptr && !image_misspelt) {
        diagnostics.add(entry.key_location,
                        fmt::format("{} has no image; set \"image\" in the job or in defaults", owner));
    }
    if (diagnostics.size() == problems_before) check_job_rules(merged, job.name, owner, diagnostics);
    check_references(job.spec, job, diagnostics);
    if (diagnostics.size() == problems_before) try_defaults(job, diagnostics);
    project.jobs.push_back(std::move(job));
}

} // namespace

Project parse_project(std::string_view text, const std::string& file, Diagnostics& diagnostics,
                      const std::filesystem::path& directory) {
    Project project;
    project.file = file;
    project.directory = directory;
    const SourceNode root = parse_yaml(text, file, diagnostics);
    if (root.kind == NodeKind::null && !diagnostics.empty()) return project;
    if (root.kind != NodeKind::map) {
        const Location where = root.location.line > 0 ? root.location : Location{file, 1, 1};
        diagnostics.add(where,
                        fmt::format("the project file must be a map with \"version\" and \"jobs\", not {}",
                                    describe_kind(root)));
        return project;
    }
    FieldConverter converter(ConvertMode::check, "the project file", nullptr, diagnostics);
    converter.check_keys(root, k_project_keys, "");

    const SourceNode* version = root.find("version");
    if (version == nullptr) {
        diagnostics.add({file, 1, 1}, "missing \"version\"; start the file with \"version: 1\"");
    } else if (version->kind != NodeKind::scalar || scalar_type(*version) != ScalarType::integer ||
               version->text != "1") {
        // A file of another version may mean anything, so nothing more is checked.
        diagnostics.add(
            version->location,
            fmt::format("unsupported version {}; this kq reads version {}",
                        version->kind == NodeKind::scalar ? quote(version->text) : describe_kind(*version),
                        k_project_version));
        return project;
    }

    if (const SourceNode* name_space = root.find("namespace")) {
        if (auto value = converter.convert(*find_job_field("namespace"), *name_space)) {
            project.namespace_name = value->get<std::string>();
        }
    }

    if (const SourceNode* name = root.find("name")) {
        if (auto value = converter.text(*name, "name")) {
            if (auto problem = check_label_value(*value)) {
                diagnostics.add(name->location, fmt::format("invalid name {} of the project file: {}; it is "
                                                            "the value of the label kq.dev/project",
                                                            quote(*value), *problem));
            }
            project.name = *value;
        }
    } else {
        std::error_code error;
        std::filesystem::path folder =
            std::filesystem::absolute(directory.empty() ? "." : directory, error).lexically_normal();
        if (folder.filename().empty()) folder = folder.parent_path();
        project.name = project_name_from_folder(folder.filename().string());
    }

    SourceNode defaults;
    defaults.kind = NodeKind::map;
    if (const SourceNode* section = root.find("defaults")) {
        if (section->kind == NodeKind::map) {
            defaults = *section;
            FieldConverter defaults_converter(ConvertMode::check, "defaults", nullptr, diagnostics);
            check_section(defaults, defaults_converter, diagnostics, true);
        } else if (section->kind != NodeKind::null) {
            diagnostics.add(section->location, fmt::format("defaults must be a map of job keys, not {}",
                                                           describe_kind(*section)));
        }
    }

    const SourceNode* jobs = root.find("jobs");
    if (jobs == nullptr) {
        diagnostics.add({file, 1, 1}, "missing \"jobs\"; add a \"jobs:\" map of job definitions");
        return project;
    }
    if (jobs->kind == NodeKind::null) return project;
    if (jobs->kind != NodeKind::map) {
        diagnostics.add(jobs->location, fmt::format("jobs must be a map of job names to definitions, not {}",
                                                    describe_kind(*jobs)));
        return project;
    }
    for (const SourceEntry& entry : jobs->entries)
        parse_job(entry, defaults, project, diagnostics);
    return project;
}

Project load_project(std::string_view text, const std::string& file, const std::filesystem::path& directory) {
    Diagnostics diagnostics;
    Project project = parse_project(text, file, diagnostics, directory);
    diagnostics.throw_if_any();
    return project;
}

std::string read_project_file(const std::filesystem::path& path, const std::string& display_name) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        fail(ErrorKind::usage, "{}: is a folder, not a project file; name the kq.yaml inside it",
             display_name);
    }
    return read_file(path, display_name, k_max_project_bytes);
}

} // namespace kq::project
