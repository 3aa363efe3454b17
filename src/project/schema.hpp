#pragma once

#include <array>
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
    flag,      // true or false
    domain_path,        // a domain-prefixed path of at most 63 characters (managedBy)
    pod_failure_policy, // {rules: [{action, onExitCodes | onPodConditions}]}
    success_policy,     // {rules: [{succeededIndexes, succeededCount}]}
    containers,         // initContainers, sidecars: a list of {name, image, ...the container's keys}
    object,             // any map, passed through
    list,               // any list, passed through
    params,             // the job's params, not rendered
    schedule,           // a cron string or {cron, timeZone, ...}: the job's CronJob, not rendered in its Job
    payload,            // {required, maxBytes, contentType, secret, env}: what payload a submit takes
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

// The keys of the maps around and inside job values that the loader checks. Where some keys must be
// set, they come first, and the comment says how many.

// The project file's top level.
inline constexpr std::array<std::string_view, 5> k_project_keys = {"version", "namespace", "defaults", "jobs",
                                                                   "name"};
// The top-level keys every project file sets.
inline constexpr std::array<std::string_view, 2> k_required_project_keys = {"version", "jobs"};
// The job keys that defaults may not set.
inline constexpr std::array<std::string_view, 2> k_job_only_keys = {"description", "schedule"};
// A schedule's map; cron is required.
inline constexpr std::array<std::string_view, 8> k_schedule_keys = {"cron",
                                                                    "timeZone",
                                                                    "concurrencyPolicy",
                                                                    "startingDeadlineSeconds",
                                                                    "successfulJobsHistoryLimit",
                                                                    "failedJobsHistoryLimit",
                                                                    "suspend",
                                                                    "params"};
// The values of a schedule's concurrencyPolicy.
inline constexpr std::array<std::string_view, 3> k_concurrency_policies = {"Allow", "Forbid", "Replace"};
// One param's map.
inline constexpr std::array<std::string_view, 5> k_param_keys = {"default", "required", "description",
                                                                 "pattern", "enum"};
// An env value's map, which sets exactly one of these.
inline constexpr std::array<std::string_view, 4> k_env_source_keys = {"secretKeyRef", "configMapKeyRef",
                                                                      "fieldRef", "resourceFieldRef"};
// secretKeyRef and configMapKeyRef; the first two are required.
inline constexpr std::array<std::string_view, 3> k_key_ref_keys = {"name", "key", "optional"};
// envFrom's configMapRef and secretRef; the first is required.
inline constexpr std::array<std::string_view, 2> k_name_ref_keys = {"name", "optional"};
// fieldRef; the first is required.
inline constexpr std::array<std::string_view, 2> k_field_ref_keys = {"fieldPath", "apiVersion"};
// resourceFieldRef; the first is required; divisor is a quantity.
inline constexpr std::array<std::string_view, 3> k_resource_field_ref_keys = {"resource", "containerName",
                                                                              "divisor"};
// One item of envFrom, which sets exactly one of the first two.
inline constexpr std::array<std::string_view, 3> k_env_from_keys = {"configMapRef", "secretRef", "prefix"};
// podFailurePolicy's map; rules is required.
inline constexpr std::array<std::string_view, 1> k_pod_failure_policy_keys = {"rules"};
// One podFailurePolicy rule; action is required, and exactly one of the other two.
inline constexpr std::array<std::string_view, 3> k_pod_failure_rule_keys = {"action", "onExitCodes",
                                                                            "onPodConditions"};
// A rule's onExitCodes; the first two are required.
inline constexpr std::array<std::string_view, 3> k_on_exit_codes_keys = {"operator", "values",
                                                                         "containerName"};
// One of a rule's onPodConditions; the first is required.
inline constexpr std::array<std::string_view, 2> k_on_pod_condition_keys = {"type", "status"};
// successPolicy's map; rules is required.
inline constexpr std::array<std::string_view, 1> k_success_policy_keys = {"rules"};
// One successPolicy rule, which sets at least one of these.
inline constexpr std::array<std::string_view, 2> k_success_rule_keys = {"succeededIndexes", "succeededCount"};
// The Job spec keys jobSpec may not set: kq renders them itself (podTemplate sets the template).
inline constexpr std::array<std::string_view, 3> k_job_spec_reserved_keys = {"template", "selector",
                                                                             "manualSelector"};
// One item of initContainers or sidecars: name is required; the rest are the main container's keys.
inline constexpr std::array<std::string_view, 11> k_container_keys = {
    "name", "image",   "imagePullPolicy", "command",      "args",           "workingDir",
    "env",  "envFrom", "resources",       "volumeMounts", "securityContext"};
// payload's map: what payload the job takes (jobs/payload.hpp delivers it); every key is optional.
inline constexpr std::array<std::string_view, 5> k_payload_keys = {"required", "maxBytes", "contentType",
                                                                   "secret", "env"};
// resources: maps of resource names to quantities.
inline constexpr std::array<std::string_view, 2> k_resources_keys = {"requests", "limits"};

} // namespace kq::project
