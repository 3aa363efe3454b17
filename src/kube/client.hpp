#pragma once

#include "kube/api_error.hpp"
#include "kube/auth.hpp"
#include "kube/client_config.hpp"
#include "kube/transport.hpp"
#include "kube/url.hpp"
#include "kube/watch.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

namespace kq::kube {

// When and how often a failed request is tried again.
struct RetryPolicy {
    int max_attempts = 5;                             // tries in all, the first included
    std::chrono::milliseconds base_delay{200};        // doubled after each try, with jitter
    std::chrono::milliseconds max_delay{5000};        // the most one backoff waits
    std::chrono::milliseconds max_retry_after{30000}; // the most a server's Retry-After makes us wait
    // How long in all a request the server keeps refusing with 429 Too Many Requests (or 503 with a
    // Retry-After) is tried again, however many attempts that takes: the server did not act on it.
    std::chrono::milliseconds throttle_patience{120000};
};

// How a client behaves, apart from where it connects.
struct ClientOptions {
    std::chrono::milliseconds request_timeout{0}; // --request-timeout, per request (not streams); 0 for none
    std::chrono::milliseconds connect_timeout{30000};
    int verbosity = 0;                            // -v count
    std::function<void(const std::string&)> log;  // where -v lines go (stderr)
    std::function<void(const std::string&)> warn; // one-line warnings (insecure TLS, server warnings)
    bool stdin_is_terminal = false;               // lets an exec plugin prompt (interactiveMode)
    RetryPolicy retry;
    size_t max_in_flight = 200; // requests handed to libcurl at once, beyond which they queue
    AuthOptions auth;           // replaced by tests; stdin_is_terminal above wins
};

// One API call: method, path, query and JSON body.
struct ApiRequest {
    std::string method = "GET";
    std::string path; // e.g. /apis/batch/v1/namespaces/default/jobs
    Query query;
    std::optional<nlohmann::json> body;
    std::string content_type = "application/json"; // e.g. application/merge-patch+json for PATCH
    // Retry even when the server may have received the request: for creates with deterministic names,
    // whose caller treats a 409 AlreadyExists after a retry as its own earlier success.
    bool retry_unsafe = false;
    // Send it once and take the first answer, even 429 or 503 (a 401 still refreshes credentials): for
    // optional extras that must not slow a command down, such as Kueue's visibility API, which the
    // aggregator answers 503 while Kueue is down.
    bool single_attempt = false;
    // Parse the answer without what kq never reads of the objects in it and what makes most of their
    // size: each object's metadata.managedFields and every spec.template (a Job's pod template). For
    // lists of Jobs and pods that kq only follows, so that a page of hundreds costs little memory.
    bool lean = false;
};

// The outcome of an asynchronous call: the response object, or the error a synchronous call throws.
struct ApiResult {
    long status = 0;
    nlohmann::json object; // the parsed body (null when empty)
    std::optional<ApiError> error;
    int attempts = 0;  // how many times the request was sent
    int throttled = 0; // how many of them the server refused with 429 (or 503 with Retry-After)

    // True when the call succeeded.
    bool ok() const { return !error.has_value(); }
};

// Options of a paginated list.
struct ListOptions {
    std::string label_selector;
    std::string field_selector;
    size_t limit = 500; // items per page; 0 for all at once
    bool lean = false;  // parse each page as ApiRequest::lean says
};

// Options of a watch.
struct WatchOptions {
    std::string resource_version; // start after this; empty: the current objects first, as ADDED
    std::string label_selector;
    std::string field_selector;
    std::chrono::seconds timeout{0}; // timeoutSeconds of each watch request; 0 for the server's default
    bool lean = false;               // a relist (after 410 Gone) parses as ApiRequest::lean says
};

// What a watch calls back.
struct WatchHandlers {
    // Each ADDED, MODIFIED or DELETED event, in order; return false to stop watching.
    std::function<bool(const WatchEvent& event)> on_event;
    // Called when the watch had to list afresh (410 Gone): forget what you knew, the current objects
    // follow as ADDED events. May be null.
    std::function<void()> on_relist;
    // Called when such a list has handed over every current object, before watching resumes: an object
    // not among them is gone. May be null.
    std::function<void()> on_listed;
    // Called once when the watch ends other than through cancel(): with the error, or without one when
    // on_event returned false.
    std::function<void(std::optional<ApiError> error)> on_end;
};

// What a stream (pod logs) calls back.
struct StreamHandlers {
    // The body's bytes as they arrive; return false to stop.
    std::function<bool(std::string_view bytes)> on_data;
    // Called once when the stream ends other than through cancel(): with the error, or without one
    // when the server ended it or on_data returned false.
    std::function<void(std::optional<ApiError> error)> on_end;
};

// Identifies an asynchronous call, a list, a watch or a stream.
using CallId = std::uint64_t;

// The Kubernetes API client: a resolved configuration, its credentials and one transport. Synchronous
// calls block until done (running any asynchronous ones meanwhile); asynchronous ones progress inside
// run(). Errors are ApiError (a kq::Error of kind cluster) with kubectl's wording. Single-threaded.
class Client {
public:
    explicit Client(ClientConfig config, ClientOptions options = {});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // The configuration it was made with.
    const ClientConfig& config() const { return m_config; }

    // GETs an object.
    nlohmann::json get(const std::string& path, const Query& query = {});

    // POSTs an object and returns what the server made of it; with `retry_unsafe` the create is retried
    // even when the server may have received it (for deterministic names).
    nlohmann::json create(const std::string& path, const nlohmann::json& object, bool retry_unsafe = false);

    // DELETEs an object or collection, with optional DeleteOptions (e.g. propagationPolicy).
    nlohmann::json remove(const std::string& path, const Query& query = {},
                          const std::optional<nlohmann::json>& options = std::nullopt);

    // PATCHes an object (merge patch unless content_type says otherwise).
    nlohmann::json patch(const std::string& path, const nlohmann::json& patch,
                         const std::string& content_type = "application/merge-patch+json");

    // Any call, synchronously; throws ApiError.
    nlohmann::json call(ApiRequest request);

    // Lists a collection page by page (limit/continue), handing each List object to `on_page` so that
    // memory stays bounded; returns the list's resourceVersion, to watch from.
    std::string list(const std::string& path, const ListOptions& options,
                     const std::function<void(nlohmann::json& page)>& on_page);

    // Watches a collection until on_event returns false (true is returned) or the deadline passes
    // (false); resumes after dropped connections and lists afresh on 410 Gone. Throws ApiError.
    bool watch(const std::string& path, const WatchOptions& options,
               const std::function<bool(const WatchEvent& event)>& on_event,
               std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt,
               const std::function<void()>& on_relist = nullptr);

    // Streams a body (pod logs) to `on_data` until the server ends it or on_data returns false. Throws
    // ApiError.
    void stream(const std::string& path, const Query& query,
                const std::function<bool(std::string_view)>& on_data);

    // Starts a call; `done` gets the result from inside run(). Retries as the policy allows.
    CallId start(ApiRequest request, std::function<void(ApiResult&& result)> done);

    // Starts a paginated list: `on_page` for each page, then `done` with the resourceVersion or the error.
    CallId
    start_list(const std::string& path, const ListOptions& options,
               std::function<void(nlohmann::json& page)> on_page,
               std::function<void(const std::string& resource_version, std::optional<ApiError> error)> done);

    // Starts a watch, as watch() but asynchronous.
    CallId start_watch(const std::string& path, const WatchOptions& options, WatchHandlers handlers);

    // Starts a stream, as stream() but asynchronous.
    CallId start_stream(const std::string& path, const Query& query, StreamHandlers handlers);

    // Calls `action` from run() once `delay` has passed (for timeouts, pacing and tests).
    void after(std::chrono::milliseconds delay, std::function<void()> action) {
        m_transport.after(delay, std::move(action));
    }

    // Stops a call, list, watch or stream without calling its handlers again.
    void cancel(CallId id);

    // Runs asynchronous calls until `done` returns true, nothing is left, or the deadline passes.
    RunOutcome run(const std::function<bool()>& done,
                   std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

    // The transport's counters (requests, connections opened, HTTP version).
    const TransportStats& stats() const { return m_transport.stats(); }

    // A time the server did not answer: the last failure to reach it and when the failures began.
    struct Outage {
        ApiError error;
        std::chrono::steady_clock::time_point since;
    };

    // The outage going on, if the last request failed to reach the server and no response or streamed
    // data came since; for messages such as a wait's timeout.
    const std::optional<Outage>& outage() const { return m_outage; }

    // How many times the exec plugin ran (for tests and -v).
    int exec_runs() const { return m_auth.exec_runs(); }

private:
    struct Call;
    struct ListState;
    struct WatchState;
    struct RetryDecision;

    void send(const std::shared_ptr<Call>& call);
    // Ends an attempt: retries the call or hands its result to its done handler.
    void finish(const std::shared_ptr<Call>& call, HttpResponse&& response);
    // Notes whether the cluster answered, for retries of refused connections and for outage().
    void track_outage(const HttpResponse& response);
    // The retry policy: whether, and after how long, the call goes again after this response.
    RetryDecision decide_retry(Call& call, const HttpResponse& response);
    // The result a call ends with when it is not retried.
    ApiResult result_of(const Call& call, const HttpResponse& response) const;
    std::chrono::milliseconds backoff(int attempt) const;
    std::chrono::milliseconds jittered(std::chrono::milliseconds delay) const;
    void report_warnings(const HttpResponse& response);
    void list_page(const std::shared_ptr<ListState>& state);
    void watch_connect(const std::shared_ptr<WatchState>& state);
    void watch_relist(const std::shared_ptr<WatchState>& state);
    void watch_retry(const std::shared_ptr<WatchState>& state, const ApiError& error);
    void watch_end(const std::shared_ptr<WatchState>& state, std::optional<ApiError> error);

    ClientConfig m_config;
    ClientOptions m_options;
    Authenticator m_auth;
    Transport m_transport;
    CallId m_next_id = 1;
    std::map<CallId, std::shared_ptr<Call>> m_calls;         // calls in flight or waiting to retry
    std::map<CallId, std::shared_ptr<WatchState>> m_watches; // watches, by their own id
    std::map<CallId, std::shared_ptr<ListState>> m_lists;    // lists, by their own id
    std::set<std::string> m_warned;                          // server warnings already shown
    bool m_reached = false; // some request got a response: the cluster was up once
    std::optional<Outage> m_outage;
};

} // namespace kq::kube
