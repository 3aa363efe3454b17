#include "kube/job_watch.hpp"

#include <fmt/format.h>

namespace kq::kube {
namespace {

std::string jobs_collection(const std::string& namespace_name) {
    return fmt::format("/apis/batch/v1/namespaces/{}/jobs", namespace_name);
}

std::string metadata_string(const nlohmann::json& object, const char* key) {
    if (!object.is_object()) return {};
    const auto metadata = object.find("metadata");
    if (metadata == object.end() || !metadata->is_object()) return {};
    const auto value = metadata->find(key);
    return value != metadata->end() && value->is_string() ? value->get<std::string>() : std::string();
}

std::optional<std::string> label_value(const nlohmann::json& object, const std::string& key) {
    const auto metadata = object.find("metadata");
    if (metadata == object.end() || !metadata->is_object()) return std::nullopt;
    const auto labels = metadata->find("labels");
    if (labels == metadata->end() || !labels->is_object()) return std::nullopt;
    const auto value = labels->find(key);
    if (value == labels->end() || !value->is_string()) return std::nullopt;
    return value->get<std::string>();
}

// Errors that a later attempt may not meet: the server is down, restarting or overloaded.
bool transient(const ApiError& error) {
    return error.unreachable() || error.code() == 429 || error.code() >= 500 || error.gone();
}

} // namespace

JobWatch::JobWatch(Client& client, std::string namespace_name, ChangeHandler on_change)
    : m_client(client), m_namespace(std::move(namespace_name)), m_on_change(std::move(on_change)) {}

JobWatch::~JobWatch() {
    for (const auto& [name, id] : m_watches)
        m_client.cancel(id);
}

void JobWatch::add(const std::string& name) {
    add(m_client.get(fmt::format("{}/{}", jobs_collection(m_namespace), name)));
}

void JobWatch::add(const nlohmann::json& job) {
    const std::string name = metadata_string(job, "name");
    if (m_jobs.count(name) != 0) return;
    m_order.push_back(name);
    Followed& followed = m_jobs[name];
    followed.summary.name = name;
    followed.pod_selector = pod_selector(job);
    for (const std::string& key : m_label_keys) {
        const std::optional<std::string> value = label_value(job, key);
        auto found = m_shared.find(key);
        if (found == m_shared.end())
            m_shared.emplace(key, m_order.size() == 1 ? value : std::nullopt);
        else if (found->second != value)
            found->second.reset();
    }
    update(job);
    // The collection watch may have seen it before it was added (a create's answer can come after the
    // watch's event): the newest state it saw decides, as a Job that finished sends no further event.
    if (const auto seen = m_unfollowed.find(name); seen != m_unfollowed.end()) {
        const nlohmann::json newer = std::move(seen->second);
        m_unfollowed.erase(seen);
        update(newer);
    }
    if (!m_started || followed.summary.finished) return;
    // A Job added while watching (kq creates it later): the collection watch sees it if it carries the
    // collection's label; else it gets a watch of its own.
    if (m_collection && !m_collection->empty()) {
        const auto equals = m_collection->find('=');
        if (label_value(job, m_collection->substr(0, equals)) == m_collection->substr(equals + 1)) return;
    } else if (m_collection) {
        return;
    }
    start_named(name, metadata_string(job, "resourceVersion"));
}

void JobWatch::start() {
    if (m_started) return;
    m_started = true;
    if (!watching()) return;
    if (m_growing || m_order.size() - m_finished > k_max_named_watches) {
        start_collection();
        return;
    }
    for (const std::string& name : m_order) {
        if (!m_jobs.at(name).summary.finished) start_named(name, m_versions[name]);
    }
}

void JobWatch::update(const nlohmann::json& job) {
    const std::string name = metadata_string(job, "name");
    auto found = m_jobs.find(name);
    if (found == m_jobs.end()) return;
    Followed& followed = found->second;
    const std::string uid = metadata_string(job, "uid");
    if (!followed.uid.empty() && !uid.empty() && uid != followed.uid) {
        deleted(name); // another Job of the same name: the one followed is gone
        return;
    }
    if (!uid.empty()) followed.uid = uid;
    m_versions[name] = metadata_string(job, "resourceVersion");
    // A finished Job stays finished: an older state (from a list served from the watch cache) does not
    // take it back.
    if (followed.summary.finished) return;
    followed.summary = summarize_job(job);
    if (followed.summary.name.empty()) followed.summary.name = name;
    if (followed.summary.finished) ++m_finished;
    if (m_on_change) m_on_change(followed.summary);
}

void JobWatch::deleted(const std::string& name) {
    if (m_failure) return;
    m_failure = Error(ErrorKind::cluster, fmt::format("job.batch/{} was deleted while waiting for it", name));
}

void JobWatch::start_named(const std::string& name, const std::string& resource_version) {
    WatchOptions options;
    options.resource_version = resource_version;
    options.field_selector = "metadata.name=" + name;
    options.lean = true;
    WatchHandlers handlers;
    handlers.on_event = [this, name](const WatchEvent& event) {
        if (event.type == WatchEventType::deleted) {
            deleted(name);
            return false;
        }
        if (event.type != WatchEventType::added && event.type != WatchEventType::modified) return true;
        if (metadata_string(event.object, "name") != name) return true;
        update(event.object);
        return !m_jobs.at(name).summary.finished && !m_failure;
    };
    handlers.on_end = [this, name](std::optional<ApiError> error) {
        m_watches.erase(name);
        if (!error) return;
        if (!transient(*error)) {
            m_failure = *error;
            return;
        }
        // The client already retried with backoff; while the Job is unfinished, keep at it from the
        // newest version seen. The caller's deadline bounds how long.
        ++m_recoveries;
        const auto version = error->gone() ? std::string() : m_versions[name];
        start_named(name, version);
    };
    m_watches[name] = m_client.start_watch(jobs_collection(m_namespace), options, std::move(handlers));
}

void JobWatch::start_collection() {
    std::string selector = m_growing.value_or("");
    for (const std::string& key : m_growing ? std::vector<std::string>{} : m_label_keys) {
        const auto found = m_shared.find(key);
        if (found != m_shared.end() && found->second) {
            selector = key + "=" + *found->second;
            break;
        }
    }
    m_collection = selector;
    // One list brings every followed Job up to date (and finds those deleted since they were read);
    // the watch goes on from the list's version.
    ListOptions options;
    options.label_selector = selector;
    options.lean = true; // what is kept of each Job is its summary
    auto seen = std::make_shared<std::set<std::string>>();
    // Only the Jobs followed when the list began must be in it: one added later may be newer than it.
    const size_t known = m_order.size();
    m_watches[""] = m_client.start_list(
        jobs_collection(m_namespace), options,
        [this, seen](nlohmann::json& page) {
            const auto items = page.find("items");
            if (items == page.end() || !items->is_array()) return;
            for (const nlohmann::json& item : *items) {
                const std::string name = metadata_string(item, "name");
                if (m_jobs.count(name) == 0) {
                    if (m_growing) m_unfollowed[name] = item;
                    continue;
                }
                seen->insert(name);
                update(item);
            }
        },
        [this, seen, known](const std::string& resource_version, std::optional<ApiError> error) {
            m_watches.erase("");
            if (error) {
                if (!transient(*error)) {
                    m_failure = *error;
                    return;
                }
                ++m_recoveries;
                start_collection();
                return;
            }
            for (size_t index = 0; index < known && index < m_order.size(); ++index) {
                const std::string& name = m_order[index];
                if (seen->count(name) == 0 && !m_jobs.at(name).summary.finished) deleted(name);
            }
            if (!m_failure && watching()) watch_collection(resource_version);
        });
}

void JobWatch::watch_collection(const std::string& resource_version) {
    m_collection_version = resource_version;
    WatchOptions options;
    options.resource_version = resource_version;
    options.label_selector = *m_collection;
    options.lean = true;
    WatchHandlers handlers;
    handlers.on_event = [this](const WatchEvent& event) {
        const std::string name = metadata_string(event.object, "name");
        if (const std::string version = metadata_string(event.object, "resourceVersion"); !version.empty())
            m_collection_version = version;
        const auto found = m_jobs.find(name);
        if (found == m_jobs.end()) {
            if (!m_growing) return true;
            if (event.type == WatchEventType::deleted) {
                m_unfollowed.erase(name);
            } else {
                m_unfollowed[name] = event.object;
            }
            return !m_failure;
        }
        if (event.type == WatchEventType::deleted) {
            // Another Job of the same name deleted is not the one followed.
            const std::string uid = metadata_string(event.object, "uid");
            if (uid.empty() || found->second.uid.empty() || uid == found->second.uid) deleted(name);
        } else {
            m_relisted.insert(name);
            update(event.object);
        }
        return !m_failure && watching();
    };
    handlers.on_relist = [this] {
        ++m_recoveries;
        m_relisted.clear();
        m_relist_known = m_order.size();
    };
    handlers.on_listed = [this] {
        for (size_t index = 0; index < m_relist_known && index < m_order.size(); ++index) {
            const std::string& name = m_order[index];
            if (m_relisted.count(name) == 0 && !m_jobs.at(name).summary.finished) deleted(name);
        }
        m_relisted.clear();
    };
    handlers.on_end = [this](std::optional<ApiError> error) {
        m_watches.erase("");
        if (!error) return;
        if (!transient(*error)) {
            m_failure = *error;
            return;
        }
        // The client already retried with backoff; keep at it from the newest version seen, one request
        // for all the Jobs. The caller's deadline bounds how long.
        ++m_recoveries;
        if (error->gone()) {
            start_collection();
            return;
        }
        watch_collection(m_collection_version);
    };
    m_watches[""] = m_client.start_watch(jobs_collection(m_namespace), options, std::move(handlers));
}

std::string pod_selector(const nlohmann::json& job) {
    std::string selector;
    const nlohmann::json* labels = nullptr;
    if (job.is_object() && job.contains("spec") && job["spec"].is_object() &&
        job["spec"].contains("selector") && job["spec"]["selector"].is_object() &&
        job["spec"]["selector"].contains("matchLabels")) {
        labels = &job["spec"]["selector"]["matchLabels"];
    }
    if (labels != nullptr && labels->is_object()) {
        for (const auto& [key, value] : labels->items()) {
            if (!value.is_string()) continue;
            if (!selector.empty()) selector += ',';
            selector += key + "=" + value.get<std::string>();
        }
    }
    if (selector.empty()) selector = fmt::format("{}={}", k_job_name_label, metadata_string(job, "name"));
    return selector;
}

std::vector<nlohmann::json> list_job_pods(Client& client, const nlohmann::json& job) {
    std::vector<nlohmann::json> pods;
    ListOptions options;
    options.label_selector = pod_selector(job);
    options.lean = true;
    client.list(fmt::format("/api/v1/namespaces/{}/pods", metadata_string(job, "namespace")), options,
                [&](nlohmann::json& page) {
                    if (!page.contains("items") || !page["items"].is_array()) return;
                    for (nlohmann::json& pod : page["items"])
                        pods.push_back(std::move(pod));
                });
    return pods;
}

std::string owning_job(const nlohmann::json& pod) {
    if (!pod.is_object()) return {};
    const auto metadata = pod.find("metadata");
    if (metadata == pod.end() || !metadata->is_object()) return {};
    const auto owners = metadata->find("ownerReferences");
    if (owners == metadata->end() || !owners->is_array()) return {};
    for (const nlohmann::json& owner : *owners) {
        if (!owner.is_object() || owner.value("kind", "") != "Job" || !owner.value("controller", false))
            continue;
        const auto name = owner.find("name");
        if (name != owner.end() && name->is_string()) return name->get<std::string>();
    }
    return label_value(pod, k_job_name_label).value_or("");
}

std::map<std::string, std::vector<nlohmann::json>>
list_pods_by_job(Client& client, const std::string& namespace_name, const std::string& selector) {
    std::map<std::string, std::vector<nlohmann::json>> pods;
    ListOptions options;
    options.label_selector = selector;
    options.lean = true;
    client.list(fmt::format("/api/v1/namespaces/{}/pods", namespace_name), options,
                [&](nlohmann::json& page) {
                    if (!page.contains("items") || !page["items"].is_array()) return;
                    for (nlohmann::json& pod : page["items"]) {
                        std::string job = owning_job(pod);
                        if (!job.empty()) pods[job].push_back(std::move(pod));
                    }
                });
    return pods;
}

} // namespace kq::kube
