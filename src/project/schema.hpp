#pragma once

#include <span>
#include <string_view>

namespace kq::project {

// How a job key's value is written in kq.yaml, checked and rendered.
enum class FieldKind {
    text,           // a string
    choice,         // one string of a fixed set
    dns_label,      // a DNS-1123 label (namespace, container name)
    dns_subdomain,  // a DNS-1123 subdomain (service account, priority class)
    count,          // a non-negative 32-bit integer
    string_list,    // a list of strings
    name_list,      // a list of object names, rendered as [{name: N}]
    label_map,      // labels: qualified-name keys, label values, kq's keys reserved
    selector_map,   // nodeSelector: qualified-name keys, label values
    annotation_map, // annotations: qualified-name keys, any string values
    env,       // a map of variable name to string or {secretKeyRef|configMapKeyRef|fieldRef|resourceFieldRef}
    env_from,  // a list of {configMapRef|secretRef, prefix}
    resources, // {requests, limits}: maps of resource name to quantity
    object,    // any map, passed through
    list,      // any list, passed through
    params,    // the job's params, not rendered
};

// Where a key's rendered value goes in the Job manifest.
enum class FieldTarget {
    none,      // not rendered directly (description, namespace, params, podTemplate, labels)
    job_spec,  // Job .spec
    pod_spec,  // .spec.template.spec
    container, // the one container
};

// One key a job (or defaults) may set.
struct FieldSpec {
    std::string_view key;
    FieldKind kind;
    FieldTarget target;
    // The key's name in the manifest, when it differs from key.
    std::string_view manifest_key;
    // The allowed values of a choice.
    std::span<const std::string_view> choices;
};

// Every key a job may set, in the order the documentation lists them.
std::span<const FieldSpec> job_fields();

// The field called key, or nullptr.
const FieldSpec* find_job_field(std::string_view key);

// The names of every job key, for did-you-mean suggestions.
std::span<const std::string_view> job_field_names();

} // namespace kq::project
