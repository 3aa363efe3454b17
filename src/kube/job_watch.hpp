#pragma once

#include "kube/client.hpp"
#include "kube/job_status.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kq::kube {

// Follows Jobs by name until each has finished (Complete or Failed), through one watch per Job that
// resumes after dropped connections, lists afresh on 410 Gone, and is started again when it gives
// up on an unreachable server. Runs inside Client::run.
class JobWatch {
public:
    // Called whenever a followed Job changes.
    using ChangeHandler = std::function<void(const JobSummary& job)>;

    JobWatch(Client& client, std::string namespace_name, ChangeHandler on_change = nullptr);
    ~JobWatch();
    JobWatch(const JobWatch&) = delete;
    JobWatch& operator=(const JobWatch&) = delete;

    // Starts following a Job. Its current state is read first, so a missing Job throws ApiError
    // (`jobs.batch "x" not found`) here; a Job already finished needs no watch.
    void add(const std::string& name);

    // Starts following a Job whose object the caller already has (just created, or listed).
    void add(const nlohmann::json& job);

    // True when every followed Job has finished.
    bool all_finished() const;

    // True when a watch failed for good (forbidden, deleted Job); failure() says why.
    bool failed() const { return m_failure.has_value(); }

    // What made the watch fail for good.
    const std::optional<Error>& failure() const { return m_failure; }

    // The newest object of each followed Job, by name.
    const std::map<std::string, nlohmann::json>& jobs() const { return m_jobs; }

    // The Jobs followed, in the order added.
    const std::vector<std::string>& names() const { return m_order; }

private:
    void start(const std::string& name, const std::string& resource_version);
    void update(const nlohmann::json& job);

    Client& m_client;
    std::string m_namespace;
    ChangeHandler m_on_change;
    std::map<std::string, nlohmann::json> m_jobs;
    std::map<std::string, CallId> m_watches;
    std::map<std::string, std::string> m_versions; // the newest resourceVersion seen per Job
    std::vector<std::string> m_order;
    std::optional<Error> m_failure;
};

// The label selector that picks a Job's pods: its spec.selector.matchLabels ("k=v,k2=v2"), else the
// job-name label the Job controller sets.
std::string pod_selector(const nlohmann::json& job);

// Lists a Job's pods.
std::vector<nlohmann::json> list_job_pods(Client& client, const nlohmann::json& job);

} // namespace kq::kube
