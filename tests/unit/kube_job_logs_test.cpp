#include "kube/job_logs.hpp"
#include "kube/job_status.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace kube = kq::kube;

namespace {

std::optional<std::string> render(const kube::LogRequest& request, std::string_view text,
                                  bool prefixed = false,
                                  std::string_view timestamp = "2026-12-04T10:00:00.5Z") {
    return kube::render_log_line(request, prefixed, "hello-x7k2p", "hello-x7k2p-abcde", "main", 0, timestamp,
                                 text);
}

} // namespace

TEST_CASE("log lines as printed: plain, prefixed, with their timestamp") {
    kube::LogRequest request;
    CHECK(render(request, "hello") == "hello");
    CHECK(render(request, "hello", true) == "[pod/hello-x7k2p-abcde/main] hello");
    request.timestamps = true;
    CHECK(render(request, "hello") == "2026-12-04T10:00:00.5Z hello");
}

TEST_CASE("--include keeps lines matching any pattern, --exclude drops lines matching any") {
    kube::LogRequest request;
    request.include = {kq::Pattern::compile("ERROR"), kq::Pattern::compile("^WARN")};
    CHECK(render(request, "an ERROR here").has_value());
    CHECK(render(request, "WARN: low disk").has_value());
    CHECK_FALSE(render(request, "all is well, WARN").has_value());
    request.exclude = {kq::Pattern::compile("retrying")};
    CHECK_FALSE(render(request, "ERROR: retrying").has_value());
    CHECK(kube::line_selected(request, "ERROR: gave up"));
    // A filter reads the first 4096 bytes of a longer line.
    kube::LogRequest only = {};
    only.include = {kq::Pattern::compile("y")};
    CHECK_FALSE(kube::line_selected(only, std::string(5000, 'x') + "y"));
    only.include = {kq::Pattern::compile("^x+$")};
    CHECK(kube::line_selected(only, std::string(5000, 'x') + "y"));
}

TEST_CASE("-o json: one object a line, every key always there") {
    kube::LogRequest request;
    request.json = true;
    const auto line = render(request, "say \"hi\"\t", true);
    REQUIRE(line.has_value());
    CHECK(line->find('\n') == std::string::npos);
    CHECK(nlohmann::json::parse(*line) == nlohmann::json{{"job", "hello-x7k2p"},
                                                         {"pod", "hello-x7k2p-abcde"},
                                                         {"container", "main"},
                                                         {"timestamp", "2026-12-04T10:00:00.5Z"},
                                                         {"message", "say \"hi\"\t"}});
    // No timestamp from the server: null. Bytes that are not UTF-8 become U+FFFD.
    const auto odd = render(request, "caf\xe9", false, "");
    REQUIRE(odd.has_value());
    const nlohmann::json object = nlohmann::json::parse(*odd);
    CHECK(object["timestamp"].is_null());
    CHECK(object["message"] == "caf\xef\xbf\xbd");
}

TEST_CASE("log_containers: --all-containers reads init containers and sidecars first; -c may name one") {
    const nlohmann::json pod = {
        {"metadata", {{"name", "web-x7k2p-abcde"}}},
        {"spec",
         {{"initContainers", {{{"name", "setup"}}, {{"name", "proxy"}, {"restartPolicy", "Always"}}}},
          {"containers", {{{"name", "main"}}}}}}};
    kube::LogRequest request;
    CHECK(kube::log_containers(pod, request) == std::vector<std::string>{"main"});
    request.all_containers = true;
    CHECK(kube::log_containers(pod, request) == std::vector<std::string>{"setup", "proxy", "main"});
    request.all_containers = false;
    request.container = "proxy";
    CHECK(kube::log_containers(pod, request) == std::vector<std::string>{"proxy"});
    request.container = "envoy";
    try {
        (void)kube::log_containers(pod, request);
        FAIL("no error");
    } catch (const std::exception& error) {
        CHECK(std::string(error.what()) ==
              "-c: container \"envoy\" is not valid for pod web-x7k2p-abcde (it has: setup, proxy, main)");
    }
}

TEST_CASE("a log stream's grace after its container ended counts from its connect, when that came later") {
    using namespace std::chrono_literals;
    const auto ended = std::chrono::steady_clock::time_point{} + 1000s;
    // Connected while the container ran: 5 s after it ended.
    CHECK_FALSE(kube::terminated_grace_over(ended + 4s, ended, ended - 30s));
    CHECK(kube::terminated_grace_over(ended + 6s, ended, ended - 30s));
    // A stream that waited a minute for a free slot still has 5 s from its connect to read what the
    // container wrote (before, it was cancelled on its first sweep, and its lines were lost).
    CHECK_FALSE(kube::terminated_grace_over(ended + 61s, ended, ended + 60s));
    CHECK(kube::terminated_grace_over(ended + 66s, ended, ended + 60s));
    CHECK(kube::k_terminated_grace == 5s);
}

TEST_CASE("slim_pod keeps what the follower and job_result read, and job_result reads it as the whole pod") {
    using nlohmann::json;
    const json failed = {
        {"metadata", {{"name", "hello-x7k2p"}}},
        {"status",
         {{"conditions", {{{"type", "Failed"}, {"status", "True"}, {"reason", "BackoffLimitExceeded"}}}}}}};
    const json terminated = {
        {"terminated", {{"exitCode", 4}, {"reason", "Error"}, {"finishedAt", "2026-12-06T10:00:00Z"}}}};
    json pod = {
        {"metadata",
         {{"name", "hello-x7k2p-ccccc"},
          {"namespace", "batch"},
          {"uid", "u-1"},
          {"managedFields", json::array({{{"manager", "kubelet"}}})}}},
        {"spec",
         {{"restartPolicy", "Never"},
          {"nodeName", "kwok-node-0"},
          {"volumes", json::array({{{"name", "kube-api-access"}}})},
          {"initContainers",
           {{{"name", "proxy"}, {"restartPolicy", "Always"}, {"image", "envoy"}},
            {{"name", "setup"}, {"image", "busybox"}}}},
          {"containers",
           {{{"name", "main"}, {"image", "busybox"}, {"env", json::array({{{"name", "A"}}})}}}}}},
        {"status",
         {{"phase", "Failed"},
          {"reason", "Evicted"},
          {"conditions", json::array({{{"type", "Ready"}, {"status", "False"}}})},
          {"podIPs", json::array({{{"ip", "10.0.0.1"}}})},
          {"initContainerStatuses",
           {{{"name", "proxy"}, {"image", "envoy"}, {"state", {{"terminated", {{"exitCode", 143}}}}}},
            {{"name", "setup"}, {"imageID", "sha256:1"}, {"restartCount", 0}, {"state", terminated}}}},
          {"containerStatuses",
           {{{"name", "main"},
             {"volumeMounts", json::array({{{"name", "kube-api-access"}}})},
             {"state", {{"waiting", {{"reason", "PodInitializing"}}}}}}}}}}};
    const json slim = kq::kube::slim_pod(pod);
    CHECK(slim ==
          json{{"metadata", {{"name", "hello-x7k2p-ccccc"}, {"namespace", "batch"}}},
               {"spec",
                {{"restartPolicy", "Never"},
                 {"nodeName", "kwok-node-0"},
                 {"initContainers", {{{"name", "proxy"}, {"restartPolicy", "Always"}}, {{"name", "setup"}}}},
                 {"containers", {{{"name", "main"}}}}}},
               {"status",
                {{"phase", "Failed"},
                 {"reason", "Evicted"},
                 {"initContainerStatuses",
                  {{{"name", "proxy"}, {"state", {{"terminated", {{"exitCode", 143}}}}}},
                   {{"name", "setup"}, {"restartCount", 0}, {"state", terminated}}}},
                 {"containerStatuses",
                  {{{"name", "main"}, {"state", {{"waiting", {{"reason", "PodInitializing"}}}}}}}}}}});

    const auto whole = kq::kube::job_result(kq::kube::summarize_job(failed), {pod});
    const auto kept = kq::kube::job_result(kq::kube::summarize_job(failed), {slim});
    CHECK(whole.container == "setup");
    CHECK(kept.container == whole.container);
    CHECK(kept.detail == whole.detail);
    // Only the sidecar (restartPolicy Always) ended non-zero: no container is to blame, in either.
    pod["status"]["initContainerStatuses"][1]["state"]["terminated"]["exitCode"] = 0;
    const auto sidecar_only =
        kq::kube::job_result(kq::kube::summarize_job(failed), {kq::kube::slim_pod(pod)});
    CHECK(sidecar_only.container.empty());
    CHECK(sidecar_only.exit_code == kq::k_exit_job_failed);
    CHECK(sidecar_only.detail == kq::kube::job_result(kq::kube::summarize_job(failed), {pod}).detail);
}
