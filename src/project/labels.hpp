#pragma once

#include <string_view>

namespace kq::project {

// The labels kq sets on every Job it renders and on the Job's pod template.

// Always "kq": marks objects kq created.
inline constexpr std::string_view k_label_managed_by = "app.kubernetes.io/managed-by";
// The job definition's name, by the common Kubernetes convention.
inline constexpr std::string_view k_label_name = "app.kubernetes.io/name";
// The job definition's name again, under kq's own prefix, to select a definition's Jobs reliably.
inline constexpr std::string_view k_label_definition = "kq.dev/definition";
// The first 16 hex digits of the SHA-256 of the rendered manifest (without its name), so equal
// renders can be recognised (idempotency).
inline constexpr std::string_view k_label_spec_hash = "kq.dev/spec-hash";
// The id of one `kq submit` (12 hex digits), on each of its Jobs and their pods, so that kq can follow
// all of them through one watch of the collection; set when the Job is created, not in the spec hash.
inline constexpr std::string_view k_label_submission = "kq.dev/submission";
// Kueue's label naming the LocalQueue a Job waits in; kq also creates such a Job suspended, for Kueue to
// admit (unsuspend) when its ClusterQueue has quota.
inline constexpr std::string_view k_label_kueue_queue = "kueue.x-k8s.io/queue-name";
// Kueue's label naming the Job's WorkloadPriorityClass.
inline constexpr std::string_view k_label_kueue_priority = "kueue.x-k8s.io/priority-class";
// Labels and annotations under this prefix belong to kq.
inline constexpr std::string_view k_reserved_prefix = "kq.dev/";
// The value of k_label_managed_by.
inline constexpr std::string_view k_managed_by_value = "kq";

} // namespace kq::project
