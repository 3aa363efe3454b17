#pragma once

#include "kube/client.hpp"
#include "kube/kueue.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kq::jobs {

// The Kueue LocalQueue a Job manifest or object names (its kueue.x-k8s.io/queue-name label), or "".
std::string queue_of(const nlohmann::json& job);

// Puts a Job manifest made without rendering (a copy, a CronJob's template) in the Kueue queue and
// priority class that --queue and --priority name, and suspends it, as render_job does, when it is in a
// queue (also one it had already). Throws a usage Error for a name that is not a DNS label.
void put_in_queue(nlohmann::json& manifest, const std::optional<std::string>& queue,
                  const std::optional<std::string>& priority);

// While kq still works on a Job it created suspended (a --unique claim not yet settled, a payload not yet
// stored), Kueue must not admit it: its queue label waits in this annotation instead.
inline constexpr std::string_view k_annotation_held_queue = "kq.dev/held-queue";

// Moves a manifest's Kueue queue label, if it has one, into k_annotation_held_queue.
void hold_queue(nlohmann::json& manifest);

// Adds to `patch` what lets a suspended Job that kq held go on: its queue label back (it stays
// suspended, for Kueue to admit), or spec.suspend false when it was held from no queue.
void add_release(const nlohmann::json& job, nlohmann::json& patch);

// Checks, before anything is created, that the namespace has the LocalQueue `queue`. Throws a cluster
// Error (exit 123) that lists the namespace's LocalQueues when it does not, and says so when the
// cluster does not serve Kueue's API at all.
void require_local_queue(kube::Client& client, const std::string& namespace_name, const std::string& queue);

// For a manifest in a Kueue queue: refuses `suspend` (--suspend) with a usage Error, as Kueue resumes
// the Jobs it admits, then require_local_queue. Does nothing for a manifest in no queue.
void check_queue_target(kube::Client& client, const std::string& namespace_name,
                        const nlohmann::json& manifest, bool suspend);

// The LocalQueues of a namespace (or of every namespace when namespace_name is empty), by name.
std::vector<kube::LocalQueueSummary> list_local_queues(kube::Client& client,
                                                       const std::string& namespace_name);

} // namespace kq::jobs
