#pragma once

#include "kube/auth.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kq::kube {

// The fixed settings of a transport: which server, how to trust it, and how to get there.
struct TransportConfig {
    std::string server; // base URL, e.g. https://127.0.0.1:6443 (a path prefix is kept)
    std::string ca_pem; // CA bundle to trust instead of the system's; empty for the system's
    bool insecure_skip_tls_verify = false;
    std::string tls_server_name; // the name to expect in the server's certificate (and send as SNI)
    std::string proxy_url;       // http://, https:// or socks5:// proxy; empty for a direct connection
    bool accept_gzip = true;
    std::chrono::milliseconds connect_timeout{30000};
    std::string user_agent;
    // Requests (not streams) handed to libcurl at once; the rest wait here, where their timeout has not
    // started yet. Twice what one connection carries keeps the connection busy.
    size_t max_in_flight = 200;
    size_t max_in_flight_http1 =
        16; // the same for HTTP/1.1 (a connection each), and until the protocol is known
    size_t max_streams_per_connection =
        100;           // what the server allows (kube-apiserver: 100), for spreading streams
    int verbosity = 0; // 1: one line per request; 2: plus headers (redacted); 3: plus connection events
    std::function<void(const std::string&)> log; // receives -v lines; null for none
};

// One HTTP request to the server.
struct HttpRequest {
    std::string method = "GET";
    std::string target; // path and query below the server's URL, e.g. /api/v1/namespaces?limit=5
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string authorization;                            // the Authorization header; never logged
    std::shared_ptr<const ClientCertificate> certificate; // handed to TLS as in-memory blobs
    std::chrono::milliseconds timeout{0};                 // for the whole exchange; 0 for none
    bool stream = false; // long-lived (watch, logs): not counted against max_in_flight
};

// Why a transfer ended without a complete response.
enum class TransferError {
    none,
    resolve,                // the server's host name did not resolve
    connect,                // nothing accepted the connection
    proxy,                  // the proxy could not be reached or refused the tunnel
    tls_unknown_authority,  // the server's certificate is not signed by a trusted authority
    tls_name_mismatch,      // the server's certificate is not valid for the name used
    tls_expired,            // the server's certificate has expired or is not yet valid
    tls_client_certificate, // the client certificate or key could not be used
    tls,                    // any other TLS failure (handshake refused, protocol version)
    timeout,                // the connect timeout or the request's timeout passed
    connection_lost,        // the connection broke during the exchange
    aborted,                // a data handler asked to stop
    other,
};

// What came back for one request.
struct HttpResponse {
    long status = 0;                                          // 0 when no response arrived
    std::vector<std::pair<std::string, std::string>> headers; // names in lower case
    std::string body; // the body, except a 2xx body given to a data handler
    TransferError error = TransferError::none;
    std::string error_detail;  // libcurl's own words for the error
    int os_errno = 0;          // the system's error number behind a connection failure, if any
    long proxy_status = 0;     // the proxy's answer to CONNECT, when a proxy was used
    bool request_sent = false; // false only when the server can't have received the whole request
    std::chrono::microseconds elapsed{0};
    int http_version = 0; // 1 or 2

    // The first value of a header (name in lower case), or empty.
    std::string header(std::string_view name) const;
};

// What a transport calls back for a request.
struct HttpHandlers {
    // Receives a 2xx body as it arrives (streams), from run() outside libcurl, so it may start, cancel
    // or wait for other requests; return false to stop the transfer (on_done then reports `aborted`).
    // Null buffers the body into the response instead.
    std::function<bool(std::string_view bytes)> on_data;
    // Called once when the transfer ends, unless it was cancelled; may start other requests.
    std::function<void(HttpResponse&& response)> on_done;
};

// Identifies a started request.
using RequestId = std::uint64_t;

// How a call to Transport::run ended.
enum class RunOutcome {
    done,     // the stop condition became true
    idle,     // no request or timer was left
    deadline, // the deadline passed
};

// Counters for measurements and tests.
struct TransportStats {
    std::uint64_t requests = 0;    // completed requests
    std::uint64_t connections = 0; // connections opened
    size_t peak_in_flight = 0;     // most requests (not streams) on the wire at once
    int http_version = 0;          // of the last response
};

// HTTP/1.1 and HTTP/2 to one API server over libcurl: one multi handle whose connection pool reuses
// one connection for the whole process and multiplexes concurrent requests and streams over it when
// the server speaks HTTP/2. Single-threaded: requests progress inside run() and perform().
class Transport {
public:
    explicit Transport(TransportConfig config);
    ~Transport();
    Transport(const Transport&) = delete;
    Transport& operator=(const Transport&) = delete;

    // Queues a request; it starts inside the next run(). Safe to call from any handler.
    RequestId start(HttpRequest request, HttpHandlers handlers);

    // Stops a request without calling its on_done; unknown or finished ids are ignored.
    void cancel(RequestId id);

    // Calls `action` from run() once `delay` has passed.
    void after(std::chrono::milliseconds delay, std::function<void()> action);

    // Moves requests and timers along until `done` returns true, nothing is left to do, or the deadline
    // passes. `done` is checked after each event; null runs until idle.
    RunOutcome run(const std::function<bool()>& done,
                   std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

    // Sends one request and waits for its response, running other requests meanwhile.
    HttpResponse perform(HttpRequest request);

    // The settings the transport was made with.
    const TransportConfig& config() const { return m_config; }

    // Counters so far.
    const TransportStats& stats() const { return m_stats; }

    struct Impl;

private:
    // The steps of one round of run(), in order.

    // Runs the earliest timer if it is due at now; false when none is.
    bool run_due_timer(std::chrono::steady_clock::time_point now);
    // Hands waiting requests to libcurl while the in-flight limit allows (streams always), then caps the
    // connections.
    void admit_waiting();
    // Sleeps until a socket is ready, libcurl wants attention, a timer is due or the deadline passes.
    void wait_for_activity(std::chrono::steady_clock::time_point now,
                           std::optional<std::chrono::steady_clock::time_point> deadline,
                           bool have_transfers);
    // Lets libcurl move every transfer along; cancels asked for meanwhile take effect after it.
    void perform_transfers();
    // Hands streamed bytes to their handlers; true when `done` became true (the rest waits for the next run).
    bool hand_out_data(const std::function<bool()>& done);
    // Completes the transfers libcurl finished; true when `done` became true.
    bool complete_finished(const std::function<bool()>& done);

    void process_cancels();
    void limit_connections();
    void complete(RequestId id, int result);

    std::unique_ptr<Impl> m_impl;
    TransportConfig m_config;
    TransportStats m_stats;
};

// The reason phrase of an HTTP status code ("OK", "Not Found"), empty when unknown.
std::string_view reason_phrase(long status);

} // namespace kq::kube
