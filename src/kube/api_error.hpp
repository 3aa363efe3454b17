#pragma once

#include "kube/client_config.hpp"
#include "kube/transport.hpp"
#include "util/error.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace kq::kube {

// An API error response, or a failure to reach the server: a kq::Error of kind cluster whose message
// reads as kubectl's, keeping the HTTP status and the Status reason for callers that handle some
// (submit treats 409 AlreadyExists and 404 NotFound itself).
class ApiError : public Error {
public:
    ApiError(const std::string& message, long code, std::string reason, bool request_sent,
             nlohmann::json status = nullptr)
        : Error(ErrorKind::cluster, message), m_code(code), m_reason(std::move(reason)),
          m_request_sent(request_sent), m_status(std::move(status)) {}

    // The HTTP status; 0 when no response arrived.
    long code() const { return m_code; }

    // The Status reason (AlreadyExists, NotFound, Forbidden, Conflict, Expired, ...), or empty.
    const std::string& reason() const { return m_reason; }

    // False only when the server can't have received the whole request.
    bool request_sent() const { return m_request_sent; }

    // The Status object the server sent, or null.
    const nlohmann::json& status() const { return m_status; }

    // True for 404.
    bool not_found() const { return m_code == 404; }

    // True for a create refused because the name is taken.
    bool already_exists() const { return m_code == 409 && m_reason == "AlreadyExists"; }

    // True for a 409 other than AlreadyExists (an update with a stale resourceVersion).
    bool conflict() const { return m_code == 409 && m_reason != "AlreadyExists"; }

    // True when a resourceVersion or continue token is too old (410 Gone, reason Expired).
    bool gone() const { return m_code == 410 || m_reason == "Expired" || m_reason == "Gone"; }

    // True for 401 and 403.
    bool unauthorized() const { return m_code == 401; }
    bool forbidden() const { return m_code == 403; }

    // True when the server was not reached, or the connection failed before a response.
    bool unreachable() const { return m_code == 0; }

private:
    long m_code;
    std::string m_reason;
    bool m_request_sent;
    nlohmann::json m_status;
};

// The group, resource and name an API path addresses, for messages ("jobs.batch", "x").
struct ResourceRef {
    std::string resource; // qualified: "jobs.batch", "pods"
    std::string name;
};

// Reads /api/v1/namespaces/NS/RESOURCE/NAME and /apis/GROUP/VERSION/... paths; empty parts when the
// path is not one of those.
ResourceRef resource_of(std::string_view path);

// The error for an HTTP error response: the Status message when the body is a Status (as kubectl
// prints it, e.g. `jobs.batch "x" already exists`), else client-go's words for the code; 401 adds
// who was refused and what to check.
ApiError response_error(const HttpResponse& response, std::string_view method, std::string_view path,
                        const ClientConfig& config);

// The error for a transfer that got no response: names the server and context and suggests the
// likely fix (is the cluster running, check certificate-authority, tls-server-name, the proxy).
ApiError transfer_error(const HttpResponse& response, const ClientConfig& config,
                        std::chrono::milliseconds timeout);

} // namespace kq::kube
