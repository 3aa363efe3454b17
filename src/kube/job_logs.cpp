#include "kube/job_logs.hpp"

#include "kube/job_watch.hpp"
#include "kube/json_fields.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <set>

namespace kq::kube {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto k_retry_delay = std::chrono::milliseconds(500);
constexpr int k_attempts_after_termination = 3;
// The least time between the starts of two lists of a PodFeed.
constexpr auto k_final_list_gap = std::chrono::seconds(1);
// Up to this many finished Jobs, a PodFeed's list asks for their pods by name (a label selector of
// about 3 KiB at most); more, for all the pods of its selector.
constexpr size_t k_final_list_names = 50;
constexpr const char* k_colors[] = {"\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[91m"};

// The container's status entry in a pod (an init container's too), or nullptr.
const nlohmann::json* container_status(const nlohmann::json& pod, const std::string& container) {
    for (const char* list : {"containerStatuses", "initContainerStatuses"}) {
        const nlohmann::json* statuses = lookup(pod, {"status", list});
        if (statuses == nullptr || !statuses->is_array()) continue;
        for (const nlohmann::json& status : *statuses) {
            if (string_at(status, {"name"}) == container) return &status;
        }
    }
    return nullptr;
}

// True once the container has run: its logs can be read.
bool container_started(const nlohmann::json& pod, const std::string& container) {
    const nlohmann::json* status = container_status(pod, container);
    if (status == nullptr) return false;
    return lookup(*status, {"state", "running"}) != nullptr ||
           lookup(*status, {"state", "terminated"}) != nullptr ||
           lookup(*status, {"lastState", "terminated"}) != nullptr;
}

bool pod_finished(const nlohmann::json& pod) {
    const std::string phase = string_at(pod, {"status", "phase"});
    return phase == "Succeeded" || phase == "Failed";
}

// True when the container will write no more: terminated in a pod that does not restart it.
bool container_terminated(const nlohmann::json& pod, const std::string& container) {
    if (pod_finished(pod)) return true;
    const nlohmann::json* status = container_status(pod, container);
    return status != nullptr && lookup(*status, {"state", "terminated"}) != nullptr &&
           string_at(pod, {"spec", "restartPolicy"}) == "Never";
}

std::string pod_log_path(const std::string& namespace_name, const std::string& pod) {
    return fmt::format("/api/v1/namespaces/{}/pods/{}/log", namespace_name, pod);
}

Query log_query(const std::string& container, bool follow) {
    Query query{{"container", container}, {"timestamps", "true"}};
    if (follow) query.emplace_back("follow", "true");
    return query;
}

} // namespace

nlohmann::json slim_pod(const nlohmann::json& pod) {
    nlohmann::json slim = nlohmann::json::object();
    auto copy = [&](const nlohmann::json::json_pointer& where) {
        if (pod.contains(where)) slim[where] = pod[where];
    };
    using pointer = nlohmann::json::json_pointer;
    copy(pointer("/metadata/name"));
    copy(pointer("/metadata/namespace"));
    copy(pointer("/metadata/annotations/kubectl.kubernetes.io~1default-container"));
    copy(pointer("/spec/restartPolicy"));
    copy(pointer("/spec/nodeName"));
    // Of each entry of the array at pod[section][list], only these keys.
    auto copy_each = [&](const char* section, const char* list, std::initializer_list<const char*> keys) {
        const nlohmann::json* entries = lookup(pod, {section, list});
        if (entries == nullptr || !entries->is_array()) return;
        nlohmann::json& kept = slim[section][list] = nlohmann::json::array();
        for (const nlohmann::json& entry : *entries) {
            nlohmann::json slim_entry = nlohmann::json::object();
            if (entry.is_object()) {
                for (const char* key : keys) {
                    if (const auto found = entry.find(key); found != entry.end()) slim_entry[key] = *found;
                }
            }
            kept.push_back(std::move(slim_entry));
        }
    };
    copy_each("spec", "containers", {"name"});
    copy_each("spec", "initContainers", {"name", "restartPolicy"});
    copy(pointer("/status/phase"));
    copy(pointer("/status/reason"));
    copy(pointer("/status/message"));
    for (const char* list : {"containerStatuses", "initContainerStatuses"})
        copy_each("status", list, {"name", "state", "lastState", "restartCount"});
    return slim;
}

bool terminated_grace_over(std::chrono::steady_clock::time_point now,
                           std::chrono::steady_clock::time_point terminated_at,
                           std::chrono::steady_clock::time_point connected_at) {
    return now - std::max(terminated_at, connected_at) > k_terminated_grace;
}

bool line_selected(const LogRequest& request, std::string_view text) {
    const std::string_view seen = text.substr(0, Pattern::k_max_input_length);
    auto matches = [&](const Pattern& pattern) { return pattern.search(seen); };
    if (!request.include.empty() && std::none_of(request.include.begin(), request.include.end(), matches))
        return false;
    return std::none_of(request.exclude.begin(), request.exclude.end(), matches);
}

std::optional<std::string> render_log_line(const LogRequest& request, bool prefixed, std::string_view job,
                                           std::string_view pod, std::string_view container,
                                           std::size_t color_index, std::string_view timestamp,
                                           std::string_view text) {
    if (!line_selected(request, text)) return std::nullopt;
    if (request.json) {
        const nlohmann::json object = {
            {"job", job},
            {"pod", pod},
            {"container", container},
            {"timestamp", timestamp.empty() ? nlohmann::json() : nlohmann::json(timestamp)},
            {"message", text}};
        // Log text need not be UTF-8: invalid bytes become U+FFFD rather than end the stream.
        return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::string line;
    if (prefixed) {
        const std::string prefix = fmt::format("[pod/{}/{}]", pod, container);
        if (request.color) {
            line = fmt::format("{}{}\033[0m ", k_colors[color_index % std::size(k_colors)], prefix);
        } else {
            line = prefix + " ";
        }
    }
    if (request.timestamps && !timestamp.empty()) {
        line.append(timestamp);
        line += ' ';
    }
    line.append(text);
    return line;
}

std::vector<std::string> log_containers(const nlohmann::json& pod, const LogRequest& request) {
    std::vector<std::string> names;
    const nlohmann::json* containers = lookup(pod, {"spec", "containers"});
    if (containers != nullptr && containers->is_array()) {
        for (const nlohmann::json& container : *containers)
            names.push_back(string_at(container, {"name"}));
    }
    // Init containers (sidecars among them) come first, in the pod's order, as kubectl's
    // --all-containers shows them; -c may name one too.
    std::vector<std::string> init_names;
    const nlohmann::json* init_containers = lookup(pod, {"spec", "initContainers"});
    if (init_containers != nullptr && init_containers->is_array()) {
        for (const nlohmann::json& container : *init_containers)
            init_names.push_back(string_at(container, {"name"}));
    }
    const std::string pod_name = string_at(pod, {"metadata", "name"});
    if (!request.container.empty()) {
        const bool known =
            std::find(names.begin(), names.end(), request.container) != names.end() ||
            std::find(init_names.begin(), init_names.end(), request.container) != init_names.end();
        if (!known) {
            std::vector<std::string> all = init_names;
            all.insert(all.end(), names.begin(), names.end());
            fail(ErrorKind::usage, "-c: container \"{}\" is not valid for pod {} (it has: {})",
                 request.container, pod_name, fmt::join(all, ", "));
        }
        return {request.container};
    }
    if (request.all_containers) {
        init_names.insert(init_names.end(), names.begin(), names.end());
        return init_names;
    }
    if (names.size() <= 1) return names;
    const std::string preferred =
        string_at(pod, {"metadata", "annotations", "kubectl.kubernetes.io/default-container"});
    if (!preferred.empty() && std::find(names.begin(), names.end(), preferred) != names.end())
        return {preferred};
    return {names.front()};
}

void print_job_logs(Client& client, const nlohmann::json& job, const LogRequest& request, const LineSink& out,
                    const NoteSink& note) {
    const std::string job_name = string_at(job, {"metadata", "name"});
    std::vector<nlohmann::json> pods = list_job_pods(client, job);
    std::sort(pods.begin(), pods.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        const std::string created_a = string_at(a, {"metadata", "creationTimestamp"});
        const std::string created_b = string_at(b, {"metadata", "creationTimestamp"});
        if (created_a != created_b) return created_a < created_b;
        return string_at(a, {"metadata", "name"}) < string_at(b, {"metadata", "name"});
    });
    std::vector<std::pair<const nlohmann::json*, std::string>> streams;
    for (const nlohmann::json& pod : pods) {
        for (const std::string& container : log_containers(pod, request))
            streams.emplace_back(&pod, container);
    }
    const bool prefixed =
        request.prefix == LogPrefix::always || (request.prefix == LogPrefix::automatic && streams.size() > 1);
    size_t index = 0;
    for (const auto& [pod, container] : streams) {
        const std::string pod_name = string_at(*pod, {"metadata", "name"});
        const std::string namespace_name = string_at(*pod, {"metadata", "namespace"});
        const size_t color_index = index++;
        if (!container_started(*pod, container)) {
            note(fmt::format("pod/{}: container \"{}\" has not started yet", pod_name, container));
            continue;
        }
        Query query = log_query(container, false);
        if (request.since_seconds) query.emplace_back("sinceSeconds", std::to_string(*request.since_seconds));
        if (request.tail_lines) query.emplace_back("tailLines", std::to_string(*request.tail_lines));
        // Captured by name: clang 14 cannot capture a structured binding.
        LogLines lines([&, &container_name = container](std::string_view timestamp, std::string_view text) {
            if (const auto line = render_log_line(request, prefixed, job_name, pod_name, container_name,
                                                  color_index, timestamp, text))
                out(*line);
        });
        try {
            client.stream(pod_log_path(namespace_name, pod_name), query, [&](std::string_view bytes) {
                lines.feed(bytes);
                return true;
            });
        } catch (const ApiError& error) {
            // One pod gone or unreadable does not hide the others' logs.
            if (error.unreachable() || error.unauthorized() || error.forbidden()) throw;
            note(fmt::format("pod/{}: {}", pod_name, error.what()));
        }
        lines.end_of_stream();
    }
}

struct JobLogFollower::Stream {
    Stream(std::string pod_name, std::string container_name, size_t color, LogLines::LineHandler handler)
        : pod(std::move(pod_name)), container(std::move(container_name)), color_index(color),
          lines(std::move(handler)) {}

    enum class State { waiting, streaming, done };
    std::string pod;
    std::string container;
    size_t color_index;
    LogLines lines;
    State state = State::waiting;
    std::optional<CallId> call;
    bool connected_once = false;
    bool started = false;    // the container has run
    bool terminated = false; // it will write no more
    bool pod_gone = false;
    int failures_after_termination = 0;
    Clock::time_point retry_at{};
    std::optional<Clock::time_point> terminated_at;
    Clock::time_point connected_at{}; // the grace after termination counts from here too
    std::optional<std::string> last_error;
};

JobLogFollower::JobLogFollower(Client& client, const nlohmann::json& job, LogRequest request, LineSink out,
                               NoteSink note)
    : m_client(client), m_namespace(string_at(job, {"metadata", "namespace"})),
      m_job_name(string_at(job, {"metadata", "name"})), m_selector(pod_selector(job)),
      m_request(std::move(request)), m_out(std::move(out)), m_note(std::move(note)) {
    // A Job that runs several pods at once shows them prefixed from the first line.
    const nlohmann::json* parallelism = lookup(job, {"spec", "parallelism"});
    const nlohmann::json* completions = lookup(job, {"spec", "completions"});
    const bool several =
        (parallelism != nullptr && parallelism->is_number_integer() && parallelism->get<long long>() > 1) ||
        (completions != nullptr && completions->is_number_integer() && completions->get<long long>() > 1);
    m_prefixing =
        m_request.prefix == LogPrefix::always || (m_request.prefix == LogPrefix::automatic && several);
}

JobLogFollower::~JobLogFollower() {
    if (m_pod_watch) m_client.cancel(*m_pod_watch);
    if (m_final_list) m_client.cancel(*m_final_list);
    for (auto& [key, stream] : m_streams) {
        if (!stream->call) continue;
        m_client.cancel(*stream->call);
        if (m_feed != nullptr) m_feed->return_stream();
    }
}

void JobLogFollower::start() {
    if (m_feed == nullptr) start_pod_watch("");
}

void JobLogFollower::start_pod_watch(const std::string& resource_version) {
    WatchOptions options;
    options.label_selector = m_selector;
    options.resource_version = resource_version;
    options.lean = true;
    WatchHandlers handlers;
    handlers.on_event = [this](const WatchEvent& event) {
        const std::string version = string_at(event.object, {"metadata", "resourceVersion"});
        if (!version.empty()) m_pod_version = version;
        if (event.type == WatchEventType::added || event.type == WatchEventType::modified) {
            pod_changed(event.object, false);
        } else if (event.type == WatchEventType::deleted) {
            pod_changed(event.object, true);
        }
        return true;
    };
    handlers.on_end = [this](std::optional<ApiError> error) {
        m_pod_watch.reset();
        if (!error) return;
        if (error->forbidden() || error->unauthorized() ||
            (error->code() >= 400 && error->code() < 500 && error->code() != 429 && !error->gone())) {
            m_failure = *error;
            return;
        }
        // The server is away (restarting) or the history is gone: keep watching, the caller's deadline
        // bounds how long.
        start_pod_watch(error->gone() ? std::string() : m_pod_version);
    };
    m_pod_watch = m_client.start_watch(fmt::format("/api/v1/namespaces/{}/pods", m_namespace), options,
                                       std::move(handlers));
}

void JobLogFollower::job_changed(const JobSummary& job) {
    if (job.finished) m_job_finished = true;
}

void JobLogFollower::final_listed(const std::set<std::string>& pods) {
    for (auto& [name, pod] : m_pods) {
        if (pods.count(name) == 0) pod_changed(pod, true);
    }
    m_final_list_done = true;
}

void JobLogFollower::final_list() {
    // The Job has finished: list its pods once, so that a pod whose whole life fell between two watch
    // events is still read, and a pod deleted meanwhile stops being waited for.
    ListOptions options;
    options.label_selector = m_selector;
    options.lean = true;
    auto seen = std::make_shared<std::set<std::string>>();
    m_final_list = m_client.start_list(
        fmt::format("/api/v1/namespaces/{}/pods", m_namespace), options,
        [this, seen](nlohmann::json& page) {
            const nlohmann::json* items = lookup(page, {"items"});
            if (items == nullptr || !items->is_array()) return;
            for (const nlohmann::json& pod : *items) {
                seen->insert(string_at(pod, {"metadata", "name"}));
                pod_changed(pod, false);
            }
        },
        [this, seen](const std::string&, std::optional<ApiError> error) {
            m_final_list.reset();
            if (error) {
                // Retried from poll(); the caller's deadline bounds it.
                return;
            }
            for (auto& [name, pod] : m_pods) {
                if (seen->count(name) == 0) pod_changed(pod, true);
            }
            m_final_list_done = true;
        });
}

void JobLogFollower::pod_changed(const nlohmann::json& pod, bool deleted) {
    const std::string name = string_at(pod, {"metadata", "name"});
    if (name.empty()) return;
    m_pods[name] = slim_pod(pod);
    std::vector<std::string> containers;
    try {
        containers = log_containers(pod, m_request);
    } catch (const Error& error) {
        m_note(error.what());
        return;
    }
    for (const std::string& container : containers) {
        auto key = std::make_pair(name, container);
        auto found = m_streams.find(key);
        if (found == m_streams.end()) {
            const size_t color = m_streams.size();
            auto stream = std::make_unique<Stream>(name, container, color, nullptr);
            Stream* raw = stream.get();
            stream->lines = LogLines([this, raw](std::string_view timestamp, std::string_view text) {
                emit(*raw, timestamp, text);
            });
            found = m_streams.emplace(key, std::move(stream)).first;
            if (m_request.prefix == LogPrefix::automatic && m_streams.size() > 1) m_prefixing = true;
        }
        Stream& stream = *found->second;
        if (stream.state == Stream::State::done) continue;
        if (container_started(pod, container)) stream.started = true;
        if ((deleted || container_terminated(pod, container)) && !stream.terminated) {
            stream.terminated = true;
            stream.terminated_at = Clock::now();
        }
        if (deleted) stream.pod_gone = true;
    }
}

void JobLogFollower::emit(Stream& stream, std::string_view timestamp, std::string_view text) {
    if (const auto line = render_log_line(m_request, m_prefixing, m_job_name, stream.pod, stream.container,
                                          stream.color_index, timestamp, text))
        m_out(*line);
}

void JobLogFollower::connect(Stream& stream) {
    Query query = log_query(stream.container, true);
    if (!stream.connected_once) {
        if (m_request.since_seconds)
            query.emplace_back("sinceSeconds", std::to_string(*m_request.since_seconds));
        if (m_request.tail_lines) query.emplace_back("tailLines", std::to_string(*m_request.tail_lines));
    } else if (const std::string since = stream.lines.resume_since(); !since.empty()) {
        query.emplace_back("sinceTime", since);
    } else if (m_request.since_seconds) {
        query.emplace_back("sinceSeconds", std::to_string(*m_request.since_seconds));
    }
    stream.connected_once = true;
    stream.connected_at = Clock::now();
    stream.state = Stream::State::streaming;
    Stream* raw = &stream;
    StreamHandlers handlers;
    handlers.on_data = [raw](std::string_view bytes) {
        raw->lines.feed(bytes);
        return true;
    };
    handlers.on_end = [this, raw](std::optional<ApiError> error) {
        raw->call.reset();
        if (m_feed != nullptr) m_feed->return_stream();
        raw->lines.end_of_stream();
        if (!error && raw->terminated) {
            raw->state = Stream::State::done;
            return;
        }
        if (error) {
            raw->last_error = error->what();
            if (error->forbidden() || error->unauthorized()) {
                m_failure = *error;
                raw->state = Stream::State::done;
                return;
            }
            if (raw->terminated && ++raw->failures_after_termination >= k_attempts_after_termination) {
                m_note(fmt::format("pod/{}: could not read the logs of container \"{}\": {}", raw->pod,
                                   raw->container, error->what()));
                raw->state = Stream::State::done;
                return;
            }
        }
        // The stream ended while the container may still write (a dropped connection, a server
        // restart): read on from the last line shown.
        raw->state = Stream::State::waiting;
        raw->retry_at = Clock::now() + k_retry_delay;
    };
    stream.call = m_client.start_stream(pod_log_path(m_namespace, stream.pod), query, std::move(handlers));
}

bool JobLogFollower::poll() {
    const auto now = Clock::now();
    bool all_done = true;
    for (auto& [key, holder] : m_streams) {
        Stream& stream = *holder;
        switch (stream.state) {
        case Stream::State::waiting:
            if (stream.started && now >= stream.retry_at && (m_feed == nullptr || m_feed->take_stream())) {
                connect(stream);
            } else if (!stream.started && (stream.pod_gone || (stream.terminated && m_job_finished))) {
                stream.state = Stream::State::done; // it never ran: nothing to read
            }
            break;
        case Stream::State::streaming:
            if (stream.terminated && stream.terminated_at &&
                terminated_grace_over(now, *stream.terminated_at, stream.connected_at)) {
                if (stream.call) {
                    m_client.cancel(*stream.call);
                    if (m_feed != nullptr) m_feed->return_stream();
                }
                stream.call.reset();
                stream.lines.end_of_stream();
                stream.state = Stream::State::done;
            }
            break;
        case Stream::State::done: break;
        }
        if (stream.state != Stream::State::done) all_done = false;
    }
    if (m_job_finished && !m_final_list_done && !m_final_list) {
        if (m_feed == nullptr) {
            final_list();
        } else if (!m_final_requested) {
            m_final_requested = true;
            m_feed->want_final_list(*this);
        }
    }
    return m_job_finished && m_final_list_done && all_done;
}

std::vector<nlohmann::json> JobLogFollower::pod_list() const {
    std::vector<nlohmann::json> pods;
    for (const auto& [name, pod] : m_pods)
        pods.push_back(pod);
    return pods;
}

PodFeed::PodFeed(Client& client, std::string namespace_name, std::string selector)
    : m_client(client), m_namespace(std::move(namespace_name)), m_selector(std::move(selector)) {}

PodFeed::~PodFeed() {
    if (m_watch) m_client.cancel(*m_watch);
    if (m_list) m_client.cancel(*m_list);
}

void PodFeed::add(JobLogFollower& follower) {
    follower.attach(*this);
    m_followers[follower.job_name()] = &follower;
}

bool PodFeed::take_stream() {
    if (m_open_streams >= k_max_log_streams) return false;
    ++m_open_streams;
    m_peak_streams = std::max(m_peak_streams, m_open_streams);
    return true;
}

void PodFeed::start() { start_watch(""); }

void PodFeed::start_watch(const std::string& resource_version) {
    WatchOptions options;
    options.label_selector = m_selector;
    options.resource_version = resource_version;
    options.lean = true;
    WatchHandlers handlers;
    handlers.on_event = [this](const WatchEvent& event) {
        const std::string version = string_at(event.object, {"metadata", "resourceVersion"});
        if (!version.empty()) m_version = version;
        const auto found = m_followers.find(owning_job(event.object));
        if (found == m_followers.end()) return true;
        if (event.type == WatchEventType::added || event.type == WatchEventType::modified) {
            found->second->pod_event(event.object, false);
        } else if (event.type == WatchEventType::deleted) {
            found->second->pod_event(event.object, true);
        }
        return true;
    };
    handlers.on_end = [this](std::optional<ApiError> error) {
        m_watch.reset();
        if (!error) return;
        if (error->forbidden() || error->unauthorized() ||
            (error->code() >= 400 && error->code() < 500 && error->code() != 429 && !error->gone())) {
            m_failure = *error;
            return;
        }
        // As a follower's own watch: keep watching from the newest version, one request for all pods.
        start_watch(error->gone() ? std::string() : m_version);
    };
    m_watch = m_client.start_watch(fmt::format("/api/v1/namespaces/{}/pods", m_namespace), options,
                                   std::move(handlers));
}

void PodFeed::poll() {
    if (m_list || m_waiting.empty() || Clock::now() < m_next_list) return;
    // Lists of every pod of thousands of Jobs, one a second at most, so that Jobs finishing one after
    // another do not make a list each.
    m_next_list = Clock::now() + k_final_list_gap;
    // One list settles every follower whose Job had finished when it started (see
    // JobLogFollower::final_list); those that finish meanwhile wait for the next.
    auto batch = std::make_shared<std::vector<JobLogFollower*>>(std::move(m_waiting));
    m_waiting.clear();
    auto seen = std::make_shared<std::map<std::string, std::set<std::string>>>();
    ListOptions options;
    options.label_selector = m_selector;
    options.lean = true;
    // Pages of 100 pods: a page of 500 parsed was 7 MiB, the most kq held at once following 1,000 Jobs.
    options.limit = 100;
    // Only the pods of the Jobs that finished, while they are few: a list of every pod of thousands of
    // Jobs each time a few of them finish would cost the server and kq time that grows with them all.
    if (batch->size() <= k_final_list_names) {
        std::string names;
        for (const JobLogFollower* follower : *batch)
            names += (names.empty() ? "" : ",") + follower->job_name();
        options.label_selector +=
            fmt::format("{}{} in ({})", m_selector.empty() ? "" : ",", k_job_name_label, names);
    }
    m_list = m_client.start_list(
        fmt::format("/api/v1/namespaces/{}/pods", m_namespace), options,
        [this, seen](nlohmann::json& page) {
            const nlohmann::json* items = lookup(page, {"items"});
            if (items == nullptr || !items->is_array()) return;
            for (const nlohmann::json& pod : *items) {
                const std::string job = owning_job(pod);
                const auto found = m_followers.find(job);
                if (found == m_followers.end()) continue;
                (*seen)[job].insert(string_at(pod, {"metadata", "name"}));
                found->second->pod_event(pod, false);
            }
        },
        [this, batch, seen](const std::string&, std::optional<ApiError> error) {
            m_list.reset();
            if (error) {
                // Tried again from poll(); the caller's deadline bounds it.
                m_waiting.insert(m_waiting.end(), batch->begin(), batch->end());
                return;
            }
            for (JobLogFollower* follower : *batch)
                follower->final_listed((*seen)[follower->job_name()]);
        });
}

} // namespace kq::kube
