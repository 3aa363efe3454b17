#include "project/schema.hpp"

#include <array>

namespace kq::project {
namespace {

constexpr std::array<std::string_view, 3> k_pull_policies = {"Always", "IfNotPresent", "Never"};
constexpr std::array<std::string_view, 2> k_completion_modes = {"NonIndexed", "Indexed"};
// A Job's pods may not restart Always; Never is kq's default, so each failure is a new pod to inspect.
constexpr std::array<std::string_view, 2> k_restart_policies = {"Never", "OnFailure"};
constexpr std::array<std::string_view, 2> k_pod_replacement_policies = {"TerminatingOrFailed", "Failed"};

using K = FieldKind;
using T = FieldTarget;

// The schema that drives checking, unknown-key detection and rendering.
constexpr std::array k_fields = {
    FieldSpec{"description", K::text, T::none, "", {}},
    FieldSpec{"namespace", K::dns_label, T::none, "", {}},
    FieldSpec{"image", K::text, T::container, "image", {}},
    FieldSpec{"imagePullPolicy", K::choice, T::container, "imagePullPolicy", k_pull_policies},
    FieldSpec{"command", K::string_list, T::container, "command", {}},
    FieldSpec{"args", K::string_list, T::container, "args", {}},
    FieldSpec{"workingDir", K::text, T::container, "workingDir", {}},
    FieldSpec{"env", K::env, T::container, "env", {}},
    FieldSpec{"envFrom", K::env_from, T::container, "envFrom", {}},
    FieldSpec{"resources", K::resources, T::container, "resources", {}},
    FieldSpec{"backoffLimit", K::count, T::job_spec, "backoffLimit", {}},
    FieldSpec{"activeDeadlineSeconds", K::count, T::job_spec, "activeDeadlineSeconds", {}},
    FieldSpec{"ttlSecondsAfterFinished", K::count, T::job_spec, "ttlSecondsAfterFinished", {}},
    FieldSpec{"parallelism", K::count, T::job_spec, "parallelism", {}},
    FieldSpec{"completions", K::count, T::job_spec, "completions", {}},
    FieldSpec{"completionMode", K::choice, T::job_spec, "completionMode", k_completion_modes},
    FieldSpec{"backoffLimitPerIndex", K::count, T::job_spec, "backoffLimitPerIndex", {}},
    FieldSpec{"maxFailedIndexes", K::count, T::job_spec, "maxFailedIndexes", {}},
    FieldSpec{"podFailurePolicy", K::pod_failure_policy, T::job_spec, "podFailurePolicy", {}},
    FieldSpec{"successPolicy", K::success_policy, T::job_spec, "successPolicy", {}},
    FieldSpec{"podReplacementPolicy", K::choice, T::job_spec, "podReplacementPolicy",
              k_pod_replacement_policies},
    FieldSpec{"suspend", K::flag, T::job_spec, "suspend", {}},
    FieldSpec{"managedBy", K::domain_path, T::job_spec, "managedBy", {}},
    FieldSpec{"restartPolicy", K::choice, T::pod_spec, "restartPolicy", k_restart_policies},
    FieldSpec{"serviceAccountName", K::dns_subdomain, T::pod_spec, "serviceAccountName", {}},
    FieldSpec{"imagePullSecrets", K::name_list, T::pod_spec, "imagePullSecrets", {}},
    FieldSpec{"nodeSelector", K::selector_map, T::pod_spec, "nodeSelector", {}},
    FieldSpec{"tolerations", K::list, T::pod_spec, "tolerations", {}},
    FieldSpec{"affinity", K::object, T::pod_spec, "affinity", {}},
    FieldSpec{"volumes", K::list, T::pod_spec, "volumes", {}},
    FieldSpec{"volumeMounts", K::list, T::container, "volumeMounts", {}},
    FieldSpec{"securityContext", K::object, T::container, "securityContext", {}},
    FieldSpec{"initContainers", K::containers, T::none, "", {}},
    FieldSpec{"sidecars", K::containers, T::none, "", {}},
    FieldSpec{"podSecurityContext", K::object, T::pod_spec, "securityContext", {}},
    FieldSpec{"priorityClassName", K::dns_subdomain, T::pod_spec, "priorityClassName", {}},
    FieldSpec{"queue", K::dns_label, T::none, "", {}},
    FieldSpec{"workloadPriorityClass", K::dns_label, T::none, "", {}},
    FieldSpec{"labels", K::label_map, T::none, "", {}},
    FieldSpec{"annotations", K::annotation_map, T::none, "", {}},
    FieldSpec{"containerName", K::dns_label, T::none, "", {}},
    FieldSpec{"params", K::params, T::none, "", {}},
    FieldSpec{"podTemplate", K::object, T::none, "", {}},
    FieldSpec{"jobSpec", K::object, T::none, "", {}},
    FieldSpec{"schedule", K::schedule, T::none, "", {}},
    FieldSpec{"payload", K::payload, T::none, "", {}},
};

constexpr auto make_names() {
    std::array<std::string_view, k_fields.size()> names{};
    for (std::size_t i = 0; i < k_fields.size(); ++i)
        names[i] = k_fields[i].key;
    return names;
}

constexpr auto k_field_names = make_names();

} // namespace

std::span<const FieldSpec> job_fields() { return k_fields; }

const FieldSpec* find_job_field(std::string_view key) {
    for (const FieldSpec& field : k_fields) {
        if (field.key == key) return &field;
    }
    return nullptr;
}

std::span<const std::string_view> job_field_names() { return k_field_names; }

} // namespace kq::project
