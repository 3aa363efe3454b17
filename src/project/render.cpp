#include "project/render.hpp"

#include "project/fields.hpp"
#include "project/labels.hpp"
#include "project/merge.hpp"
#include "project/names.hpp"
#include "project/schema.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

#include <fmt/format.h>
#include <yaml-cpp/emitter.h>

namespace kq::project {
namespace {

// kq's labels go on the Job and on its pod template, after the project's, which may not set them.
void apply_kq_labels(nlohmann::json& labels, const std::string& job_name) {
    labels[std::string(k_label_managed_by)] = std::string(k_managed_by_value);
    labels[std::string(k_label_name)] = job_name;
    labels[std::string(k_label_definition)] = job_name;
}

std::string dump(const nlohmann::json& value, int indent) {
    // Replacing invalid UTF-8 (from the environment or -p) beats throwing in the middle of output.
    return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace

std::string spec_hash(const nlohmann::json& manifest) {
    nlohmann::json canonical = manifest;
    if (canonical.contains("metadata") && canonical["metadata"].is_object()) {
        nlohmann::json& metadata = canonical["metadata"];
        metadata.erase("name");
        metadata.erase("generateName");
        if (metadata.contains("labels") && metadata["labels"].is_object()) {
            metadata["labels"].erase(std::string(k_label_spec_hash));
        }
    }
    const nlohmann::json::json_pointer template_labels("/spec/template/metadata/labels");
    if (canonical.contains(template_labels) && canonical[template_labels].is_object()) {
        canonical[template_labels].erase(std::string(k_label_spec_hash));
    }
    return sha256_hex(dump(canonical, -1)).substr(0, 16);
}

void check_kueue_flags(const std::optional<std::string>& queue, const std::optional<std::string>& priority) {
    if (queue) {
        if (auto problem = check_dns_label(*queue)) {
            fail(ErrorKind::usage, "--queue {}: invalid LocalQueue name: {}", quote(*queue), *problem);
        }
    }
    if (priority) {
        if (auto problem = check_dns_label(*priority)) {
            fail(ErrorKind::usage, "--priority {}: invalid WorkloadPriorityClass name: {}", quote(*priority),
                 *problem);
        }
    }
}

nlohmann::json render_job(const JobDef& job, const RenderRequest& request) {
    if (request.name) {
        if (auto problem = check_dns_label(*request.name)) {
            fail(ErrorKind::usage, "--name {}: invalid Job name: {}", quote(*request.name), *problem);
        }
    }
    check_kueue_flags(request.queue, request.priority);
    if (request.namespace_override) {
        if (auto problem = check_dns_label(*request.namespace_override)) {
            fail(ErrorKind::usage, "-n {}: invalid namespace: {}", quote(*request.namespace_override),
                 *problem);
        }
    }
    const ParamValues values = resolve_params(job, request.params);
    const TemplateValues template_values{&values, request.env};
    Diagnostics diagnostics;
    FieldConverter converter(ConvertMode::render, fmt::format("job {}", quote(job.name)), &template_values,
                             diagnostics);

    nlohmann::json container = {{"name", job.name}};
    nlohmann::json job_spec = nlohmann::json::object();
    nlohmann::json pod_spec = {{"restartPolicy", "Never"}};
    nlohmann::json labels = nlohmann::json::object();
    nlohmann::json annotations = nlohmann::json::object();
    std::optional<nlohmann::json> pod_template;
    std::optional<nlohmann::json> job_spec_overlay;
    nlohmann::json init_containers = nlohmann::json::array();
    nlohmann::json sidecars = nlohmann::json::array();
    std::optional<std::string> job_namespace = job.namespace_name;
    std::optional<std::string> queue = request.queue;
    std::optional<std::string> priority = request.priority;
    for (const SourceEntry& entry : job.spec.entries) {
        const FieldSpec* field = find_job_field(entry.key);
        if (field == nullptr) continue;
        std::optional<nlohmann::json> value = converter.convert(*field, entry.value);
        if (!value) continue;
        if (entry.key == "namespace") {
            job_namespace = value->get<std::string>();
        } else if (entry.key == "labels") {
            labels = std::move(*value);
        } else if (entry.key == "annotations") {
            annotations = std::move(*value);
        } else if (entry.key == "queue") {
            if (!queue) queue = value->get<std::string>();
        } else if (entry.key == "workloadPriorityClass") {
            if (!priority) priority = value->get<std::string>();
        } else if (entry.key == "containerName") {
            container["name"] = std::move(*value);
        } else if (entry.key == "podTemplate") {
            // The template's metadata and labels must stay maps, or kq's labels would have nowhere to go.
            const SourceNode* metadata = entry.value.find("metadata");
            const SourceNode* template_labels = metadata != nullptr ? metadata->find("labels") : nullptr;
            if (metadata != nullptr && metadata->kind != NodeKind::map) {
                diagnostics.add(metadata->location,
                                fmt::format("podTemplate.metadata in {} must be a map", converter.owner()));
            } else if (template_labels != nullptr && template_labels->kind != NodeKind::map) {
                diagnostics.add(
                    template_labels->location,
                    fmt::format("podTemplate.metadata.labels in {} must be a map", converter.owner()));
            }
            pod_template = std::move(*value);
        } else if (entry.key == "jobSpec") {
            job_spec_overlay = std::move(*value);
        } else if (entry.key == "initContainers") {
            init_containers = std::move(*value);
        } else if (entry.key == "sidecars") {
            sidecars = std::move(*value);
        } else if (field->target == FieldTarget::job_spec) {
            job_spec[std::string(field->manifest_key)] = std::move(*value);
        } else if (field->target == FieldTarget::pod_spec) {
            pod_spec[std::string(field->manifest_key)] = std::move(*value);
        } else if (field->target == FieldTarget::container) {
            container[std::string(field->manifest_key)] = std::move(*value);
        }
    }
    diagnostics.throw_if_any();

    if (!request.extra_args.empty()) {
        nlohmann::json& args = container["args"];
        if (!args.is_array()) args = nlohmann::json::array();
        for (const std::string& arg : request.extra_args)
            args.push_back(arg);
    }
    // Init containers run first, in order; then the sidecars (native sidecars: init containers that
    // restart Always) start and keep running beside the main container. Without an image of their own
    // they take the job's.
    for (nlohmann::json& sidecar : sidecars)
        sidecar["restartPolicy"] = "Always";
    nlohmann::json all_init = std::move(init_containers);
    for (nlohmann::json& sidecar : sidecars)
        all_init.push_back(std::move(sidecar));
    for (nlohmann::json& init : all_init) {
        if (!init.contains("image") && container.contains("image")) init["image"] = container["image"];
    }
    if (!all_init.empty()) pod_spec["initContainers"] = std::move(all_init);
    pod_spec["containers"] = nlohmann::json::array({std::move(container)});

    apply_kq_labels(labels, job.name);
    nlohmann::json pod_metadata = {{"labels", labels}};
    if (!annotations.empty()) pod_metadata["annotations"] = annotations;
    nlohmann::json pod_template_spec = {{"metadata", std::move(pod_metadata)}, {"spec", std::move(pod_spec)}};
    if (pod_template) {
        merge_json(pod_template_spec, *pod_template);
        // podTemplate may not take kq's labels away: they select the Job's pods.
        if (!pod_template_spec["metadata"]["labels"].is_object()) {
            pod_template_spec["metadata"]["labels"] = nlohmann::json::object();
        }
        apply_kq_labels(pod_template_spec["metadata"]["labels"], job.name);
    }
    // jobSpec (which may not set template or selector) is merged over the rendered spec, for fields
    // kq does not model yet.
    if (job_spec_overlay) merge_json(job_spec, *job_spec_overlay);
    job_spec["template"] = std::move(pod_template_spec);

    nlohmann::json metadata = {{"labels", labels}};
    if (!annotations.empty()) metadata["annotations"] = annotations;
    // A queued Job is created suspended, and Kueue admits it (unsuspends it) when its quota allows.
    if (queue) {
        metadata["labels"][std::string(k_label_kueue_queue)] = *queue;
        job_spec["suspend"] = true;
    }
    if (priority) metadata["labels"][std::string(k_label_kueue_priority)] = *priority;
    if (request.name) {
        metadata["name"] = *request.name;
    } else {
        metadata["generateName"] = job.name + "-";
    }
    std::optional<std::string> name_space = request.namespace_override;
    if (!name_space) name_space = job_namespace;
    if (!name_space) name_space = request.default_namespace;
    if (name_space) metadata["namespace"] = *name_space;

    nlohmann::json manifest = {{"apiVersion", "batch/v1"},
                               {"kind", "Job"},
                               {"metadata", std::move(metadata)},
                               {"spec", std::move(job_spec)}};
    const std::string hash = spec_hash(manifest);
    manifest["metadata"]["labels"][std::string(k_label_spec_hash)] = hash;
    manifest["spec"]["template"]["metadata"]["labels"][std::string(k_label_spec_hash)] = hash;
    return manifest;
}

namespace {

bool is_plain_safe_start(char c) { return !(c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')); }

// True when a plain (unquoted) scalar with this text could be read back as something other than a
// string by YAML 1.1 or 1.2 readers (kubectl's included): numbers, booleans, null, timestamps.
bool needs_quotes(const std::string& text) {
    if (text.empty()) return true;
    static const char* const k_words[] = {"y",   "yes",  "n", "no",   "true", "false", "on",
                                          "off", "null", "~", ".inf", ".nan", "<<",    "="};
    const std::string lowered = lower(text);
    for (const char* word : k_words) {
        if (lowered == word) return true;
    }
    if (is_plain_safe_start(text[0])) return false;
    // Starts like a number: quote unless a character no number, date or time contains shows it is text.
    for (const char c : lowered) {
        const bool numeric = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == 'x' || c == 'o' ||
                             c == '+' || c == '-' || c == '.' || c == '_' || c == ':' || c == 't' ||
                             c == 'z' || c == ' ' || c == 'i' || c == 'n';
        if (!numeric) return false;
    }
    return true;
}

// True when yaml-cpp's literal block ("|") reads back as exactly text: the emitter always writes
// "|" (one final newline kept) and no indentation indicator, so the text must end in exactly one
// newline, no line may start with a space, and every character must be printable.
bool fits_literal_block(const std::string& text) {
    if (text.size() < 2 || text.back() != '\n' || text[text.size() - 2] == '\n') return false;
    bool line_start = true;
    for (const char c : text) {
        if (line_start && (c == ' ' || c == '\t' || c == '\n')) return false;
        if (c != '\n' && (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)) return false;
        line_start = c == '\n';
    }
    return true;
}

void emit(YAML::Emitter& out, const nlohmann::json& value) {
    switch (value.type()) {
    case nlohmann::json::value_t::object:
        out << YAML::BeginMap;
        for (const auto& [key, item] : value.items()) {
            out << YAML::Key;
            if (needs_quotes(key)) out << YAML::DoubleQuoted;
            out << key << YAML::Value;
            emit(out, item);
        }
        out << YAML::EndMap;
        return;
    case nlohmann::json::value_t::array:
        out << YAML::BeginSeq;
        for (const nlohmann::json& item : value)
            emit(out, item);
        out << YAML::EndSeq;
        return;
    case nlohmann::json::value_t::string: {
        const std::string& text = value.get_ref<const std::string&>();
        if (needs_quotes(text)) out << YAML::DoubleQuoted;
        // Multi-line scripts read best as literal blocks, as kubectl prints them.
        else if (fits_literal_block(text))
            out << YAML::Literal;
        out << text;
        return;
    }
    case nlohmann::json::value_t::null: out << YAML::Null; return;
    case nlohmann::json::value_t::boolean: out << value.get<bool>(); return;
    case nlohmann::json::value_t::number_integer: out << value.get<long long>(); return;
    case nlohmann::json::value_t::number_unsigned: out << value.get<unsigned long long>(); return;
    // The emitter writes any text as given; JSON's shortest round-trip form is the right text for a float.
    case nlohmann::json::value_t::number_float: out << value.dump(); return;
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded: out << YAML::Null; return;
    }
}

} // namespace

std::string to_yaml(const nlohmann::json& manifest) {
    YAML::Emitter out;
    out.SetIndent(2);
    out.SetNullFormat(YAML::LowerNull);
    out.SetBoolFormat(YAML::TrueFalseBool);
    out.SetBoolFormat(YAML::LowerCase);
    emit(out, manifest);
    std::string text = out.c_str();
    if (text.empty() || text.back() != '\n') text += '\n';
    return text;
}

std::string to_json_text(const nlohmann::json& manifest) { return dump(manifest, 4) + "\n"; }

} // namespace kq::project
