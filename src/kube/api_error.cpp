#include "kube/api_error.hpp"

#include "kube/url.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstring>
#include <vector>

namespace kq::kube {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    path = path.substr(0, path.find('?'));
    size_t start = 0;
    while (start < path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        if (end > start) parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    return parts;
}

// How the request's place reads in messages: `context "x" in /path/config` or the in-cluster configuration.
std::string where(const ClientConfig& config) {
    if (config.in_cluster) return "in-cluster configuration";
    return fmt::format("context \"{}\" in {}", config.context, config.source);
}

std::string seconds_text(std::chrono::milliseconds duration) {
    if (duration.count() % 1000 == 0) return fmt::format("{}s", duration.count() / 1000);
    return fmt::format("{}ms", duration.count());
}

// client-go's generic message for a response without a Status (NewGenericServerResponse).
std::string generic_message(long code, std::string_view method, const std::string& body,
                            std::string& reason) {
    std::string text = body.substr(0, 200);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.pop_back();
    switch (code) {
    case 409:
        reason = method == "POST" ? "AlreadyExists" : "Conflict";
        return "the server reported a conflict";
    case 404: reason = "NotFound"; return "the server could not find the requested resource";
    case 400: reason = "BadRequest"; return "the server rejected our request for an unknown reason";
    case 401: reason = "Unauthorized"; return "the server has asked for the client to provide credentials";
    case 403: reason = "Forbidden"; return text.empty() ? "forbidden" : text;
    case 405:
        reason = "MethodNotAllowed";
        return "the server does not allow this method on the requested resource";
    case 410: reason = "Gone"; return "the requested resource is gone";
    case 422: reason = "Invalid"; return "the server rejected our request due to an error in our request";
    case 429:
        reason = "TooManyRequests";
        return "the server has received too many requests and has asked us to try again later";
    case 503: reason = "ServiceUnavailable"; return "the server is currently unable to handle the request";
    case 504:
        reason = "Timeout";
        return "the server was unable to return a response in the time allotted, but may still be processing "
               "the "
               "request";
    default:
        if (code >= 500) {
            reason = "InternalError";
            return fmt::format("an error on the server (\"{}\") has prevented the request from succeeding",
                               text);
        }
        reason = "Unknown";
        return fmt::format("the server responded with the status code {} but did not return more information",
                           code);
    }
}

} // namespace

ResourceRef resource_of(std::string_view path) {
    const std::vector<std::string_view> parts = split_path(path);
    size_t index = 0;
    std::string group;
    if (parts.size() >= 2 && parts[0] == "api") {
        index = 2;
    } else if (parts.size() >= 3 && parts[0] == "apis") {
        group = std::string(parts[1]);
        index = 3;
    } else {
        return {};
    }
    if (index + 1 < parts.size() && parts[index] == "namespaces" && index + 2 < parts.size()) index += 2;
    if (index >= parts.size()) return {};
    ResourceRef ref;
    ref.resource = std::string(parts[index]);
    if (!group.empty()) ref.resource += "." + group;
    if (index + 1 < parts.size()) ref.name = std::string(parts[index + 1]);
    return ref;
}

ApiError response_error(const HttpResponse& response, std::string_view method, std::string_view path,
                        const ClientConfig& config) {
    nlohmann::json status;
    std::string message;
    std::string reason;
    try {
        nlohmann::json body = nlohmann::json::parse(response.body);
        if (body.is_object() && body.value("kind", "") == "Status") {
            status = std::move(body);
            message = status.value("message", "");
            reason = status.value("reason", "");
        }
    } catch (const nlohmann::json::exception&) {
        // Not JSON: a proxy or load balancer answered; fall back to words for the code.
    }
    if (message.empty()) {
        std::string generic_reason;
        message = generic_message(response.status, method, response.body, generic_reason);
        if (reason.empty()) reason = generic_reason;
        const ResourceRef ref = resource_of(path);
        if (!ref.resource.empty() && response.status != 403) {
            const std::string verb = lower(method);
            message += ref.name.empty() ? fmt::format(" ({} {})", verb, ref.resource)
                                        : fmt::format(" ({} {} {})", verb, ref.resource, ref.name);
        }
    }
    if (response.status == 401) {
        const std::string user = config.user.empty() ? "" : fmt::format(" of user \"{}\"", config.user);
        std::string hint = "have they expired?";
        if (!config.credentials_withheld.empty()) {
            hint = "kq sends credentials only to an https server; use the cluster's https:// address";
        } else if (config.exec) {
            hint = fmt::format(
                "the token of exec plugin \"{}\" was refused even after running it again; run it by "
                "hand and check what it prints",
                config.exec->command);
        } else if (!config.client_certificate_pem.empty()) {
            hint = "has the client certificate expired, or was it issued by another cluster's authority?";
        } else if (config.token.empty() && config.token_file.empty() && config.username.empty()) {
            hint = "the user has no credentials at all";
        }
        message = fmt::format("{}: the server {} did not accept the credentials{} ({}, {}); {}", message,
                              config.server, user, auth_method(config), where(config), hint);
    }
    return ApiError(message, response.status, reason, true, std::move(status));
}

ApiError transfer_error(const HttpResponse& response, const ClientConfig& config,
                        std::chrono::milliseconds timeout) {
    const std::string server = config.server;
    const std::string place = where(config);
    const std::string detail = response.os_errno != 0 ? lower_first(std::strerror(response.os_errno))
                                                      : lower_first(response.error_detail);
    std::string message;
    const std::optional<Url> url = parse_url(server);
    const std::string host = url ? url->host : server;
    const std::string proxy = [&] {
        const std::optional<Url> parsed = parse_url(config.proxy_url);
        return parsed ? parsed->redacted() : config.proxy_url;
    }();
    switch (response.error) {
    case TransferError::resolve:
        message = fmt::format("cannot resolve \"{}\", the host of {} ({}); is the server address right?",
                              host, server, place);
        break;
    case TransferError::connect:
        message = fmt::format(
            "cannot connect to {} ({}): {}; is the cluster running, and is \"{}\" the context you "
            "meant (--context)?",
            server, place, detail, config.context);
        if (config.in_cluster) {
            message = fmt::format("cannot connect to {} ({}): {}; is KUBERNETES_SERVICE_HOST right?", server,
                                  place, detail);
        }
        break;
    case TransferError::proxy:
        if (response.proxy_status >= 300) {
            message =
                fmt::format("the proxy {} ({}) refused to connect to {} with status {} ({}); does it allow "
                            "CONNECT to that address?",
                            proxy, config.proxy_origin, server, response.proxy_status, place);
        } else {
            message = fmt::format("cannot reach {} through the proxy {} ({}): {} ({}); is the proxy running?",
                                  server, proxy, config.proxy_origin, detail, place);
        }
        break;
    case TransferError::tls_unknown_authority:
        message = fmt::format(
            "cannot verify {} ({}): its certificate is signed by an unknown authority; check {}", server,
            place,
            config.ca_origin.empty()
                ? fmt::format("certificate-authority of cluster \"{}\" (none is set, so only the system's "
                              "authorities are trusted)",
                              config.cluster)
                : config.ca_origin);
        break;
    case TransferError::tls_name_mismatch:
        message = fmt::format(
            "cannot verify {} ({}): its certificate is not valid for \"{}\"; use a name the "
            "certificate lists in server, or set tls-server-name of cluster \"{}\"",
            server, place, config.tls_server_name.empty() ? host : config.tls_server_name, config.cluster);
        break;
    case TransferError::tls_expired:
        message =
            fmt::format("cannot verify {} ({}): its certificate has expired or is not yet valid; check this "
                        "machine's clock and the cluster's certificates",
                        server, place);
        break;
    case TransferError::tls_client_certificate:
        message = fmt::format("cannot use the client certificate of user \"{}\" ({}): {}", config.user, place,
                              response.error_detail);
        break;
    case TransferError::tls:
        message = fmt::format("TLS handshake with {} failed ({}): {}", server, place, response.error_detail);
        break;
    case TransferError::timeout:
        // The request's own timeout covers connecting too; only a shorter wait was the connect timeout.
        if (!response.request_sent &&
            (timeout.count() == 0 ||
             std::chrono::duration_cast<std::chrono::milliseconds>(response.elapsed) < timeout)) {
            message =
                fmt::format("cannot connect to {} ({}): no answer within the connect timeout; is the cluster "
                            "running and reachable from here?",
                            server, place);
        } else {
            message = fmt::format("the request to {} timed out after {} (--request-timeout) ({})", server,
                                  seconds_text(timeout), place);
        }
        break;
    case TransferError::connection_lost:
        message = fmt::format("the connection to {} broke ({}): {}", server, place, response.error_detail);
        break;
    case TransferError::aborted:
    case TransferError::none:
    case TransferError::other:
        message = fmt::format("the request to {} failed ({}): {}", server, place, response.error_detail);
        break;
    }
    return ApiError(message, 0, "", response.request_sent);
}

} // namespace kq::kube
