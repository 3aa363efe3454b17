#include "kube/transport.hpp"

#include "kube/curl_library.hpp"
#include "kube/url.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <queue>

namespace kq::kube {
namespace {

using Clock = std::chrono::steady_clock;

// A body that is not streamed to a handler is kept up to this size; error bodies are small, and a
// runaway one must not exhaust memory.
constexpr size_t k_max_buffered_body = 256 * 1024 * 1024;

std::string format_elapsed(std::chrono::microseconds elapsed) {
    const double ms = static_cast<double>(elapsed.count()) / 1000.0;
    if (ms < 10) return fmt::format("{:.1f}ms", ms);
    if (ms < 10000) return fmt::format("{:.0f}ms", ms);
    return fmt::format("{:.1f}s", ms / 1000.0);
}

// A timer of after(): ordered by time, then by the order they were set.
struct Timer {
    Clock::time_point when;
    std::uint64_t sequence;
    std::function<void()> action;
    bool operator>(const Timer& other) const {
        return when != other.when ? when > other.when : sequence > other.sequence;
    }
};

// Where requests go: the URL prefix, and for tls-server-name the address libcurl really connects to.
struct Endpoint {
    std::string url_base;    // what targets are appended to
    std::string connect_to;  // CURLOPT_CONNECT_TO entry for tls-server-name, else empty
    std::string host_header; // the Host header sent with tls-server-name, else empty
    std::string proxy;       // CURLOPT_PROXY value
};

// One request on its way: the easy handle and what its callbacks need.
struct Transfer {
    RequestId id = 0;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;
    curl_slist* connect_to = nullptr;
    HttpRequest request;
    HttpHandlers handlers;
    HttpResponse response;
    std::string url;
    size_t body_offset = 0;
    bool body_fully_read = false;
    bool aborted = false;
    bool active = false;      // added to the multi handle
    std::string pending_data; // streamed bytes received inside curl, handed out after it returns
    std::vector<RequestId>* ready = nullptr; // where to note that pending_data is waiting
    int* protocol = nullptr;                 // where to note the HTTP version the server answered with
    Clock::time_point started;
    char error_buffer[CURL_ERROR_SIZE] = {};
    const TransportConfig* config = nullptr;

    ~Transfer() {
        if (easy != nullptr) curl().easy_cleanup(easy);
        if (header_list != nullptr) curl().slist_free_all(header_list);
        if (connect_to != nullptr) curl().slist_free_all(connect_to);
    }
};

} // namespace

struct Transport::Impl {
    CURLM* multi = nullptr;
    Endpoint endpoint;
    std::map<RequestId, std::unique_ptr<Transfer>> transfers;
    std::deque<RequestId> waiting; // started but not yet added to the multi handle
    std::vector<RequestId> deferred_cancels;
    std::vector<RequestId> ready; // transfers with streamed data to hand out
    std::map<CURL*, RequestId> by_handle;
    size_t in_flight = 0;      // active non-stream transfers
    size_t active_streams = 0; // active stream transfers
    int protocol = 0;          // the HTTP version the server answers with; 0 until known
    long host_connections = 0; // the CURLMOPT_MAX_HOST_CONNECTIONS in force
    RequestId next_id = 1;
    std::uint64_t next_timer = 0;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
    bool defer_cancels = false; // inside curl_multi_perform or a data handler, where a transfer can't go away

    ~Impl() {
        for (auto& [id, transfer] : transfers) {
            if (transfer->active) curl().multi_remove_handle(multi, transfer->easy);
        }
        transfers.clear();
        if (multi != nullptr) curl().multi_cleanup(multi);
    }
};

namespace {

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::string_view line(data, size * count);
    if (line.starts_with("HTTP/")) {
        // A new status line starts a new header block (after 100 Continue, say): keep only the last.
        transfer->response.headers.clear();
        *transfer->protocol = line.starts_with("HTTP/2") ? 2 : 1;
        return line.size();
    }
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
        transfer->response.headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
    } else if (trim(line).empty() && transfer->request.stream && transfer->config->verbosity >= 1 &&
               transfer->config->log) {
        // A stream may stay open for hours: say when it started, not only when it ends.
        long status = 0;
        curl().easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200) {
            const auto elapsed =
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - transfer->started);
            transfer->config->log(fmt::format("{} {} {} {} in {} (streaming)", transfer->request.method,
                                              transfer->url, status, reason_phrase(status),
                                              format_elapsed(elapsed)));
        }
    }
    return line.size();
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::string_view bytes(data, size * count);
    long status = 0;
    curl().easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &status);
    if (transfer->handlers.on_data && status >= 200 && status < 300) {
        // Handlers run outside libcurl's callbacks, where they may start, cancel and even wait for requests.
        if (transfer->pending_data.empty()) transfer->ready->push_back(transfer->id);
        transfer->pending_data.append(bytes);
        return bytes.size();
    }
    if (transfer->response.body.size() + bytes.size() > k_max_buffered_body) return 0;
    transfer->response.body.append(bytes);
    return bytes.size();
}

size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const std::string& body = transfer->request.body;
    const size_t n = std::min(size * count, body.size() - transfer->body_offset);
    std::copy_n(body.data() + transfer->body_offset, n, buffer);
    transfer->body_offset += n;
    if (transfer->body_offset == body.size()) transfer->body_fully_read = true;
    return n;
}

// curl rewinds the body when it must send it again, e.g. on a fresh stream after a refused one.
int on_seek(void* user, curl_off_t offset, int origin) {
    auto* transfer = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > transfer->request.body.size()) {
        return CURL_SEEKFUNC_CANTSEEK;
    }
    transfer->body_offset = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
}

int on_debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    // Only libcurl's own remarks (connecting, TLS, reuse); header and data records could hold secrets.
    if (type != CURLINFO_TEXT) return 0;
    // libcurl's HTTP/2 code also lists each request header as a remark ("h2h3 [authorization: ...]" in
    // 7.88, "[HTTP/2] [1] [authorization: ...]" later): none of those is passed on, nor any remark that
    // names a credential header.
    const std::string remark = lower(std::string_view(data, size));
    if (remark.starts_with("h2h3 [") || remark.starts_with("[http/2] [") ||
        remark.find("authorization") != std::string::npos || remark.find("cookie") != std::string::npos) {
        return 0;
    }
    auto* transfer = static_cast<Transfer*>(user);
    if (transfer->config->log)
        transfer->config->log(fmt::format("  * {}", trim(std::string_view(data, size))));
    return 0;
}

TransferError classify(CURLcode code, Transfer& transfer, bool via_proxy) {
    switch (code) {
    case CURLE_OK: return TransferError::none;
    case CURLE_COULDNT_RESOLVE_HOST: return TransferError::resolve;
    case CURLE_COULDNT_RESOLVE_PROXY: return TransferError::proxy;
    case CURLE_COULDNT_CONNECT: return via_proxy ? TransferError::proxy : TransferError::connect;
    case CURLE_PEER_FAILED_VERIFICATION: {
        // libcurl checks the name itself after OpenSSL accepted the chain, and says so.
        const std::string detail = transfer.error_buffer;
        if (detail.find("subject name") != std::string::npos ||
            detail.find("does not match") != std::string::npos) {
            return TransferError::tls_name_mismatch;
        }
        long verify = 0;
        curl().easy_getinfo(transfer.easy, CURLINFO_SSL_VERIFYRESULT, &verify);
        // OpenSSL's X509_V_ERR_* codes: issuer unknown or self-signed, expired or not yet valid, name.
        if (verify == 2 || verify == 18 || verify == 19 || verify == 20 || verify == 21) {
            return TransferError::tls_unknown_authority;
        }
        if (verify == 9 || verify == 10) return TransferError::tls_expired;
        if (verify == 62) return TransferError::tls_name_mismatch;
        return TransferError::tls;
    }
    case CURLE_SSL_CERTPROBLEM: return TransferError::tls_client_certificate;
    case CURLE_SSL_CONNECT_ERROR: {
        // libcurl's own host name check fails the handshake with this code in some versions.
        const std::string detail = transfer.error_buffer;
        if (detail.find("subject name") != std::string::npos ||
            detail.find("does not match") != std::string::npos) {
            return TransferError::tls_name_mismatch;
        }
        return TransferError::tls;
    }
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED: return TransferError::tls;
    case CURLE_OPERATION_TIMEDOUT: return TransferError::timeout;
    case CURLE_WRITE_ERROR:
    case CURLE_ABORTED_BY_CALLBACK: return transfer.aborted ? TransferError::aborted : TransferError::other;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return TransferError::connection_lost;
    default: return TransferError::other;
    }
}

// Whether the server may have received the whole request: a create that may have been received must
// not be sent again unless its caller can tell a duplicate apart.
bool request_sent(const Transfer& transfer, TransferError error) {
    if (transfer.response.status > 0) return true;
    switch (error) {
    case TransferError::resolve:
    case TransferError::connect:
    case TransferError::proxy:
    case TransferError::tls_unknown_authority:
    case TransferError::tls_name_mismatch:
    case TransferError::tls_expired:
    case TransferError::tls_client_certificate:
    case TransferError::tls: return false;
    case TransferError::timeout: {
        // A timeout before the connection (and its TLS handshake) was up sent nothing.
        curl_off_t connected = 0;
        curl().easy_getinfo(transfer.easy,
                            transfer.url.starts_with("https") ? CURLINFO_APPCONNECT_TIME_T
                                                              : CURLINFO_CONNECT_TIME_T,
                            &connected);
        return connected > 0 && transfer.body_fully_read;
    }
    default: return transfer.body_fully_read;
    }
}

} // namespace

std::string HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key == name) return value;
    }
    return "";
}

std::string_view reason_phrase(long status) {
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Request Entity Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

Transport::Transport(TransportConfig config) : m_impl(std::make_unique<Impl>()), m_config(std::move(config)) {
    // Loads libcurl on the first transport: commands that never reach a cluster don't pay for it.
    m_impl->multi = curl().multi_init();
    if (m_impl->multi == nullptr) fail(ErrorKind::cluster, "cannot initialise libcurl");
    curl().multi_setopt(m_impl->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    // Let the server's SETTINGS decide how many streams share the connection (kube-apiserver allows
    // hundreds); libcurl's own default of 100 would open a second connection sooner than needed.
    curl().multi_setopt(m_impl->multi, CURLMOPT_MAX_CONCURRENT_STREAMS, 1000L);

    const std::optional<Url> url = parse_url(m_config.server);
    if (!url) fail(ErrorKind::cluster, "server \"{}\" is not a URL", m_config.server);
    if (!m_config.tls_server_name.empty() && url->scheme == "https") {
        // libcurl has no separate name for SNI and verification, so the URL carries tls-server-name
        // and CONNECT_TO sends the connection to the real address; Host still names the server.
        const std::string real_host =
            url->host.find(':') != std::string::npos ? "[" + url->host + "]" : url->host;
        m_impl->endpoint.url_base =
            fmt::format("https://{}:{}{}", m_config.tls_server_name, url->effective_port(), url->path);
        m_impl->endpoint.connect_to = fmt::format("{}:{}:{}:{}", m_config.tls_server_name,
                                                  url->effective_port(), real_host, url->effective_port());
        m_impl->endpoint.host_header =
            fmt::format("Host: {}", url->port.empty() ? real_host : real_host + ":" + url->port);
    } else {
        m_impl->endpoint.url_base = m_config.server;
        while (m_impl->endpoint.url_base.ends_with('/'))
            m_impl->endpoint.url_base.pop_back();
    }
    m_impl->endpoint.proxy = m_config.proxy_url;
    // Go's socks5 proxies resolve names at the proxy; libcurl calls that socks5h.
    if (m_impl->endpoint.proxy.starts_with("socks5://"))
        m_impl->endpoint.proxy = "socks5h://" + m_impl->endpoint.proxy.substr(9);
}

Transport::~Transport() = default;

RequestId Transport::start(HttpRequest request, HttpHandlers handlers) {
    auto transfer = std::make_unique<Transfer>();
    transfer->id = m_impl->next_id++;
    transfer->request = std::move(request);
    transfer->handlers = std::move(handlers);
    transfer->config = &m_config;
    transfer->ready = &m_impl->ready;
    transfer->protocol = &m_impl->protocol;
    const RequestId id = transfer->id;
    m_impl->transfers.emplace(id, std::move(transfer));
    m_impl->waiting.push_back(id);
    return id;
}

void Transport::cancel(RequestId id) {
    const auto found = m_impl->transfers.find(id);
    if (found == m_impl->transfers.end()) return;
    if (m_impl->defer_cancels) {
        m_impl->deferred_cancels.push_back(id);
        return;
    }
    Transfer& transfer = *found->second;
    if (transfer.active) {
        curl().multi_remove_handle(m_impl->multi, transfer.easy);
        m_impl->by_handle.erase(transfer.easy);
        if (!transfer.request.stream)
            --m_impl->in_flight;
        else
            --m_impl->active_streams;
    } else {
        std::erase(m_impl->waiting, id);
    }
    if (m_config.verbosity >= 1 && m_config.log) {
        m_config.log(fmt::format(
            "{} {} cancelled after {}", transfer.request.method,
            transfer.url.empty() ? m_impl->endpoint.url_base + transfer.request.target : transfer.url,
            format_elapsed(
                std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - transfer.started))));
    }
    m_impl->transfers.erase(found);
}

void Transport::after(std::chrono::milliseconds delay, std::function<void()> action) {
    m_impl->timers.push(Timer{Clock::now() + delay, m_impl->next_timer++, std::move(action)});
}

namespace {

constexpr long k_upload_buffer_size = 16 * 1024; // CURLOPT_UPLOAD_BUFFERSIZE's minimum
constexpr long k_stream_buffer_size = 4 * 1024;

// Sets up an easy handle for a transfer; every setting that decides connection reuse is the same for
// all requests of a transport, so they all share one connection.
void configure(Transfer& transfer, const Endpoint& impl, const TransportConfig& config) {
    CURL* easy = curl().easy_init();
    if (easy == nullptr) fail(ErrorKind::cluster, "cannot initialise a libcurl handle");
    transfer.easy = easy;
    transfer.url = impl.url_base + transfer.request.target;
    curl().easy_setopt(easy, CURLOPT_URL, transfer.url.c_str());
    curl().easy_setopt(easy, CURLOPT_PRIVATE, &transfer);
    curl().easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error_buffer);
    curl().easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl().easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    // Wait for the first connection to learn whether it multiplexes rather than opening more at once.
    curl().easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl().easy_setopt(easy, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    curl().easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config.connect_timeout.count()));
    if (transfer.request.timeout.count() > 0) {
        curl().easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(transfer.request.timeout.count()));
    }
    curl().easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl().easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L);
    curl().easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 15L);
    if (!config.user_agent.empty()) curl().easy_setopt(easy, CURLOPT_USERAGENT, config.user_agent.c_str());
    if (config.accept_gzip) curl().easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "gzip");

    if (!config.ca_pem.empty()) {
        curl_blob blob{const_cast<char*>(config.ca_pem.data()), config.ca_pem.size(), CURL_BLOB_COPY};
        curl().easy_setopt(easy, CURLOPT_CAINFO_BLOB, &blob);
        // Trust only the configured authority, as kubectl does, not the system's as well.
        curl().easy_setopt(easy, CURLOPT_CAINFO, nullptr);
        curl().easy_setopt(easy, CURLOPT_CAPATH, nullptr);
    }
    if (config.insecure_skip_tls_verify) {
        curl().easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl().easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (const auto& certificate = transfer.request.certificate) {
        curl_blob cert{const_cast<char*>(certificate->certificate_pem.data()),
                       certificate->certificate_pem.size(), CURL_BLOB_COPY};
        curl_blob key{const_cast<char*>(certificate->key_pem.data()), certificate->key_pem.size(),
                      CURL_BLOB_COPY};
        curl().easy_setopt(easy, CURLOPT_SSLCERT_BLOB, &cert);
        curl().easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
        curl().easy_setopt(easy, CURLOPT_SSLKEY_BLOB, &key);
        curl().easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (!impl.connect_to.empty()) {
        transfer.header_list = curl().slist_append(transfer.header_list, impl.host_header.c_str());
    }
    // An explicit (possibly empty) proxy stops libcurl from reading the environment itself: the
    // environment's proxy has already been decided by kubectl's rules, which differ from curl's.
    curl().easy_setopt(easy, CURLOPT_PROXY, impl.proxy.c_str());
    curl().easy_setopt(easy, CURLOPT_NOPROXY, "");
    curl().easy_setopt(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);

    // A long-lived stream (a watch, a log) carries small events and lines, and many may be open at once
    // (kq logs -f of a Job with 50 pods): each gets a smaller receive buffer than libcurl's 16 KiB.
    if (transfer.request.stream) curl().easy_setopt(easy, CURLOPT_BUFFERSIZE, k_stream_buffer_size);
    curl().easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl().easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
    curl().easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_write);
    curl().easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);
    if (config.verbosity >= 3 && config.log) {
        curl().easy_setopt(easy, CURLOPT_DEBUGFUNCTION, on_debug);
        curl().easy_setopt(easy, CURLOPT_DEBUGDATA, &transfer);
        curl().easy_setopt(easy, CURLOPT_VERBOSE, 1L);
    }

    const std::string& method = transfer.request.method;
    const bool has_body = !transfer.request.body.empty();
    if (has_body || method == "POST") {
        curl().easy_setopt(easy, CURLOPT_POST, 1L);
        // libcurl's smallest upload buffer (its default is 64 KiB, held by every upload in flight): a
        // manifest is a few KiB, and a fan-out keeps dozens of creates on the wire.
        curl().easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, k_upload_buffer_size);
        curl().easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
        curl().easy_setopt(easy, CURLOPT_READDATA, &transfer);
        curl().easy_setopt(easy, CURLOPT_SEEKFUNCTION, on_seek);
        curl().easy_setopt(easy, CURLOPT_SEEKDATA, &transfer);
        curl().easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(transfer.request.body.size()));
        if (method != "POST") curl().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
        // Without this header libcurl waits for "100 Continue" before large HTTP/1.1 bodies.
        transfer.header_list = curl().slist_append(transfer.header_list, "Expect:");
    } else if (method == "HEAD") {
        curl().easy_setopt(easy, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
        curl().easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    if (!has_body) transfer.body_fully_read = true;

    for (const auto& [name, value] : transfer.request.headers) {
        transfer.header_list =
            curl().slist_append(transfer.header_list, fmt::format("{}: {}", name, value).c_str());
    }
    if (!transfer.request.authorization.empty()) {
        transfer.header_list = curl().slist_append(
            transfer.header_list, fmt::format("Authorization: {}", transfer.request.authorization).c_str());
    }
    curl().easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_list);
    if (!impl.connect_to.empty()) {
        transfer.connect_to = curl().slist_append(nullptr, impl.connect_to.c_str());
        curl().easy_setopt(easy, CURLOPT_CONNECT_TO, transfer.connect_to);
    }
}

} // namespace

RunOutcome Transport::run(const std::function<bool()>& done, std::optional<Clock::time_point> deadline) {
    Impl& impl = *m_impl;
    for (;;) {
        if (done && done()) return RunOutcome::done;
        const Clock::time_point now = Clock::now();
        // Timers first: they may start requests that should join this round.
        if (run_due_timer(now)) continue;
        admit_waiting();

        const bool have_transfers = !impl.transfers.empty();
        if (!have_transfers && impl.timers.empty()) return RunOutcome::idle;
        if (deadline && now >= *deadline) return RunOutcome::deadline;

        wait_for_activity(now, deadline, have_transfers);
        perform_transfers();
        // Streamed data before completions, so that on_done comes after the last bytes.
        if (hand_out_data(done)) return RunOutcome::done;
        if (complete_finished(done)) return RunOutcome::done;
        if (deadline && Clock::now() >= *deadline) return RunOutcome::deadline;
    }
}

bool Transport::run_due_timer(Clock::time_point now) {
    Impl& impl = *m_impl;
    if (impl.timers.empty() || impl.timers.top().when > now) return false;
    Timer timer = impl.timers.top();
    impl.timers.pop();
    timer.action();
    return true;
}

void Transport::admit_waiting() {
    Impl& impl = *m_impl;
    // Until the first answer says whether the server multiplexes, only as many as HTTP/1.1 could take.
    const size_t request_limit = impl.protocol == 2 ? m_config.max_in_flight : m_config.max_in_flight_http1;
    for (auto it = impl.waiting.begin(); it != impl.waiting.end();) {
        Transfer& transfer = *impl.transfers.at(*it);
        if (!transfer.request.stream && impl.in_flight >= request_limit) {
            ++it;
            continue;
        }
        configure(transfer, impl.endpoint, m_config);
        transfer.started = Clock::now();
        if (m_config.verbosity >= 2 && m_config.log) {
            m_config.log(fmt::format("{} {}", transfer.request.method, transfer.url));
            for (const auto& [name, value] : transfer.request.headers) {
                m_config.log(fmt::format("  > {}: {}", name, value));
            }
            if (!transfer.request.authorization.empty()) {
                const std::string scheme =
                    transfer.request.authorization.substr(0, transfer.request.authorization.find(' '));
                m_config.log(fmt::format("  > Authorization: {} <redacted>", scheme));
            }
        }
        curl().multi_add_handle(impl.multi, transfer.easy);
        impl.by_handle[transfer.easy] = transfer.id;
        transfer.active = true;
        if (!transfer.request.stream) {
            ++impl.in_flight;
            m_stats.peak_in_flight = std::max(m_stats.peak_in_flight, impl.in_flight);
        } else {
            ++impl.active_streams;
        }
        it = impl.waiting.erase(it);
    }
    limit_connections();
}

void Transport::wait_for_activity(Clock::time_point now, std::optional<Clock::time_point> deadline,
                                  bool have_transfers) {
    Impl& impl = *m_impl;
    // At most a fifth of a second, so that a stop condition set by a signal handler is seen promptly.
    long wait_ms = 200;
    long curl_timeout = -1;
    curl().multi_timeout(impl.multi, &curl_timeout);
    if (curl_timeout >= 0) wait_ms = std::min(wait_ms, curl_timeout);
    const auto until = [&](Clock::time_point when) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when - now).count();
        wait_ms = std::min(wait_ms, static_cast<long>(std::max<long long>(0, ms)));
    };
    if (!impl.timers.empty()) until(impl.timers.top().when);
    if (deadline) until(*deadline);
    if (have_transfers) {
        curl().multi_poll(impl.multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
    } else if (wait_ms > 0) {
        // Only timers are left; curl_multi_poll would also just sleep.
        curl().multi_poll(impl.multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
    }
}

void Transport::perform_transfers() {
    Impl& impl = *m_impl;
    int running = 0;
    impl.defer_cancels = true;
    curl().multi_perform(impl.multi, &running);
    impl.defer_cancels = false;
    process_cancels();
}

bool Transport::hand_out_data(const std::function<bool()>& done) {
    Impl& impl = *m_impl;
    std::vector<RequestId> ready;
    ready.swap(impl.ready);
    for (size_t next = 0; next < ready.size(); ++next) {
        const RequestId id = ready[next];
        const auto found = impl.transfers.find(id);
        if (found == impl.transfers.end()) continue;
        const std::string data = std::move(found->second->pending_data);
        found->second->pending_data.clear();
        // The handler may cancel this transfer or run a nested loop that ends it, so it is called
        // through a copy and the transfer looked up again afterwards.
        const auto on_data = found->second->handlers.on_data;
        const bool more = on_data(data);
        if (!more && impl.transfers.count(id) != 0) {
            impl.transfers.at(id)->aborted = true;
            complete(id, CURLE_WRITE_ERROR);
        }
        if (done && done()) {
            // What the others received waits for the next run.
            impl.ready.insert(impl.ready.begin(), ready.begin() + static_cast<long>(next) + 1, ready.end());
            return true;
        }
    }
    return false;
}

bool Transport::complete_finished(const std::function<bool()>& done) {
    Impl& impl = *m_impl;
    int queued = 0;
    while (CURLMsg* message = curl().multi_info_read(impl.multi, &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        const auto found = impl.by_handle.find(message->easy_handle);
        if (found == impl.by_handle.end()) continue;
        complete(found->second, message->data.result);
        if (done && done()) return true;
    }
    return false;
}

void Transport::limit_connections() {
    // libcurl opens a new connection for every transfer that finds the current one's streams all in
    // use, which with hundreds of requests means hundreds of connections. Capping the connections per
    // host makes it queue them for a free stream instead: one connection for requests, plus one more
    // for each connection's worth of long-lived streams. HTTP/1.1 can't share, so there is no cap then.
    Impl& impl = *m_impl;
    long wanted = 0;
    if (impl.protocol != 1) {
        const size_t per_connection = std::max<size_t>(m_config.max_streams_per_connection, 2);
        const size_t reserve = per_connection / 5; // streams never take the last fifth of a connection
        wanted = static_cast<long>((impl.active_streams + reserve) / per_connection + 1);
    }
    if (wanted == impl.host_connections) return;
    curl().multi_setopt(impl.multi, CURLMOPT_MAX_HOST_CONNECTIONS, wanted);
    const bool raised = wanted == 0 || (impl.host_connections != 0 && wanted > impl.host_connections);
    impl.host_connections = wanted;
    if (!raised) return;
    // libcurl looks at transfers parked for a connection only when another one finishes, which for a
    // server whose first answer was the start of a stream may be never; re-adding them wakes them up.
    for (auto& [id, transfer] : impl.transfers) {
        if (!transfer->active) continue;
        curl_off_t started = 0;
        curl().easy_getinfo(transfer->easy, CURLINFO_PRETRANSFER_TIME_T, &started);
        if (started > 0 || transfer->response.status > 0) continue;
        curl().multi_remove_handle(impl.multi, transfer->easy);
        curl().multi_add_handle(impl.multi, transfer->easy);
    }
}

void Transport::process_cancels() {
    std::vector<RequestId> cancels;
    cancels.swap(m_impl->deferred_cancels);
    for (RequestId id : cancels)
        cancel(id);
}

void Transport::complete(RequestId id, int result) {
    Impl& impl = *m_impl;
    const CURLcode code = static_cast<CURLcode>(result);
    const auto found = impl.transfers.find(id);
    if (found == impl.transfers.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(found->second);
    impl.transfers.erase(found);
    curl().multi_remove_handle(impl.multi, transfer->easy);
    impl.by_handle.erase(transfer->easy);
    transfer->active = false;
    if (!transfer->request.stream)
        --impl.in_flight;
    else
        --impl.active_streams;
    // Bytes still waiting go to the handler first, unless it already asked to stop.
    if (!transfer->pending_data.empty() && !transfer->aborted && transfer->handlers.on_data) {
        std::erase(impl.ready, id);
        if (!transfer->handlers.on_data(transfer->pending_data)) transfer->aborted = true;
        transfer->pending_data.clear();
    }
    HttpResponse& response = transfer->response;
    curl().easy_getinfo(transfer->easy, CURLINFO_RESPONSE_CODE, &response.status);
    curl().easy_getinfo(transfer->easy, CURLINFO_HTTP_CONNECTCODE, &response.proxy_status);
    long version = 0;
    curl().easy_getinfo(transfer->easy, CURLINFO_HTTP_VERSION, &version);
    response.http_version = version == CURL_HTTP_VERSION_2_0 ? 2 : (version == 0 ? 0 : 1);
    long connects = 0;
    curl().easy_getinfo(transfer->easy, CURLINFO_NUM_CONNECTS, &connects);
    m_stats.connections += static_cast<std::uint64_t>(connects);
    ++m_stats.requests;
    if (response.http_version != 0) m_stats.http_version = response.http_version;
    response.elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - transfer->started);
    response.error = classify(code, *transfer, !impl.endpoint.proxy.empty());
    if (response.error != TransferError::none) {
        response.error_detail =
            transfer->error_buffer[0] != '\0' ? transfer->error_buffer : curl().easy_strerror(code);
        if (response.proxy_status >= 300) response.error = TransferError::proxy;
        long os_errno = 0;
        curl().easy_getinfo(transfer->easy, CURLINFO_OS_ERRNO, &os_errno);
        response.os_errno = static_cast<int>(os_errno);
    }
    response.request_sent = request_sent(*transfer, response.error);

    if (m_config.verbosity >= 1 && m_config.log) {
        std::string line = fmt::format("{} {}", transfer->request.method, transfer->url);
        if (transfer->request.stream && response.status >= 200 && response.status < 300) {
            line += response.error == TransferError::none
                        ? " stream ended"
                        : fmt::format(" stream broke ({})", response.error_detail);
        } else if (response.status > 0) {
            line += fmt::format(" {} {}", response.status, reason_phrase(response.status));
            while (line.ends_with(' '))
                line.pop_back();
        } else {
            line += fmt::format(" failed ({})", response.error_detail);
        }
        line += (transfer->request.stream ? " after " : " in ") + format_elapsed(response.elapsed);
        m_config.log(line);
        if (m_config.verbosity >= 2) {
            for (const auto& [name, value] : response.headers)
                m_config.log(fmt::format("  < {}: {}", name, value));
        }
    }
    if (transfer->handlers.on_done) transfer->handlers.on_done(std::move(response));
}

HttpResponse Transport::perform(HttpRequest request) {
    std::optional<HttpResponse> result;
    HttpHandlers handlers;
    handlers.on_done = [&](HttpResponse&& response) { result = std::move(response); };
    start(std::move(request), std::move(handlers));
    run([&] { return result.has_value(); });
    return std::move(*result);
}

} // namespace kq::kube
