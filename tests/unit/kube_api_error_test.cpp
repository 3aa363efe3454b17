#include "kube/api_error.hpp"

#include <doctest/doctest.h>

namespace kube = kq::kube;

namespace {

kube::ClientConfig config_of(const std::string& context) {
    kube::ClientConfig config;
    config.context = context;
    config.cluster = "kq";
    config.user = "kq-admin";
    config.source = "/home/u/.kube/config";
    config.server = "https://127.0.0.1:6443";
    return config;
}

kube::HttpResponse response(long status, std::string body) {
    kube::HttpResponse result;
    result.status = status;
    result.body = std::move(body);
    result.request_sent = true;
    return result;
}

kube::HttpResponse failure(kube::TransferError error, std::string detail, int os_errno = 0,
                           bool sent = false) {
    kube::HttpResponse result;
    result.error = error;
    result.error_detail = std::move(detail);
    result.os_errno = os_errno;
    result.request_sent = sent;
    return result;
}

} // namespace

TEST_CASE("API paths name their resource as kubectl does") {
    CHECK(kube::resource_of("/apis/batch/v1/namespaces/ns/jobs/x").resource == "jobs.batch");
    CHECK(kube::resource_of("/apis/batch/v1/namespaces/ns/jobs/x").name == "x");
    CHECK(kube::resource_of("/apis/batch/v1/namespaces/ns/jobs?limit=5").resource == "jobs.batch");
    CHECK(kube::resource_of("/apis/batch/v1/namespaces/ns/jobs?limit=5").name.empty());
    CHECK(kube::resource_of("/api/v1/namespaces/ns/pods/p/log").resource == "pods");
    CHECK(kube::resource_of("/api/v1/namespaces/ns").resource == "namespaces");
    CHECK(kube::resource_of("/api/v1/namespaces/ns").name == "ns");
    CHECK(kube::resource_of("/api/v1/nodes").resource == "nodes");
    CHECK(kube::resource_of("/version").resource.empty());
}

TEST_CASE("a Status body reads as kubectl prints it") {
    const kube::ApiError exists = kube::response_error(
        response(
            409,
            R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"jobs.batch \"x\" already exists",)"
            R"("reason":"AlreadyExists","details":{"name":"x","group":"batch","kind":"jobs"},"code":409})"),
        "POST", "/apis/batch/v1/namespaces/ns/jobs", config_of("admin"));
    CHECK(std::string(exists.what()) == "jobs.batch \"x\" already exists");
    CHECK(exists.kind() == kq::ErrorKind::cluster);
    CHECK(exists.code() == 409);
    CHECK(exists.already_exists());
    CHECK_FALSE(exists.conflict());
    CHECK(exists.status()["details"]["name"] == "x");

    const kube::ApiError expired = kube::response_error(
        response(410,
                 R"({"kind":"Status","message":"too old resource version","reason":"Expired","code":410})"),
        "GET", "/api/v1/pods", config_of("admin"));
    CHECK(expired.gone());
}

TEST_CASE("responses without a Status get client-go's words for their code") {
    const kube::ClientConfig config = config_of("admin");
    const auto message = [&](long status, const std::string& body, const char* method, const char* path) {
        return std::string(kube::response_error(response(status, body), method, path, config).what());
    };
    CHECK(message(404, "404 page not found", "GET", "/apis/batch/v1/namespaces/ns/jobs/x") ==
          "the server could not find the requested resource (get jobs.batch x)");
    CHECK(message(409, "", "POST", "/apis/batch/v1/namespaces/ns/jobs") ==
          "the server reported a conflict (post jobs.batch)");
    CHECK(kube::response_error(response(409, ""), "POST", "/x", config).already_exists());
    CHECK(message(502, "<html>Bad Gateway</html>\n", "GET", "/api/v1/namespaces/ns/pods") ==
          "an error on the server (\"<html>Bad Gateway</html>\") has prevented the request from succeeding "
          "(get pods)");
    CHECK(message(503, "", "GET", "/version") == "the server is currently unable to handle the request");
    CHECK(message(429, "", "GET", "/version") ==
          "the server has received too many requests and has asked us to try again later");
    CHECK(message(403, "forbidden: no", "GET", "/version") == "forbidden: no");
    CHECK(message(418, "", "GET", "/version") ==
          "the server responded with the status code 418 but did not return more information");
}

TEST_CASE("a 401 says whose credentials were refused and what to check") {
    const std::string status =
        R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})";
    kube::ClientConfig config = config_of("limited");
    config.user = "kq-limited";
    config.token = "secret-token";
    const kube::ApiError error = kube::response_error(response(401, status), "GET", "/version", config);
    CHECK(std::string(error.what()) ==
          "Unauthorized: the server https://127.0.0.1:6443 did not accept the credentials of user "
          "\"kq-limited\" "
          "(token, context \"limited\" in /home/u/.kube/config); have they expired?");
    CHECK(error.unauthorized());
    CHECK(std::string(error.what()).find("secret-token") == std::string::npos);

    config.token.clear();
    config.exec = kube::ExecConfig{};
    config.exec->command = "aws";
    CHECK(std::string(kube::response_error(response(401, status), "GET", "/version", config).what()) ==
          "Unauthorized: the server https://127.0.0.1:6443 did not accept the credentials of user "
          "\"kq-limited\" "
          "(exec plugin aws, context \"limited\" in /home/u/.kube/config); the token of exec plugin \"aws\" "
          "was "
          "refused even after running it again; run it by hand and check what it prints");
}

TEST_CASE("connection failures name the server and context and suggest a fix") {
    kube::ClientConfig config = config_of("admin");
    const auto message = [&](const kube::HttpResponse& failed) {
        return std::string(kube::transfer_error(failed, config, std::chrono::seconds(30)).what());
    };
    CHECK(message(failure(kube::TransferError::connect, "Failed to connect", 111)) ==
          "cannot connect to https://127.0.0.1:6443 (context \"admin\" in /home/u/.kube/config): connection "
          "refused; "
          "is the cluster running, and is \"admin\" the context you meant (--context)?");
    CHECK(message(failure(kube::TransferError::resolve, "Could not resolve host")) ==
          "cannot resolve \"127.0.0.1\", the host of https://127.0.0.1:6443 (context \"admin\" in "
          "/home/u/.kube/config); is the server address right?");
    CHECK(message(failure(kube::TransferError::tls_unknown_authority, "SSL certificate problem")) ==
          "cannot verify https://127.0.0.1:6443 (context \"admin\" in /home/u/.kube/config): its certificate "
          "is "
          "signed by an unknown authority; check certificate-authority of cluster \"kq\" (none is set, so "
          "only the "
          "system's authorities are trusted)");
    CHECK(
        message(failure(kube::TransferError::tls_name_mismatch, "no alternative certificate subject name")) ==
        "cannot verify https://127.0.0.1:6443 (context \"admin\" in /home/u/.kube/config): its certificate "
        "is not "
        "valid for \"127.0.0.1\"; use a name the certificate lists in server, or set tls-server-name of "
        "cluster "
        "\"kq\"");
    CHECK(
        message(failure(kube::TransferError::timeout, "Connection timed out", 0, true)) ==
        "the request to https://127.0.0.1:6443 timed out after 30s (--request-timeout) (context \"admin\" in "
        "/home/u/.kube/config)");
    CHECK(message(failure(kube::TransferError::timeout, "Connection timed out", 0, false)) ==
          "cannot connect to https://127.0.0.1:6443 (context \"admin\" in /home/u/.kube/config): no answer "
          "within "
          "the connect timeout; is the cluster running and reachable from here?");

    kube::HttpResponse slow_connect = failure(kube::TransferError::timeout, "Connection timed out", 0, false);
    slow_connect.elapsed = std::chrono::seconds(30);
    CHECK(
        message(slow_connect) ==
        "the request to https://127.0.0.1:6443 timed out after 30s (--request-timeout) (context \"admin\" in "
        "/home/u/.kube/config)");

    config.proxy_url = "http://user:pw@127.0.0.1:3128";
    config.proxy_origin = "proxy-url of cluster \"kq\"";
    CHECK(message(failure(kube::TransferError::proxy, "Failed to connect", 111)) ==
          "cannot reach https://127.0.0.1:6443 through the proxy http://user:xxxxx@127.0.0.1:3128 (proxy-url "
          "of "
          "cluster \"kq\"): connection refused (context \"admin\" in /home/u/.kube/config); is the proxy "
          "running?");
    kube::HttpResponse refused = failure(kube::TransferError::proxy, "CONNECT tunnel failed, response 403");
    refused.proxy_status = 403;
    CHECK(message(refused) ==
          "the proxy http://user:xxxxx@127.0.0.1:3128 (proxy-url of cluster \"kq\") refused to connect to "
          "https://127.0.0.1:6443 with status 403 (context \"admin\" in /home/u/.kube/config); does it allow "
          "CONNECT "
          "to that address?");

    const kube::ApiError unreachable =
        kube::transfer_error(failure(kube::TransferError::connect, "x", 111), config, {});
    CHECK(unreachable.unreachable());
    CHECK_FALSE(unreachable.request_sent());
    CHECK(unreachable.kind() == kq::ErrorKind::cluster);
}
