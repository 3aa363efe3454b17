#pragma once

#include "kube/client.hpp"
#include "kube/job_status.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kq::kube {

// Follows Jobs until each has finished (Complete or Failed). A few Jobs are watched by name, one
// watch each; more (beyond k_max_named_watches) through one list and one watch of the namespace's
// Jobs, by a label the Jobs share (their submission, else their definition) and filtered by name, so
// that following thousands of Jobs costs one watch. Either way a dropped watch resumes from the last
// resourceVersion seen (one request per watch), 410 Gone lists afresh once, and a followed Job deleted
// meanwhile is an error naming it. Keeps a JobSummary per Job, not its object. Runs inside Client::run.
class JobWatch {
public:
    // Called whenever a followed Job changes.
    using ChangeHandler = std::function<void(const JobSummary& job)>;

    // How many unfinished Jobs are watched one by one; more share one watch of the collection.
    static constexpr size_t k_max_named_watches = 3;

    JobWatch(Client& client, std::string namespace_name, ChangeHandler on_change = nullptr);
    ~JobWatch();
    JobWatch(const JobWatch&) = delete;
    JobWatch& operator=(const JobWatch&) = delete;

    // The labels that may pick the followed Jobs for a collection watch, in order of preference: the
    // first whose value all of them share becomes its label selector. Set before start().
    void prefer_labels(std::vector<std::string> keys) { m_label_keys = std::move(keys); }

    // More Jobs, each carrying the label `selector` ("key=value") names, will be added while watching (kq
    // submit --max-active): from start() on they are watched through one watch of the collection by that
    // selector however few they are, the watch stays open while every followed Job has finished, and the
    // newest state it sees of a Job not followed yet is kept for when that Job is added. Set before
    // start(); no_more() ends it.
    void expect_more(std::string selector) { m_growing = std::move(selector); }

    // No more Jobs will be added: the watch ends once every followed Job has finished.
    void no_more() {
        m_growing.reset();
        m_unfollowed.clear();
    }

    // Adds a Job by name, reading its current state first, so a missing Job throws ApiError
    // (`jobs.batch "x" not found`) here.
    void add(const std::string& name);

    // Adds a Job whose object the caller already has (just created, or listed).
    void add(const nlohmann::json& job);

    // Starts watching the Jobs added so far; a Job added later is watched as it is added. Jobs
    // already finished need no watch.
    void start();

    // True when every followed Job has finished.
    bool all_finished() const { return m_finished == m_order.size(); }

    // How many followed Jobs have finished.
    size_t finished_count() const { return m_finished; }

    // True when a watch failed for good (forbidden, deleted Job); failure() says why.
    bool failed() const { return m_failure.has_value(); }

    // What made the watch fail for good.
    const std::optional<Error>& failure() const { return m_failure; }

    // The newest summary of a followed Job.
    const JobSummary& job(const std::string& name) const { return m_jobs.at(name).summary; }

    // The label selector that picks a followed Job's pods.
    const std::string& pod_selector_of(const std::string& name) const { return m_jobs.at(name).pod_selector; }

    // The Jobs followed, in the order added.
    const std::vector<std::string>& names() const { return m_order; }

    // The label selector of the collection watch ("" for the whole namespace), or nullopt while the
    // Jobs are watched by name.
    const std::optional<std::string>& collection_selector() const { return m_collection; }

    // Watch and list requests sent to resume after a drop or an API server restart (for -v and tests).
    int recoveries() const { return m_recoveries; }

private:
    struct Followed {
        JobSummary summary;
        std::string uid;
        std::string pod_selector;
    };

    void start_named(const std::string& name, const std::string& resource_version);
    void start_collection();
    void watch_collection(const std::string& resource_version);
    void update(const nlohmann::json& job);
    void deleted(const std::string& name);
    bool watching() const { return m_growing.has_value() || !all_finished(); }

    Client& m_client;
    std::string m_namespace;
    ChangeHandler m_on_change;
    std::map<std::string, Followed> m_jobs;
    std::map<std::string, std::string> m_versions; // the newest resourceVersion seen per Job (by name)
    std::map<std::string, CallId> m_watches;       // by name, or "" for the collection's
    std::vector<std::string> m_order;
    size_t m_finished = 0;
    bool m_started = false;
    std::optional<std::string> m_collection;
    std::string m_collection_version;
    std::vector<std::string> m_label_keys;
    std::map<std::string, std::optional<std::string>> m_shared; // per key: the value all Jobs share
    std::set<std::string> m_relisted; // the followed Jobs a relist (410) found, until it ends
    int m_recoveries = 0;
    std::optional<Error> m_failure;
    std::optional<std::string> m_growing; // expect_more()'s selector
    std::map<std::string, nlohmann::json>
        m_unfollowed;          // while growing: the newest state of Jobs not added yet
    size_t m_relist_known = 0; // the Jobs followed when a relist began: those it must find
};

// The label selector that picks a Job's pods: its spec.selector.matchLabels ("k=v,k2=v2"), else the
// job-name label the Job controller sets.
std::string pod_selector(const nlohmann::json& job);

// Lists a Job's pods.
std::vector<nlohmann::json> list_job_pods(Client& client, const nlohmann::json& job);

// Lists the pods of several Jobs with one request per page: the namespace's pods by `selector` (the
// Jobs' shared label, or "" for all), grouped by the Job that owns them (by name).
std::map<std::string, std::vector<nlohmann::json>>
list_pods_by_job(Client& client, const std::string& namespace_name, const std::string& selector);

// The name of the Job that owns a pod (its controller ownerReference of kind Job), or "".
std::string owning_job(const nlohmann::json& pod);

} // namespace kq::kube
