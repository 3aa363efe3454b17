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
    update(job);
    if (!summarize_job(job).finished) start(name, metadata_string(job, "resourceVersion"));
}

bool JobWatch::all_finished() const {
    for (const auto& [name, job] : m_jobs) {
        if (!summarize_job(job).finished) return false;
    }
    return true;
}

void JobWatch::update(const nlohmann::json& job) {
    const std::string name = metadata_string(job, "name");
    m_versions[name] = metadata_string(job, "resourceVersion");
    m_jobs[name] = job;
    if (m_on_change) m_on_change(summarize_job(job));
}

void JobWatch::start(const std::string& name, const std::string& resource_version) {
    WatchOptions options;
    options.resource_version = resource_version;
    options.field_selector = "metadata.name=" + name;
    WatchHandlers handlers;
    handlers.on_event = [this, name](const WatchEvent& event) {
        if (event.type == WatchEventType::deleted) {
            m_failure =
                Error(ErrorKind::cluster, fmt::format("job.batch/{} was deleted while waiting for it", name));
            return false;
        }
        if (event.type != WatchEventType::added && event.type != WatchEventType::modified) return true;
        if (metadata_string(event.object, "name") != name) return true;
        update(event.object);
        return !summarize_job(event.object).finished;
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
        const auto version = error->gone() ? std::string() : m_versions[name];
        start(name, version);
    };
    m_watches[name] = m_client.start_watch(jobs_collection(m_namespace), options, std::move(handlers));
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
    client.list(fmt::format("/api/v1/namespaces/{}/pods", metadata_string(job, "namespace")), options,
                [&](nlohmann::json& page) {
                    if (!page.contains("items") || !page["items"].is_array()) return;
                    for (nlohmann::json& pod : page["items"])
                        pods.push_back(std::move(pod));
                });
    return pods;
}

} // namespace kq::kube
