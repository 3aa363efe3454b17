// End-to-end: `kq status` against the test cluster: a failed Job's exit code and BackoffLimitExceeded,
// a deadline, an OOMKilled container, events, --job, and the errors.

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <thread>

using namespace kq::e2e;

namespace {

// `kq status -o json` of a Job once `ready` holds for it (events are recorded asynchronously).
nlohmann::json status_when(const std::string& namespace_name, const std::string& name,
                           const std::function<bool(const nlohmann::json&)>& ready) {
    nlohmann::json document;
    const bool reached = eventually([&] {
        const Run run = run_kq({"status", name, "-n", namespace_name, "-o", "json"});
        REQUIRE_MESSAGE(run.status == 0, run.err);
        document = nlohmann::json::parse(run.out);
        return ready(document);
    });
    CHECK_MESSAGE(reached, document.dump(2));
    return document;
}

bool has_event(const nlohmann::json& document, const std::string& reason) {
    for (const nlohmann::json& event : document["events"]) {
        if (event["reason"] == reason) return true;
    }
    return false;
}

} // namespace

TEST_SUITE_BEGIN("status");

TEST_CASE("a failed Job: BackoffLimitExceeded, the container's exit code, and the Job's and pod's events") {
    TestNamespace ns("kq-status");
    auto admin = cluster_client("admin");
    create_jobs(*admin, ns.name(), {failing("crash", "crasher", 3)});
    wait_finished(*admin, ns.name(), {"crash"});

    const nlohmann::json document = status_when(ns.name(), "crash", [](const nlohmann::json& doc) {
        return has_event(doc, "BackoffLimitExceeded") && has_event(doc, "Scheduled");
    });
    const nlohmann::json& job = document["job"];
    CHECK(job["name"] == "crash");
    CHECK(job["namespace"] == ns.name());
    CHECK(job["definition"] == "crasher");
    CHECK(job["status"] == "Failed");
    CHECK(job["reason"] == "BackoffLimitExceeded");
    CHECK(job["completions"] == "0/1");
    CHECK(job["failed"] == 1);
    CHECK(job["startTime"].is_string());
    CHECK(job["durationSeconds"].is_number());
    bool failed_condition = false;
    for (const nlohmann::json& condition : document["conditions"]) {
        failed_condition =
            failed_condition || (condition["type"] == "Failed" && condition["status"] == "True" &&
                                 condition["reason"] == "BackoffLimitExceeded");
    }
    CHECK(failed_condition);
    REQUIRE(document["pods"].size() == 1);
    const nlohmann::json& pod = document["pods"][0];
    CHECK(pod["phase"] == "Failed");
    CHECK(pod["node"] == "kq-node");
    REQUIRE(pod["containers"].size() == 1);
    CHECK(pod["containers"][0] == nlohmann::json{{"name", "main"},
                                                 {"init", false},
                                                 {"state", "terminated"},
                                                 {"reason", "Error"},
                                                 {"message", nullptr},
                                                 {"exitCode", 3},
                                                 {"restarts", 0},
                                                 {"lastReason", nullptr},
                                                 {"lastExitCode", nullptr}});
    // Events of the Job (from the Job controller) and of its pod (from the scheduler), oldest first.
    bool job_event = false;
    bool pod_event = false;
    for (const nlohmann::json& event : document["events"]) {
        job_event = job_event || event["object"] == "job/crash";
        pod_event = pod_event || event["object"] == "pod/" + pod["name"].get<std::string>();
    }
    CHECK(job_event);
    CHECK(pod_event);
    CHECK(document["events"].size() <= 10);

    const Run text = run_kq({"status", "crash", "-n", ns.name()});
    REQUIRE(text.status == 0);
    const auto lines = lines_of(text.out);
    REQUIRE(lines.size() > 8);
    CHECK(lines[0] == "Name:          crash");
    CHECK(lines[1] == fmt::format("Namespace:     {}", ns.name()));
    CHECK(lines[2] == "Definition:    crasher");
    CHECK(lines[3] == "Status:        Failed");
    CHECK(lines[4] == "Reason:        BackoffLimitExceeded");
    CHECK(text.out.find("\nCompletions:   0/1 (0 active, 0 succeeded, 1 failed)\n") != std::string::npos);
    CHECK(text.out.find("\nConditions:\n  TYPE ") != std::string::npos);
    CHECK(text.out.find("\nPods:\n  NAME ") != std::string::npos);
    CHECK(text.out.find("   Failed   kq-node   0          ") != std::string::npos);
    CHECK(text.out.find("main: terminated (Error, exit code 3)\n") != std::string::npos);
    CHECK(text.out.find("\nEvents:\n  TYPE      REASON") != std::string::npos);
    CHECK(text.out.find("BackoffLimitExceeded   ") != std::string::npos);
}

TEST_CASE("a Job past its activeDeadlineSeconds: DeadlineExceeded") {
    TestNamespace ns("kq-status-deadline");
    auto admin = cluster_client("admin");
    TestJob slow = running("slow", "slow");
    slow.active_deadline_seconds = 2;
    // The Job controller deletes the pod at the deadline. If its status write then loses a race (seen
    // under ASan load), the next sync counts that pod as failed and checks the backoff limit before
    // the deadline: with the fixtures' limit 0 the Job ends BackoffLimitExceeded. Room for retries
    // keeps the deadline the only way this Job can end.
    slow.backoff_limit = 6;
    create_jobs(*admin, ns.name(), {slow});
    wait_finished(*admin, ns.name(), {"slow"});
    const nlohmann::json document = status_when(
        ns.name(), "slow", [](const nlohmann::json& doc) { return has_event(doc, "DeadlineExceeded"); });
    CHECK(document["job"]["status"] == "Failed");
    CHECK(document["job"]["reason"] == "DeadlineExceeded");
    const Run text = run_kq({"status", "slow", "-n", ns.name()});
    CHECK(text.out.find("\nReason:        DeadlineExceeded\n") != std::string::npos);
}

TEST_CASE("an OOMKilled container shows its reason and exit code 137") {
    TestNamespace ns("kq-status-oom");
    auto admin = cluster_client("admin");
    TestJob hungry = failing("hungry", "hungry", 137);
    hungry.annotations["kq.test/reason"] = "OOMKilled";
    create_jobs(*admin, ns.name(), {hungry});
    wait_finished(*admin, ns.name(), {"hungry"});
    const Run json = run_kq({"status", "hungry", "-n", ns.name(), "-o", "json"});
    REQUIRE(json.status == 0);
    const nlohmann::json document = nlohmann::json::parse(json.out);
    REQUIRE(document["pods"].size() == 1);
    CHECK(document["pods"][0]["containers"][0]["reason"] == "OOMKilled");
    CHECK(document["pods"][0]["containers"][0]["exitCode"] == 137);
    const Run text = run_kq({"status", "hungry", "-n", ns.name()});
    CHECK(text.out.find("main: terminated (OOMKilled, exit code 137)\n") != std::string::npos);
}

TEST_CASE("--job describes the newest Job of a definition; missing Jobs are errors") {
    TestNamespace ns("kq-status-job");
    auto admin = cluster_client("admin");
    TestJob first = running("nightly-1", "nightly");
    first.suspend = true;
    create_jobs(*admin, ns.name(), {first});
    // Creation times have one-second resolution; the second Job must be newer by them, not by name.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    TestJob second = running("nightly-0", "nightly");
    second.suspend = true;
    create_jobs(*admin, ns.name(), {second});

    const Run newest = run_kq({"status", "--job", "nightly", "-n", ns.name()});
    REQUIRE_MESSAGE(newest.status == 0, newest.err);
    CHECK(lines_of(newest.out).at(0) == "Name:          nightly-0");
    CHECK(lines_of(newest.out).at(3) == "Status:        Suspended");
    CHECK(newest.out.find("\nPods:  <none>\n") != std::string::npos);

    const Run missing = run_kq({"status", "nope", "-n", ns.name()});
    CHECK(missing.status == kq::k_exit_cluster);
    CHECK(missing.out.empty());
    CHECK(missing.err == "kq: error: jobs.batch \"nope\" not found\n");

    const Run no_jobs = run_kq({"status", "--job", "weekly", "-n", ns.name()});
    CHECK(no_jobs.status == kq::k_exit_usage);
    CHECK(
        no_jobs.err ==
        fmt::format("kq: error: --job: definition \"weekly\" has no Jobs in namespace \"{}\"\n", ns.name()));
}

TEST_CASE("kq status works with the limited user's rights (jobs, pods and events in its namespace)") {
    auto admin = cluster_client("admin");
    const std::string name = fmt::format("kq-status-limited-{}", std::rand() % 100000);
    create_jobs(*admin, "kq-e2e", {failing(name, "limited", 4)});
    wait_finished(*admin, "kq-e2e", {name});
    const Run run = run_kq({"--context", "limited", "status", name, "-o", "json"});
    admin->remove(
        "/apis/batch/v1/namespaces/kq-e2e/jobs/" + name, {},
        nlohmann::json{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}});
    REQUIRE_MESSAGE(run.status == 0, run.err);
    const nlohmann::json document = nlohmann::json::parse(run.out);
    CHECK(document["job"]["namespace"] == "kq-e2e");
    CHECK(document["pods"][0]["containers"][0]["exitCode"] == 4);
}

TEST_SUITE_END();
