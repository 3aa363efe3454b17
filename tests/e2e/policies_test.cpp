// End-to-end: the Job-level keys of kq.yaml (podFailurePolicy, backoffLimitPerIndex) as the real Job
// controller applies them, the exit codes kq gives their outcomes, and suspend/resume (submit --suspend,
// kq suspend, kq resume) against the real control plane, with pods steered through the simulated node's
// kq.test/* annotations (tests/cluster/README.md).

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

using namespace kq::e2e;

namespace {

constexpr const char* k_policies_project = R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 4
jobs:
  fail-job:
    description: exit code 42 fails the Job at once, whatever backoffLimit says
    containerName: worker
    annotations: {kq.test/exit-code: "42", kq.test/run-seconds: "1"}
    podFailurePolicy:
      rules:
        - action: FailJob
          onExitCodes: {containerName: worker, operator: In, values: [42]}
  counted:
    description: a Count rule leaves the failure to backoffLimit, and the exit code to the container
    backoffLimit: 1
    annotations: {kq.test/exit-code: "7", kq.test/run-seconds: "1"}
    podFailurePolicy:
      rules:
        - action: Count
          onExitCodes: {operator: In, values: [7]}
        - action: FailJob
          onExitCodes: {operator: In, values: [9]}
  per-index:
    description: each index retried once, then the Job fails with the container's code
    completionMode: Indexed
    completions: 2
    parallelism: 2
    backoffLimitPerIndex: 1
    annotations: {kq.test/exit-code: "5", kq.test/run-seconds: "1"}
  quick:
    annotations: {kq.test/run-seconds: "1", kq.test/log: "done"}
  long:
    annotations: {kq.test/run-seconds: "600"}
  multi:
    description: an init container and a native sidecar beside the main container, which exits 3
    containerName: main
    backoffLimit: 0
    initContainers:
      - name: setup
        command: [sh, -c, 'echo prepared']
    sidecars:
      - name: proxy
        image: envoyproxy/envoy:v1.30.1
    annotations:
      kq.test/exit-code: "3"
      kq.test/run-seconds: "1"
      kq.test/log.setup: "prepared"
      kq.test/log.proxy: "proxy up"
      kq.test/log.main: "working"
  bad-init:
    description: its init container fails, so the main container never runs
    backoffLimit: 0
    initContainers:
      - name: setup
        command: [sh, -c, 'exit 4']
    annotations: {kq.test/init-exit-code: "4"}
)";

// A scratch project and namespace for one test.
struct PolicyScene {
    TempDir dir;
    TestNamespace ns{"kq-policies"};
    std::string file;

    PolicyScene() : file(dir.file("kq.yaml")) { write_file(file, k_policies_project); }

    // Runs kq with the project file and namespace.
    Run kq(std::vector<std::string> args) const {
        std::vector<std::string> full = {"-f", file, "-n", ns.name()};
        full.insert(full.end(), args.begin(), args.end());
        return run_kq(full);
    }

    // A Job as the API server has it.
    nlohmann::json job(const std::string& name) const {
        auto client = cluster_client("admin");
        return client->get("/apis/batch/v1/namespaces/" + ns.name() + "/jobs/" + name);
    }

    // The Job's spec.suspend, false when unset.
    bool suspended(const std::string& name) const {
        const nlohmann::json object = job(name);
        return object["spec"].value("suspend", false);
    }

    // The pods of a Job that exist now.
    std::size_t pod_count(const std::string& name) const {
        auto client = cluster_client("admin");
        return job_pods(*client, ns.name(), name).size();
    }
};

// The reason of a Job's True Failed condition, or empty.
std::string failed_reason(const nlohmann::json& job) {
    for (const nlohmann::json& condition : job["status"].value("conditions", nlohmann::json::array())) {
        if (condition.value("type", "") == "Failed" && condition.value("status", "") == "True") {
            return condition.value("reason", "");
        }
    }
    return "";
}

} // namespace

TEST_SUITE("policies") {

    TEST_CASE("a FailJob rule on exit code 42 fails the Job at once and kq run and kq wait exit 42") {
        PolicyScene scene;
        const Run run = scene.kq({"run", "fail-job", "--name", "fail-job-1"});
        CHECK(run.status == 42);
        const auto err = lines_of(run.err);
        REQUIRE(err.size() == 2);
        CHECK(err[0] == "job.batch/fail-job-1 created");
        CHECK(err[1].rfind("kq: error: job.batch/fail-job-1 failed: container \"worker\" of pod fail-job-1-",
                           0) == 0);
        CHECK(err[1].ends_with("exited with code 42, which a FailJob rule of its podFailurePolicy matches"));
        const nlohmann::json job = scene.job("fail-job-1");
        CHECK(failed_reason(job) == "PodFailurePolicy");
        // backoffLimit 4 would have retried; the rule made one pod the last.
        CHECK(job["status"].value("failed", 0) == 1);

        const Run wait = scene.kq({"wait", "fail-job-1"});
        CHECK(wait.status == 42);
        const Run as_json = scene.kq({"wait", "fail-job-1", "-o", "json"});
        CHECK(as_json.status == 42);
        const nlohmann::json document = nlohmann::json::parse(as_json.out);
        CHECK(document["exitCode"] == 42);
    }

    TEST_CASE("a Count rule leaves the Job to backoffLimit and the exit code to the container") {
        PolicyScene scene;
        const Run run = scene.kq({"run", "counted", "--name", "counted-1"});
        CHECK(run.status == 7);
        CHECK(lines_of(run.err).back().ends_with("exited with code 7"));
        const nlohmann::json job = scene.job("counted-1");
        CHECK(failed_reason(job) == "BackoffLimitExceeded");
        CHECK(job["status"].value("failed", 0) == 2);
    }

    TEST_CASE("backoffLimitPerIndex retries each index once, then the Job fails with the container's code") {
        PolicyScene scene;
        const Run run = scene.kq({"run", "per-index", "--name", "per-index-1"});
        CHECK(run.status == 5);
        const nlohmann::json job = scene.job("per-index-1");
        CHECK(job["spec"]["backoffLimitPerIndex"] == 1);
        CHECK(failed_reason(job) == "FailedIndexes");
        CHECK(job["status"].value("failed", 0) == 4);
        CHECK(job["status"].value("failedIndexes", "") == "0,1");
    }

    TEST_CASE("submit --suspend starts no pod until kq resume; list and status show Suspended") {
        PolicyScene scene;
        const Run submit = scene.kq({"submit", "quick", "--suspend", "--name", "quick-1"});
        REQUIRE(submit.status == 0);
        CHECK(submit.out == "job.batch/quick-1 created\n");
        CHECK(scene.suspended("quick-1"));
        std::this_thread::sleep_for(std::chrono::seconds(3));
        CHECK(scene.pod_count("quick-1") == 0);

        const Run list = scene.kq({"list", "quick"});
        REQUIRE(list.status == 0);
        const auto rows = lines_of(list.out);
        REQUIRE(rows.size() == 2);
        CHECK(words_of(rows[1])[0] == "quick-1");
        CHECK(words_of(rows[1])[2] == "Suspended");
        const Run status = scene.kq({"status", "quick-1"});
        CHECK(status.out.find("Status:        Suspended\n") != std::string::npos);

        // A dry run, on the client or the server, leaves the Job suspended.
        const Run client_dry = scene.kq({"resume", "quick-1", "--dry-run"});
        CHECK(client_dry.status == 0);
        CHECK(client_dry.out == "job.batch/quick-1 resumed (dry run)\n");
        const Run server_dry = scene.kq({"resume", "quick-1", "--dry-run=server"});
        CHECK(server_dry.status == 0);
        CHECK(server_dry.out == "job.batch/quick-1 resumed (server dry run)\n");
        CHECK(scene.suspended("quick-1"));

        const Run resume = scene.kq({"resume", "quick-1"});
        CHECK(resume.status == 0);
        CHECK(resume.out == "job.batch/quick-1 resumed\n");
        CHECK_FALSE(scene.suspended("quick-1"));
        const Run wait = scene.kq({"wait", "quick-1", "--timeout", "60s"});
        CHECK(wait.status == 0);
        const Run again = scene.kq({"resume", "quick-1"});
        CHECK(again.out == "job.batch/quick-1 unchanged (finished)\n");
    }

    TEST_CASE("kq suspend stops a running Job's pods; kq resume -l starts them again") {
        PolicyScene scene;
        REQUIRE(scene.kq({"submit", "long", "--name", "long-1"}).status == 0);
        REQUIRE(scene.kq({"submit", "long", "--name", "long-2"}).status == 0);
        auto client = cluster_client("admin");
        wait_running(*client, scene.ns.name(), "long-1");

        const Run suspend = scene.kq({"suspend", "-l", "kq.dev/definition=long", "-o", "name"});
        CHECK(suspend.status == 0);
        CHECK(suspend.out == "job.batch/long-1\njob.batch/long-2\n");
        CHECK(scene.suspended("long-1"));
        CHECK(scene.suspended("long-2"));
        // The Job controller deletes a suspended Job's pods.
        CHECK(eventually([&] { return scene.pod_count("long-1") == 0; }));
        CHECK(eventually([&] {
            const auto rows = lines_of(scene.kq({"list", "long"}).out);
            return rows.size() == 3 && words_of(rows[1])[2] == "Suspended" &&
                   words_of(rows[2])[2] == "Suspended";
        }));
        const Run twice = scene.kq({"suspend", "long-1"});
        CHECK(twice.out == "job.batch/long-1 unchanged (already suspended)\n");

        const Run resume = scene.kq({"resume", "-l", "kq.dev/definition=long"});
        CHECK(resume.status == 0);
        CHECK(resume.out == "job.batch/long-1 resumed\njob.batch/long-2 resumed\n");
        wait_running(*client, scene.ns.name(), "long-1");
        CHECK_FALSE(scene.suspended("long-2"));
        const Run not_suspended = scene.kq({"resume", "--job", "long"});
        CHECK(not_suspended.out == "job.batch/long-2 unchanged (not suspended)\n");
    }

    TEST_CASE("init containers and sidecars: the exit code is the main container's, --all-containers "
              "shows every container's logs") {
        PolicyScene scene;
        const Run run = scene.kq({"run", "multi", "--name", "multi-1"});
        CHECK(run.status == 3);
        CHECK(run.out == "working\n");
        CHECK(lines_of(run.err).back().find("container \"main\" of pod multi-1-") != std::string::npos);
        const nlohmann::json job = scene.job("multi-1");
        const nlohmann::json& init = job["spec"]["template"]["spec"]["initContainers"];
        REQUIRE(init.size() == 2);
        CHECK(init[0]["name"] == "setup");
        CHECK(init[0]["image"] == "busybox:1.36");
        CHECK_FALSE(init[0].contains("restartPolicy"));
        CHECK(init[1]["name"] == "proxy");
        CHECK(init[1]["restartPolicy"] == "Always");

        const Run logs = scene.kq({"logs", "multi-1", "--all-containers"});
        CHECK(logs.status == 0);
        const auto lines = lines_of(logs.out);
        REQUIRE(lines.size() == 3);
        const std::string pod = lines[0].substr(5, lines[0].find('/', 5) - 5);
        CHECK(lines[0] == "[pod/" + pod + "/setup] prepared");
        CHECK(lines[1] == "[pod/" + pod + "/proxy] proxy up");
        CHECK(lines[2] == "[pod/" + pod + "/main] working");
        const Run sidecar = scene.kq({"logs", "multi-1", "-c", "proxy"});
        CHECK(sidecar.out == "proxy up\n");
        const Run wait = scene.kq({"wait", "multi-1"});
        CHECK(wait.status == 3);
    }

    TEST_CASE("a failed init container: exit 121 (no main container code), the message names it") {
        PolicyScene scene;
        const Run run = scene.kq({"run", "bad-init", "--name", "bad-init-1"});
        CHECK(run.status == 121);
        CHECK_MESSAGE(
            lines_of(run.err).back().find("job.batch/bad-init-1 failed: init container \"setup\" of "
                                          "pod bad-init-1-") != std::string::npos,
            run.err);
        CHECK(run.err.find("exited with code 4, so its containers never ran") != std::string::npos);
        const Run wait = scene.kq({"wait", "bad-init-1"});
        CHECK(wait.status == 121);
    }

    TEST_CASE("suspend and resume refuse what they can't do, with kq's exit codes") {
        PolicyScene scene;
        const Run none = scene.kq({"suspend"});
        CHECK(none.status == 125);
        CHECK(none.err == "kq: error: suspend: name a Job, or use --job DEFINITION or -l SELECTOR\n");
        const Run both = scene.kq({"resume", "x", "-l", "a=b"});
        CHECK(both.status == 125);
        CHECK(both.err == "kq: error: resume: use only one of Job names, --job and -l/--selector\n");
        const Run missing = scene.kq({"resume", "nope"});
        CHECK(missing.status == 123);
        CHECK(missing.err == "kq: error: jobs.batch \"nope\" not found\n");
        const Run mode = scene.kq({"suspend", "x", "--dry-run=maybe"});
        CHECK(mode.status == 125);
        CHECK(mode.err == "kq: error: --dry-run: \"maybe\" is not a mode; use client, server or none\n");
        const Run empty = scene.kq({"resume", "-l", "team=nobody"});
        CHECK(empty.status == 0);
        CHECK(empty.err == "No resources found in " + scene.ns.name() + " namespace.\n");
        const Run unique = scene.kq({"submit", "quick", "--suspend", "--unique"});
        CHECK(unique.status == 125);
        CHECK(unique.err == "kq: error: --suspend and --unique: --unique resumes its Job once it is alone; "
                            "use one of them\n");
    }
}
