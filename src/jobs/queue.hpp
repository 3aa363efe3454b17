#pragma once

#include "kube/client.hpp"
#include "kube/kueue.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kq::jobs {

// The Kueue LocalQueue a Job manifest or object names (its kueue.x-k8s.io/queue-name label), or "".
std::string queue_of(const nlohmann::json& job);

// Checks, before anything is created, that the namespace has the LocalQueue `queue`. Throws a cluster
// Error (exit 123) that lists the namespace's LocalQueues when it does not, and says so when the
// cluster does not serve Kueue's API at all.
void require_local_queue(kube::Client& client, const std::string& namespace_name, const std::string& queue);

// The LocalQueues of a namespace (or of every namespace when namespace_name is empty), by name.
std::vector<kube::LocalQueueSummary> list_local_queues(kube::Client& client,
                                                       const std::string& namespace_name);

} // namespace kq::jobs
