// End-to-end: kq submit --max-active against the real control plane (a fan-out of which at most K Jobs
// are unfinished at once, sampled from the API while kq runs; failures; Ctrl-C and a re-run with the same
// --idempotency-key), and the logs of every container with kq run --all-containers.

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <set>
#include <thread>

using namespace kq::e2e;
using namespace std::chrono_literals;

namespace max_active_e2e {

constexpr const char* k_capped_project = R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
jobs:
  step:
    annotations: {kq.test/run-seconds: "{{ params.secs }}", kq.test/exit-code: "{{ params.code }}",
                  kq.test/log: "step {{ params.n }}"}
    params:
      secs: {default: "2"}
      code: {default: "0"}
      n: {default: "0"}
  multi:
    initContainers:
      - {name: setup, image: busybox:1.36}
    sidecars:
      - {name: proxy, image: busybox:1.36}
    annotations: {kq.test/exit-code: "{{ params.code }}", kq.test/log.setup: "setup line",
                  kq.test/log.proxy: "proxy line", kq.test/log.multi: "main line"}
    params:
      code: {default: "0"}
)";

// A scratch project and namespace for one test.
struct CappedScene {
    TempDir dir;
    TestNamespace ns{"kq-cap"};
    std::string file;

    CappedScene() : file(dir.file("kq.yaml")) { write_file(file, k_capped_project); }

    std::vector<std::string> args(std::vector<std::string> rest) const {
        std::vector<std::string> full = {"-f", file, "-n", ns.name()};
        full.insert(full.end(), rest.begin(), rest.end());
        return full;
    }

    Run kq(const std::vector<std::string>& rest) const { return run_kq(args(rest)); }
};

bool cap_finished(const nlohmann::json& job) {
    for (const nlohmann::json& condition :
         job.value("/status/conditions"_json_pointer, nlohmann::json::array())) {
        const std::string type = condition.value("type", "");
        if ((type == "Complete" || type == "Failed") && condition.value("status", "") == "True") return true;
    }
    return false;
}

// The namespace's Jobs, from the API.
std::vector<nlohmann::json> cap_list_jobs(kq::kube::Client& client, const std::string& namespace_name) {
    std::vector<nlohmann::json> jobs;
    client.list(fmt::format("/apis/batch/v1/namespaces/{}/jobs", namespace_name), {},
                [&](nlohmann::json& page) {
                    for (nlohmann::json& item : page["items"])
                        jobs.push_back(std::move(item));
                });
    return jobs;
}

size_t cap_configmaps(kq::kube::Client& client, const std::string& namespace_name) {
    size_t count = 0;
    kq::kube::ListOptions options;
    options.label_selector = "";
    client.list(fmt::format("/api/v1/namespaces/{}/configmaps", namespace_name), options,
                [&](nlohmann::json& page) {
                    for (const nlohmann::json& item : page["items"]) {
                        if (item.value("/metadata/name"_json_pointer, std::string()).starts_with("step-"))
                            ++count;
                    }
                });
    return count;
}

// What the API showed while kq ran: the most unfinished Jobs at once, and whether a payload object was
// ever there before its Job.
struct Sampled {
    size_t peak_unfinished = 0;
    size_t peak_jobs = 0;
    bool payload_before_job = false;
    int samples = 0;
    Run run;
};

Sampled cap_sample_while(const CappedScene& scene, const std::vector<std::string>& rest) {
    std::atomic<bool> done{false};
    auto kq = std::async(std::launch::async, [&] {
        Run run = scene.kq(rest);
        done = true;
        return run;
    });
    std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
    Sampled sampled;
    while (!done) {
        // Payload objects first: one listed before the Jobs must belong to a Job listed after.
        const size_t configmaps = cap_configmaps(*client, scene.ns.name());
        const std::vector<nlohmann::json> jobs = cap_list_jobs(*client, scene.ns.name());
        const size_t unfinished = static_cast<size_t>(
            std::count_if(jobs.begin(), jobs.end(), [](const auto& job) { return !cap_finished(job); }));
        sampled.peak_unfinished = std::max(sampled.peak_unfinished, unfinished);
        sampled.peak_jobs = std::max(sampled.peak_jobs, jobs.size());
        if (configmaps > jobs.size()) sampled.payload_before_job = true;
        ++sampled.samples;
        std::this_thread::sleep_for(100ms);
    }
    sampled.run = kq.get();
    return sampled;
}

size_t cap_lines_ending(const std::string& text, const std::string& end) {
    size_t count = 0;
    for (const std::string& line : lines_of(text)) {
        if (line.ends_with(end)) ++count;
    }
    return count;
}

} // namespace max_active_e2e

using namespace max_active_e2e;

TEST_SUITE("max_active") {

    TEST_CASE("--count 6 --max-active 2: never more than 2 unfinished at once, all 6 complete, exit 0") {
        CappedScene scene;
        const Sampled sampled =
            cap_sample_while(scene, {"submit", "step", "--count", "6", "--max-active", "2"});
        INFO(sampled.run.err);
        REQUIRE(sampled.run.status == 0);
        MESSAGE("--count 6 --max-active 2: ", sampled.samples, " samples, peak unfinished ",
                sampled.peak_unfinished);
        CHECK(sampled.samples >= 10);
        CHECK(sampled.peak_unfinished == 2);
        CHECK(cap_lines_ending(sampled.run.out, " created") == 6);
        CHECK(sampled.run.err.find("kq: submitted 6 of 6 Jobs in ") != std::string::npos);
        CHECK(sampled.run.err.find(", at most 2 unfinished at once\n") != std::string::npos);
        std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
        const std::vector<nlohmann::json> jobs = cap_list_jobs(*client, scene.ns.name());
        CHECK(jobs.size() == 6);
        for (const nlohmann::json& job : jobs) {
            CHECK(cap_finished(job));
            CHECK(job.value("/status/succeeded"_json_pointer, 0) == 1);
        }
    }

    TEST_CASE("a failed member of a capped fan-out gives its exit code, after all were created") {
        CappedScene scene;
        const std::string params = scene.dir.file("params.jsonl");
        write_file(params, "{\"n\": 1}\n{\"n\": 2, \"code\": 5}\n{\"n\": 3}\n{\"n\": 4}\n");
        const Run run =
            scene.kq({"submit", "step", "--params-file", params, "--max-active", "1", "-p", "secs=1"});
        CHECK(run.status == 5);
        CHECK(run.err.find("exited with code 5") != std::string::npos);
        CHECK(cap_lines_ending(run.out, " created") == 4);
        std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
        CHECK(cap_list_jobs(*client, scene.ns.name()).size() == 4);
    }

    TEST_CASE("Ctrl-C stops creating and says how many were never created; the same key carries on") {
        CappedScene scene;
        const std::vector<std::string> args = scene.args({"submit", "step", "--count", "6", "--max-active",
                                                          "2", "--idempotency-key", "cap-1", "-p", "secs=4"});
        const std::string out_file = scene.dir.file("out");
        const std::string err_file = scene.dir.file("err");
        const pid_t pid = start_kq(args, out_file, err_file);
        // Once the first two are created (the third waits for one of them to finish), interrupt.
        auto created_two = [&] {
            std::error_code error;
            return std::filesystem::exists(out_file, error) &&
                   cap_lines_ending(read_file(out_file), " created") == 2;
        };
        for (int i = 0; i < 200 && !created_two(); ++i)
            std::this_thread::sleep_for(50ms);
        REQUIRE(created_two());
        kill(pid, SIGINT);
        int status = 0;
        waitpid(pid, &status, 0);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 130);
        const std::string err = read_file(err_file);
        CHECK(err.find("kq: error: interrupted: 4 of 6 Jobs were never created; run it again with the same "
                       "--idempotency-key to create only those\n") != std::string::npos);
        std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
        CHECK(cap_list_jobs(*client, scene.ns.name()).size() == 2);

        const Sampled again = cap_sample_while(scene, {"submit", "step", "--count", "6", "--max-active", "2",
                                                       "--idempotency-key", "cap-1", "-p", "secs=4"});
        INFO(again.run.err);
        CHECK(again.run.status == 0);
        CHECK(cap_lines_ending(again.run.out, " unchanged") == 2);
        CHECK(cap_lines_ending(again.run.out, " created") == 4);
        CHECK(again.peak_unfinished <= 2);
        const std::vector<nlohmann::json> jobs = cap_list_jobs(*client, scene.ns.name());
        CHECK(jobs.size() == 6);
        std::set<std::string> keys;
        for (const nlohmann::json& job : jobs) {
            CHECK(cap_finished(job));
            keys.insert(job["metadata"]["annotations"].value("kq.dev/idempotency-key", ""));
        }
        CHECK(keys ==
              std::set<std::string>{"cap-1/0", "cap-1/1", "cap-1/2", "cap-1/3", "cap-1/4", "cap-1/5"});
    }

    TEST_CASE("--payload-file with --max-active: each payload object is made with its Job, not before") {
        CappedScene scene;
        const std::string payloads = scene.dir.file("payloads.jsonl");
        write_file(payloads,
                   "{\"order\": 1}\n{\"order\": 2}\n{\"order\": 3}\n{\"order\": 4}\n{\"order\": 5}\n");
        const Sampled sampled = cap_sample_while(
            scene, {"submit", "step", "--payload-file", payloads, "--max-active", "2", "--logs"});
        INFO(sampled.run.err);
        REQUIRE(sampled.run.status == 0);
        CHECK(sampled.peak_unfinished <= 2);
        CHECK_FALSE(sampled.payload_before_job);
        CHECK(cap_lines_ending(sampled.run.out, " step 0") == 5);
        std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
        CHECK(cap_list_jobs(*client, scene.ns.name()).size() == 5);
        CHECK(cap_configmaps(*client, scene.ns.name()) == 5);
    }

    TEST_CASE("--max-active usage errors: below 1, with --dry-run, with --suspend") {
        CappedScene scene;
        const Run zero = scene.kq({"submit", "step", "--count", "3", "--max-active", "0"});
        CHECK(zero.status == 125);
        CHECK(zero.err == "kq: error: --max-active: must be at least 1, not 0\n");
        const Run dry = scene.kq({"submit", "step", "--count", "3", "--max-active", "1", "--dry-run=client"});
        CHECK(dry.status == 125);
        CHECK(dry.err == "kq: error: --max-active: waits for the Jobs to create the rest; it can't be used "
                         "with --dry-run\n");
        const Run suspended = scene.kq({"submit", "step", "--count", "3", "--max-active", "1", "--suspend"});
        CHECK(suspended.status == 125);
        CHECK(suspended.err.rfind("kq: error: --max-active and --suspend: ", 0) == 0);
        std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
        CHECK(cap_list_jobs(*client, scene.ns.name()).empty());
    }

    TEST_CASE("--timeout ends a capped fan-out with 124, saying how many were never created") {
        CappedScene scene;
        const Run run = scene.kq(
            {"submit", "step", "--count", "4", "--max-active", "1", "-p", "secs=30", "--timeout", "2s"});
        CHECK(run.status == 124);
        CHECK(run.err.find("kq: error: timed out after 2s waiting for job.batch/step-") != std::string::npos);
        CHECK(run.err.ends_with("); 3 more Jobs were never created\n"));
        std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
        CHECK(cap_list_jobs(*client, scene.ns.name()).size() == 1);
    }

    TEST_CASE("--max-active of at least the count creates them all at once and waits, as --wait") {
        CappedScene scene;
        const Run run = scene.kq({"submit", "step", "--count", "3", "--max-active", "5", "-p", "secs=1"});
        CHECK(run.status == 0);
        CHECK(cap_lines_ending(run.out, " created") == 3);
        std::unique_ptr<kq::kube::Client> client = cluster_client("admin");
        const std::vector<nlohmann::json> jobs = cap_list_jobs(*client, scene.ns.name());
        CHECK(jobs.size() == 3);
        for (const nlohmann::json& job : jobs)
            CHECK(cap_finished(job));
    }

    TEST_CASE("kq run --all-containers: every container's lines, prefixed; the exit code the main one's") {
        CappedScene scene;
        const Run run = scene.kq({"run", "multi", "--all-containers", "-p", "code=4"});
        CHECK(run.status == 4);
        const std::vector<std::string> lines = lines_of(run.out);
        auto has = [&](const std::string& container, const std::string& text) {
            return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
                return line.starts_with("[pod/multi-") &&
                       line.ends_with(fmt::format("/{}] {}", container, text));
            });
        };
        CHECK(has("setup", "setup line"));
        CHECK(has("proxy", "proxy line"));
        CHECK(has("multi", "main line"));
        const Run plain = scene.kq({"run", "multi"});
        CHECK(plain.status == 0);
        CHECK(plain.out == "main line\n");
        const Run submitted = scene.kq({"submit", "multi", "--logs", "--all-containers"});
        CHECK(submitted.status == 0);
        CHECK(submitted.out.find("/setup] setup line\n") != std::string::npos);
        const Run without_logs = scene.kq({"submit", "multi", "--all-containers"});
        CHECK(without_logs.status == 125);
        CHECK(without_logs.err ==
              "kq: error: --all-containers: follows the logs of every container; use it with --logs\n");
    }

} // TEST_SUITE
