#include "kube/client.hpp"

#include "util/version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

namespace kq::kube {
namespace {

bool is_idempotent(const std::string& method) {
    return method == "GET" || method == "HEAD" || method == "DELETE";
}

std::string target_of(const std::string& path, const Query& query) {
    if (query.empty()) return path;
    return path + "?" + encode_query(query);
}

// The Retry-After of a response in whole seconds, when it carries one.
std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response) {
    const std::string value = response.header("retry-after");
    if (value.empty() || value.size() > 9 || !std::all_of(value.begin(), value.end(), ::isdigit))
        return std::nullopt;
    return std::chrono::seconds(std::stol(value));
}

// A transfer failure in a word or two, for -v.
const char* transfer_error_name(TransferError error) {
    switch (error) {
    case TransferError::none: return "no error";
    case TransferError::resolve: return "a name lookup failure";
    case TransferError::connect: return "a refused connection";
    case TransferError::proxy: return "a proxy failure";
    case TransferError::tls_unknown_authority:
    case TransferError::tls_name_mismatch:
    case TransferError::tls_expired:
    case TransferError::tls_client_certificate:
    case TransferError::tls: return "a TLS failure";
    case TransferError::timeout: return "a timeout";
    case TransferError::connection_lost: return "a lost connection";
    case TransferError::aborted: return "an abort";
    case TransferError::other: return "a transfer failure";
    }
    return "a transfer failure";
}

// The text of a Warning header ("299 - \"text\""), as kubectl prints it.
std::string warning_text(const std::string& header) {
    const size_t open = header.find('"');
    const size_t close = header.rfind('"');
    if (open == std::string::npos || close <= open) return header;
    return header.substr(open + 1, close - open - 1);
}

// A request of the given method and path.
// Parses a response body; a lean one without each object's metadata.managedFields and spec.template
// (ApiRequest::lean), which are left out as the parser meets them, so they never take memory.
nlohmann::json parse_body(const std::string& body, bool lean) {
    if (!lean) return nlohmann::json::parse(body);
    // The key each open object was entered by, by depth ("" inside an array).
    std::vector<std::string> keys;
    auto filter = [&keys](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        const auto at = static_cast<size_t>(depth);
        if (event == nlohmann::json::parse_event_t::array_start) {
            // The array's elements are entered by no key.
            if (keys.size() <= at + 1) keys.resize(at + 2);
            keys[at + 1].clear();
            return true;
        }
        if (event != nlohmann::json::parse_event_t::key || !parsed.is_string()) return true;
        if (keys.size() <= at) keys.resize(at + 1);
        keys[at] = parsed.get_ref<const std::string&>();
        if (at == 0) return true;
        const std::string& parent = keys[at - 1];
        const std::string& key = keys[at];
        return !((key == "managedFields" && parent == "metadata") || (key == "template" && parent == "spec"));
    };
    return nlohmann::json::parse(body, filter);
}

ApiRequest make_request(const std::string& method, const std::string& path) {
    ApiRequest request;
    request.method = method;
    request.path = path;
    return request;
}

std::string resource_version_of(const nlohmann::json& object) {
    const auto metadata = object.find("metadata");
    if (metadata == object.end() || !metadata->is_object()) return "";
    return metadata->value("resourceVersion", "");
}

TransportConfig transport_config(const ClientConfig& config, const ClientOptions& options) {
    TransportConfig transport;
    transport.server = config.server;
    transport.ca_pem = config.ca_pem;
    transport.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
    transport.tls_server_name = config.tls_server_name;
    transport.proxy_url = config.proxy_url;
    transport.accept_gzip = !config.disable_compression;
    transport.connect_timeout = options.connect_timeout;
    transport.user_agent = fmt::format("kq/{}", k_version);
    transport.max_in_flight = options.max_in_flight;
    transport.verbosity = options.verbosity;
    transport.log = options.log;
    return transport;
}

AuthOptions auth_options(const ClientOptions& options) {
    AuthOptions auth = options.auth;
    auth.stdin_is_terminal = auth.stdin_is_terminal || options.stdin_is_terminal;
    if (!auth.log && options.verbosity >= 1) auth.log = options.log;
    return auth;
}

} // namespace

// One call on its way, across its retries.
struct Client::Call {
    CallId id = 0;
    ApiRequest request;
    std::string target;
    std::string body;
    bool stream = false;
    std::function<bool(std::string_view)> on_data; // for streams
    std::function<void(ApiResult&&)> done;
    int attempts = 0;
    std::chrono::steady_clock::time_point first_sent{}; // the first attempt, for the throttle patience
    int throttled = 0;                                  // attempts answered 429 (or 503 with Retry-After)
    bool auth_retried = false;
    bool data_started = false;       // a stream handed out bytes: a failure now is not retried here
    bool stopped_by_handler = false; // on_data returned false
    bool cancelled = false;
    Credentials used;
    RequestId request_id = 0;
};

// What the retry policy makes of one response: send the call again after a delay, or end it, with the
// response's result or, when refreshing the credentials after a 401 failed, with that failure.
struct Client::RetryDecision {
    std::optional<std::chrono::milliseconds> delay;
    std::optional<ApiError> refresh_failure;
};

// A paginated list on its way.
struct Client::ListState {
    CallId id = 0;
    std::string path;
    ListOptions options;
    std::function<void(nlohmann::json&)> on_page;
    std::function<void(const std::string&, std::optional<ApiError>)> done;
    std::string continue_token;
    CallId current = 0;
    bool cancelled = false;
};

// A watch on its way: where it is in the stream, and what it is doing now.
struct Client::WatchState {
    CallId id = 0;
    std::string path;
    WatchOptions options;
    WatchHandlers handlers;
    std::string resource_version;
    JsonStreamDecoder decoder;
    CallId current = 0; // the watch request or relist in flight
    int failures = 0;   // reconnects since the last event
    bool had_data = false;
    bool cancelled = false;
    enum class Next { none, stop, relist, fail } next = Next::none; // decided while reading the stream
    std::optional<ApiError> error;
};

Client::Client(ClientConfig config, ClientOptions options)
    : m_config(std::move(config)), m_options(std::move(options)), m_auth(m_config, auth_options(m_options)),
      m_transport(transport_config(m_config, m_options)) {
    if (m_config.insecure_skip_tls_verify && m_options.warn) {
        m_options.warn(fmt::format("TLS certificate verification is disabled for cluster \"{}\" "
                                   "(insecure-skip-tls-verify); the connection can be intercepted",
                                   m_config.cluster));
    }
    if (!m_config.credentials_withheld.empty() && m_options.verbosity >= 1 && m_options.log) {
        m_options.log(fmt::format("not sending the credentials of user \"{}\": {}; kq, as kubectl, sends "
                                  "credentials only over TLS (https)",
                                  m_config.user, m_config.credentials_withheld));
    }
}

Client::~Client() = default;

std::chrono::milliseconds Client::backoff(int attempt) const {
    // Exponential backoff with jitter, so that many clients (or many calls of one) don't retry in step.
    static thread_local std::mt19937 random{std::random_device{}()};
    const auto base = m_options.retry.base_delay.count();
    const auto cap = m_options.retry.max_delay.count();
    const long long exponential = std::min<long long>(cap, base << std::min(attempt - 1, 20));
    std::uniform_real_distribution<double> jitter(0.5, 1.0);
    return std::chrono::milliseconds(
        static_cast<long long>(static_cast<double>(exponential) * jitter(random)));
}

std::chrono::milliseconds Client::jittered(std::chrono::milliseconds delay) const {
    // Up to half as long again, so that requests refused together do not come back together.
    static thread_local std::mt19937 random{std::random_device{}()};
    std::uniform_real_distribution<double> extra(0.0, 0.5);
    return delay + std::chrono::milliseconds(
                       static_cast<long long>(static_cast<double>(delay.count()) * extra(random)));
}

void Client::report_warnings(const HttpResponse& response) {
    if (!m_options.warn) return;
    for (const auto& [name, value] : response.headers) {
        if (name != "warning") continue;
        const std::string text = warning_text(value);
        if (m_warned.insert(text).second) m_options.warn(text);
    }
}

CallId Client::start(ApiRequest request, std::function<void(ApiResult&&)> done) {
    auto call = std::make_shared<Call>();
    call->id = m_next_id++;
    call->target = target_of(request.path, request.query);
    if (request.body) call->body = request.body->dump();
    call->request = std::move(request);
    call->done = std::move(done);
    m_calls.emplace(call->id, call);
    send(call);
    return call->id;
}

void Client::send(const std::shared_ptr<Call>& call) {
    if (call->cancelled) return;
    HttpRequest request;
    try {
        call->used = m_auth.credentials();
    } catch (const Error& error) {
        // An exec plugin that fails fails the call; report it from run(), as any other result.
        m_calls.erase(call->id);
        ApiError failure(error.what(), 0, "", false);
        m_transport.after(std::chrono::milliseconds(0), [call, failure] {
            if (call->cancelled) return;
            ApiResult result;
            result.error = failure;
            result.attempts = call->attempts;
            call->done(std::move(result));
        });
        return;
    }
    request.method = call->request.method;
    request.target = call->target;
    request.body = call->body;
    request.stream = call->stream;
    request.timeout = call->stream ? std::chrono::milliseconds(0) : m_options.request_timeout;
    request.authorization = call->used.authorization;
    request.certificate = call->used.certificate;
    request.headers.emplace_back("Accept", "application/json");
    if (call->request.body) request.headers.emplace_back("Content-Type", call->request.content_type);
    const Impersonation& as = m_config.impersonate;
    if (!as.user.empty()) {
        request.headers.emplace_back("Impersonate-User", as.user);
        if (!as.uid.empty()) request.headers.emplace_back("Impersonate-Uid", as.uid);
        for (const std::string& group : as.groups)
            request.headers.emplace_back("Impersonate-Group", group);
        for (const auto& [key, values] : as.extra) {
            for (const std::string& value : values) {
                request.headers.emplace_back("Impersonate-Extra-" + percent_encode(key), value);
            }
        }
    }
    HttpHandlers handlers;
    if (call->stream) {
        handlers.on_data = [this, call](std::string_view bytes) {
            m_outage.reset();
            call->data_started = true;
            const bool more = call->on_data(bytes);
            if (!more) call->stopped_by_handler = true;
            return more;
        };
    }
    handlers.on_done = [this, call](HttpResponse&& response) { finish(call, std::move(response)); };
    if (call->attempts++ == 0) call->first_sent = std::chrono::steady_clock::now();
    call->request_id = m_transport.start(std::move(request), std::move(handlers));
}

void Client::finish(const std::shared_ptr<Call>& call, HttpResponse&& response) {
    if (call->cancelled) return;
    report_warnings(response);
    track_outage(response);
    RetryDecision decision = decide_retry(*call, response);
    if (decision.delay) {
        if (m_options.verbosity >= 1 && m_options.log) {
            const std::string why = response.status > 0 ? fmt::format("HTTP {}", response.status)
                                                        : std::string(transfer_error_name(response.error));
            m_options.log(fmt::format("retrying {} {} after {} in {}ms (attempt {})", call->request.method,
                                      call->target, why, decision.delay->count(), call->attempts + 1));
        }
        m_transport.after(*decision.delay, [this, call] { send(call); });
        return;
    }
    m_calls.erase(call->id);
    if (decision.refresh_failure) {
        ApiResult result;
        result.status = 401;
        result.error = std::move(decision.refresh_failure);
        result.attempts = call->attempts;
        call->done(std::move(result));
        return;
    }
    call->done(result_of(*call, response));
}

void Client::track_outage(const HttpResponse& response) {
    if (response.status > 0) {
        m_reached = true;
        m_outage.reset();
    } else if (response.error == TransferError::connect || response.error == TransferError::connection_lost ||
               response.error == TransferError::timeout) {
        ApiError error = transfer_error(response, m_config, m_options.request_timeout);
        if (m_outage) {
            m_outage->error = std::move(error);
        } else {
            m_outage = Outage{std::move(error), std::chrono::steady_clock::now()};
        }
    }
}

Client::RetryDecision Client::decide_retry(Call& call, const HttpResponse& response) {
    const RetryPolicy& policy = m_options.retry;
    const bool may_repeat = is_idempotent(call.request.method) || call.request.retry_unsafe;
    const bool attempts_left = call.attempts < policy.max_attempts;
    RetryDecision decision;
    if (call.stopped_by_handler) {
        // The handler ended the stream; nothing to retry or report.
    } else if (call.request.single_attempt && response.status != 401) {
        // The caller takes the first answer.
    } else if (response.error != TransferError::none) {
        // A refused connection is retried only once the cluster has answered before (an API server
        // restarting); at the first request it means nothing is listening, which waiting won't fix.
        const bool transient = response.error == TransferError::connection_lost ||
                               (response.error == TransferError::connect && m_reached);
        if (transient && !call.data_started && attempts_left && (!response.request_sent || may_repeat)) {
            decision.delay = backoff(call.attempts);
        }
    } else if (response.status == 401 && !call.auth_retried && !call.data_started) {
        call.auth_retried = true;
        try {
            if (m_auth.refresh(call.used)) decision.delay = std::chrono::milliseconds(0);
        } catch (const Error& error) {
            decision.refresh_failure = ApiError(error.what(), 401, "Unauthorized", true);
        }
    } else if (response.status == 429 || (response.status == 503 && retry_after(response))) {
        // The server refused the request without acting on it, so even a create may go again, and for
        // as long as the patience lasts: throttling ends when the load does, not after N attempts.
        // Jitter spreads the retries of a fan-out that the server throttled all at once.
        const std::optional<std::chrono::milliseconds> after = retry_after(response);
        const auto wait = after ? jittered(std::min(*after, policy.max_retry_after)) : backoff(call.attempts);
        if (std::chrono::steady_clock::now() + wait - call.first_sent <= policy.throttle_patience) {
            ++call.throttled;
            decision.delay = wait;
        }
    } else if (response.status == 503 && attempts_left) {
        decision.delay = backoff(call.attempts);
    } else if (response.status >= 500 && may_repeat && attempts_left) {
        decision.delay = backoff(call.attempts);
    }
    return decision;
}

ApiResult Client::result_of(const Call& call, const HttpResponse& response) const {
    ApiResult result;
    result.status = response.status;
    result.attempts = call.attempts;
    result.throttled = call.throttled;
    if (call.stopped_by_handler) {
        // A stream its handler stopped ended well.
    } else if (response.error != TransferError::none) {
        result.error = transfer_error(response, m_config, m_options.request_timeout);
    } else if (response.status < 200 || response.status >= 300) {
        result.error = response_error(response, call.request.method, call.request.path, m_config);
    } else if (!call.stream && !response.body.empty()) {
        try {
            result.object = parse_body(response.body, call.request.lean);
        } catch (const nlohmann::json::exception& error) {
            result.error = ApiError(fmt::format("the server sent a response that is not JSON for {} {}: {}",
                                                call.request.method, call.request.path, error.what()),
                                    response.status, "", true);
        }
    }
    return result;
}

void Client::cancel(CallId id) {
    if (const auto found = m_calls.find(id); found != m_calls.end()) {
        found->second->cancelled = true;
        m_transport.cancel(found->second->request_id);
        m_calls.erase(found);
        return;
    }
    if (const auto found = m_lists.find(id); found != m_lists.end()) {
        const std::shared_ptr<ListState> state = found->second;
        m_lists.erase(found);
        state->cancelled = true;
        cancel(state->current);
        return;
    }
    if (const auto found = m_watches.find(id); found != m_watches.end()) {
        const std::shared_ptr<WatchState> state = found->second;
        m_watches.erase(found);
        state->cancelled = true;
        cancel(state->current);
    }
}

RunOutcome Client::run(const std::function<bool()>& done,
                       std::optional<std::chrono::steady_clock::time_point> deadline) {
    return m_transport.run(done, deadline);
}

nlohmann::json Client::call(ApiRequest request) {
    std::optional<ApiResult> result;
    start(std::move(request), [&](ApiResult&& outcome) { result = std::move(outcome); });
    run([&] { return result.has_value(); });
    if (result->error) throw *result->error;
    return std::move(result->object);
}

nlohmann::json Client::get(const std::string& path, const Query& query) {
    ApiRequest request = make_request("GET", path);
    request.query = query;
    return call(std::move(request));
}

nlohmann::json Client::create(const std::string& path, const nlohmann::json& object, bool retry_unsafe) {
    ApiRequest request = make_request("POST", path);
    request.body = object;
    request.retry_unsafe = retry_unsafe;
    return call(std::move(request));
}

nlohmann::json Client::remove(const std::string& path, const Query& query,
                              const std::optional<nlohmann::json>& options) {
    ApiRequest request = make_request("DELETE", path);
    request.query = query;
    request.body = options;
    return call(std::move(request));
}

nlohmann::json Client::patch(const std::string& path, const nlohmann::json& patch,
                             const std::string& content_type) {
    ApiRequest request = make_request("PATCH", path);
    request.body = patch;
    request.content_type = content_type;
    return call(std::move(request));
}

CallId Client::start_list(const std::string& path, const ListOptions& options,
                          std::function<void(nlohmann::json&)> on_page,
                          std::function<void(const std::string&, std::optional<ApiError>)> done) {
    auto state = std::make_shared<ListState>();
    state->id = m_next_id++;
    state->path = path;
    state->options = options;
    state->on_page = std::move(on_page);
    state->done = std::move(done);
    m_lists.emplace(state->id, state);
    list_page(state);
    return state->id;
}

void Client::list_page(const std::shared_ptr<ListState>& state) {
    ApiRequest request = make_request("GET", state->path);
    if (!state->options.label_selector.empty())
        request.query.emplace_back("labelSelector", state->options.label_selector);
    if (!state->options.field_selector.empty())
        request.query.emplace_back("fieldSelector", state->options.field_selector);
    if (state->options.limit > 0) request.query.emplace_back("limit", std::to_string(state->options.limit));
    if (!state->continue_token.empty()) request.query.emplace_back("continue", state->continue_token);
    request.lean = state->options.lean;
    state->current = start(std::move(request), [this, state](ApiResult&& result) {
        if (state->cancelled) return;
        if (!result.ok()) {
            m_lists.erase(state->id);
            state->done("", std::move(result.error));
            return;
        }
        const std::string resource_version = resource_version_of(result.object);
        std::string next;
        if (const auto metadata = result.object.find("metadata");
            metadata != result.object.end() && metadata->is_object()) {
            next = metadata->value("continue", "");
        }
        state->on_page(result.object);
        if (state->cancelled) return;
        if (!next.empty()) {
            state->continue_token = next;
            list_page(state);
            return;
        }
        m_lists.erase(state->id);
        state->done(resource_version, std::nullopt);
    });
}

std::string Client::list(const std::string& path, const ListOptions& options,
                         const std::function<void(nlohmann::json&)>& on_page) {
    bool finished = false;
    std::string resource_version;
    std::optional<ApiError> error;
    start_list(path, options, on_page, [&](const std::string& version, std::optional<ApiError> failure) {
        finished = true;
        resource_version = version;
        error = std::move(failure);
    });
    run([&] { return finished; });
    if (error) throw *error;
    return resource_version;
}

CallId Client::start_watch(const std::string& path, const WatchOptions& options, WatchHandlers handlers) {
    auto state = std::make_shared<WatchState>();
    state->id = m_next_id++;
    state->path = path;
    state->options = options;
    state->handlers = std::move(handlers);
    state->resource_version = options.resource_version;
    m_watches.emplace(state->id, state);
    watch_connect(state);
    return state->id;
}

void Client::watch_connect(const std::shared_ptr<WatchState>& state) {
    if (state->cancelled) return;
    state->decoder.reset();
    state->had_data = false;
    state->next = WatchState::Next::none;
    auto call = std::make_shared<Call>();
    call->id = m_next_id++;
    call->request.method = "GET";
    call->request.path = state->path;
    Query& query = call->request.query;
    query.emplace_back("watch", "true");
    query.emplace_back("allowWatchBookmarks", "true");
    if (!state->resource_version.empty()) query.emplace_back("resourceVersion", state->resource_version);
    if (!state->options.label_selector.empty())
        query.emplace_back("labelSelector", state->options.label_selector);
    if (!state->options.field_selector.empty())
        query.emplace_back("fieldSelector", state->options.field_selector);
    if (state->options.timeout.count() > 0)
        query.emplace_back("timeoutSeconds", std::to_string(state->options.timeout.count()));
    call->target = target_of(call->request.path, query);
    call->stream = true;
    call->on_data = [state](std::string_view bytes) {
        state->had_data = true;
        try {
            state->decoder.feed(bytes, [&](std::string_view text) {
                if (state->next != WatchState::Next::none || state->cancelled) return;
                WatchEvent event = parse_watch_event(text);
                if (event.type == WatchEventType::error) {
                    const long code = event.object.value("code", 0L);
                    const std::string reason = event.object.value("reason", "");
                    if (code == 410 || reason == "Expired" || reason == "Gone") {
                        state->next = WatchState::Next::relist;
                        return;
                    }
                    state->next = WatchState::Next::fail;
                    state->error = ApiError(event.object.value("message", "the watch failed"), code, reason,
                                            true, event.object);
                    return;
                }
                if (const std::string version = resource_version_of(event.object); !version.empty()) {
                    state->resource_version = version;
                }
                state->failures = 0;
                if (event.type == WatchEventType::bookmark) return;
                if (!state->handlers.on_event(event)) state->next = WatchState::Next::stop;
            });
        } catch (const Error& error) {
            state->next = WatchState::Next::fail;
            state->error = ApiError(error.what(), 200, "", true);
        }
        return state->next == WatchState::Next::none && !state->cancelled;
    };
    call->done = [this, state](ApiResult&& result) {
        if (state->cancelled) return;
        switch (state->next) {
        case WatchState::Next::stop: watch_end(state, std::nullopt); return;
        case WatchState::Next::fail: watch_end(state, state->error); return;
        case WatchState::Next::relist: watch_relist(state); return;
        case WatchState::Next::none: break;
        }
        if (result.ok()) {
            // The server ended the watch (its timeout): carry on from where it was.
            watch_connect(state);
            return;
        }
        if (result.error->gone()) {
            watch_relist(state);
            return;
        }
        if (state->had_data) {
            watch_retry(state, *result.error);
            return;
        }
        watch_end(state, std::move(result.error));
    };
    m_calls.emplace(call->id, call);
    state->current = call->id;
    send(call);
}

void Client::watch_retry(const std::shared_ptr<WatchState>& state, const ApiError& error) {
    // A stream that broke after it had worked resumes from the last resourceVersion it saw.
    if (++state->failures >= m_options.retry.max_attempts) {
        watch_end(state, error);
        return;
    }
    if (m_options.verbosity >= 1 && m_options.log) {
        m_options.log(fmt::format("watch of {} broke ({}); resuming from resourceVersion {}", state->path,
                                  error.what(),
                                  state->resource_version.empty() ? "\"\"" : state->resource_version));
    }
    m_transport.after(backoff(state->failures), [this, state] { watch_connect(state); });
}

void Client::watch_relist(const std::shared_ptr<WatchState>& state) {
    // The resourceVersion is too old for the server's history: list afresh, hand the current objects
    // over as ADDED, and watch from the list's resourceVersion.
    if (m_options.verbosity >= 1 && m_options.log) {
        m_options.log(fmt::format("watch of {}: resourceVersion {} is gone (410); listing afresh",
                                  state->path, state->resource_version));
    }
    if (state->handlers.on_relist) state->handlers.on_relist();
    if (state->cancelled) return;
    ListOptions options;
    options.label_selector = state->options.label_selector;
    options.field_selector = state->options.field_selector;
    options.lean = state->options.lean;
    state->current = start_list(
        state->path, options,
        [this, state](nlohmann::json& page) {
            const auto items = page.find("items");
            if (items == page.end() || !items->is_array()) return;
            for (nlohmann::json& item : *items) {
                if (state->cancelled || state->next == WatchState::Next::stop) return;
                if (!state->handlers.on_event(WatchEvent{WatchEventType::added, std::move(item)})) {
                    state->next = WatchState::Next::stop;
                    cancel(state->current);
                    watch_end(state, std::nullopt);
                    return;
                }
            }
        },
        [this, state](const std::string& resource_version, std::optional<ApiError> error) {
            if (state->cancelled) return;
            if (error) {
                watch_end(state, std::move(error));
                return;
            }
            state->resource_version = resource_version;
            state->failures = 0;
            if (state->handlers.on_listed) state->handlers.on_listed();
            if (state->cancelled) return;
            watch_connect(state);
        });
}

void Client::watch_end(const std::shared_ptr<WatchState>& state, std::optional<ApiError> error) {
    if (state->cancelled) return;
    state->cancelled = true;
    m_watches.erase(state->id);
    if (state->handlers.on_end) state->handlers.on_end(std::move(error));
}

bool Client::watch(const std::string& path, const WatchOptions& options,
                   const std::function<bool(const WatchEvent&)>& on_event,
                   std::optional<std::chrono::steady_clock::time_point> deadline,
                   const std::function<void()>& on_relist) {
    bool ended = false;
    std::optional<ApiError> error;
    WatchHandlers handlers;
    handlers.on_event = on_event;
    handlers.on_relist = on_relist;
    handlers.on_end = [&](std::optional<ApiError> failure) {
        ended = true;
        error = std::move(failure);
    };
    const CallId id = start_watch(path, options, std::move(handlers));
    run([&] { return ended; }, deadline);
    if (!ended) {
        cancel(id);
        return false;
    }
    if (error) throw *error;
    return true;
}

CallId Client::start_stream(const std::string& path, const Query& query, StreamHandlers handlers) {
    auto call = std::make_shared<Call>();
    call->id = m_next_id++;
    call->request.method = "GET";
    call->request.path = path;
    call->request.query = query;
    call->target = target_of(path, query);
    call->stream = true;
    auto shared = std::make_shared<StreamHandlers>(std::move(handlers));
    call->on_data = [shared](std::string_view bytes) { return shared->on_data(bytes); };
    call->done = [shared](ApiResult&& result) {
        if (shared->on_end) shared->on_end(std::move(result.error));
    };
    m_calls.emplace(call->id, call);
    send(call);
    return call->id;
}

void Client::stream(const std::string& path, const Query& query,
                    const std::function<bool(std::string_view)>& on_data) {
    bool ended = false;
    std::optional<ApiError> error;
    StreamHandlers handlers;
    handlers.on_data = on_data;
    handlers.on_end = [&](std::optional<ApiError> failure) {
        ended = true;
        error = std::move(failure);
    };
    start_stream(path, query, std::move(handlers));
    run([&] { return ended; });
    if (error) throw *error;
}

} // namespace kq::kube
