// End-to-end: schedules (CronJobs) against the test cluster: kq apply (created, unchanged,
// configured, --prune of this project's only), kq diff's exit codes, kq trigger's exit code, kq
// suspend|resume --schedule, kq schedules, the real CronJob controller firing `* * * * *` with Forbid,
// and bad schedules refused with nothing applied.

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <set>
#include <thread>

using namespace kq::e2e;

namespace {

// A project folder of its own with a kq.yaml; `kq` runs it with -f.
struct ScheduleScene {
    TestNamespace ns{"kq-sched"};
    TempDir dir;
    std::string file = dir.file("kq.yaml");
    std::unique_ptr<kq::kube::Client> admin = cluster_client("admin");

    void write(const std::string& jobs, const std::string& name = "nightly-reports") const {
        write_file(file,
                   fmt::format("version: 1\nname: {}\nnamespace: {}\njobs:\n{}", name, ns.name(), jobs));
    }

    Run kq(std::vector<std::string> args) const {
        args.insert(args.begin(), {"-f", file});
        return run_kq(args);
    }

    // The names of the namespace's CronJobs.
    std::set<std::string> cronjobs() const {
        std::set<std::string> names;
        const nlohmann::json list = admin->get("/apis/batch/v1/namespaces/" + ns.name() + "/cronjobs");
        for (const nlohmann::json& item : list["items"])
            names.insert(item["metadata"]["name"].get<std::string>());
        return names;
    }

    // The namespace's Jobs made by the CronJob `name` (by its kq.dev/schedule label).
    std::vector<nlohmann::json> jobs_of(const std::string& name) const {
        const nlohmann::json list = admin->get("/apis/batch/v1/namespaces/" + ns.name() + "/jobs",
                                               {{"labelSelector", "kq.dev/schedule=" + name}});
        return list["items"].get<std::vector<nlohmann::json>>();
    }
};

// The cells of the table row that starts with `first` (cells are two or more spaces apart).
std::vector<std::string> row_cells(const std::string& table, const std::string& first) {
    std::size_t start = 0;
    while (start < table.size()) {
        const std::size_t end = table.find('\n', start);
        const std::string line =
            table.substr(start, end == std::string::npos ? std::string::npos : end - start);
        start = end == std::string::npos ? table.size() : end + 1;
        std::vector<std::string> cells;
        std::size_t at = 0;
        while (at < line.size()) {
            std::size_t gap = line.find("  ", at);
            if (gap == std::string::npos) gap = line.size();
            cells.push_back(line.substr(at, gap - at));
            at = line.find_first_not_of(' ', gap);
            if (at == std::string::npos) break;
        }
        if (!cells.empty() && cells[0].rfind(first, 0) == 0) return cells;
    }
    return {};
}

constexpr const char* k_report_job = R"(  report:
    image: busybox
    command: [echo, "{{ params.region }}"]
    params:
      region: {required: true}
    schedule:
      cron: "0 3 * * *"
      timeZone: Europe/Berlin
      successfulJobsHistoryLimit: 2
      params: {region: eu}
)";

} // namespace

TEST_SUITE_BEGIN("schedules");

TEST_CASE("apply creates, then is unchanged; a changed definition is configured; diff exits 1, then 0") {
    ScheduleScene scene;
    scene.write(k_report_job);

    Run diff = scene.kq({"diff"});
    CHECK_MESSAGE(diff.status == 1, diff.err);
    CHECK(diff.out.find("+  name: report") != std::string::npos);

    Run apply = scene.kq({"apply"});
    REQUIRE_MESSAGE(apply.status == 0, apply.err);
    CHECK(apply.out == "cronjob.batch/report created\n");
    const nlohmann::json cronjob =
        scene.admin->get("/apis/batch/v1/namespaces/" + scene.ns.name() + "/cronjobs/report");
    CHECK(cronjob["spec"]["schedule"] == "0 3 * * *");
    CHECK(cronjob["spec"]["timeZone"] == "Europe/Berlin");
    CHECK(cronjob["spec"]["concurrencyPolicy"] == "Forbid");
    CHECK(cronjob["metadata"]["labels"]["kq.dev/project"] == "nightly-reports");
    const nlohmann::json& template_labels = cronjob["spec"]["jobTemplate"]["metadata"]["labels"];
    CHECK(template_labels["app.kubernetes.io/managed-by"] == "kq");
    CHECK(template_labels["kq.dev/definition"] == "report");
    CHECK(template_labels["kq.dev/schedule"] == "report");
    CHECK(cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"] ==
          nlohmann::json::array({"echo", "eu"}));
    bool managed_by_kq = false;
    for (const nlohmann::json& entry : cronjob["metadata"]["managedFields"])
        managed_by_kq = managed_by_kq || (entry["manager"] == "kq" && entry["operation"] == "Apply");
    CHECK(managed_by_kq);

    diff = scene.kq({"diff"});
    CHECK_MESSAGE(diff.status == 0, diff.out << diff.err);
    CHECK(diff.out.empty());
    apply = scene.kq({"apply", "report"});
    CHECK(apply.out == "cronjob.batch/report unchanged\n");

    std::string changed = k_report_job;
    changed.replace(changed.find("successfulJobsHistoryLimit: 2"), 29, "successfulJobsHistoryLimit: 5");
    scene.write(changed);
    diff = scene.kq({"diff", "report"});
    CHECK(diff.status == 1);
    CHECK(diff.out.find("-  successfulJobsHistoryLimit: 2\n+  successfulJobsHistoryLimit: 5") !=
          std::string::npos);
    apply = scene.kq({"apply", "--dry-run=server"});
    CHECK(apply.out == "cronjob.batch/report configured (server dry run)\n");
    apply = scene.kq({"apply"});
    CHECK(apply.out == "cronjob.batch/report configured\n");
    CHECK(scene.admin->get("/apis/batch/v1/namespaces/" + scene.ns.name() +
                           "/cronjobs/report")["spec"]["successfulJobsHistoryLimit"] == 5);
    CHECK(scene.kq({"diff"}).status == 0);

    // A job without a schedule can't be applied, and says so.
    scene.write(std::string(k_report_job) + "  plain:\n    image: busybox\n");
    apply = scene.kq({"apply", "plain"});
    CHECK(apply.status == 125);
    CHECK(apply.err.find("job \"plain\" has no schedule") != std::string::npos);
}

TEST_CASE("apply --prune deletes only this project's CronJobs whose definition is gone or unscheduled") {
    ScheduleScene scene;
    const std::string two = std::string(k_report_job) + R"(  cleanup:
    image: busybox
    schedule: "@hourly"
  vacuum:
    image: busybox
    schedule: "@daily"
)";
    scene.write(two);
    REQUIRE(scene.kq({"apply"}).status == 0);
    // Another project's CronJob in the same namespace, and one kq did not make.
    TempDir other_dir;
    write_file(other_dir.file("kq.yaml"),
               fmt::format("version: 1\nname: other-team\nnamespace: {}\njobs:\n"
                           "  theirs:\n    image: busybox\n    schedule: \"@daily\"\n",
                           scene.ns.name()));
    REQUIRE(run_kq({"-f", other_dir.file("kq.yaml"), "apply"}).status == 0);
    nlohmann::json unrelated = {
        {"apiVersion", "batch/v1"},
        {"kind", "CronJob"},
        {"metadata", {{"name", "unrelated"}}},
        {"spec",
         {{"schedule", "@daily"},
          {"jobTemplate",
           {{"spec",
             {{"template",
               {{"spec",
                 {{"restartPolicy", "Never"},
                  {"containers", nlohmann::json::array({{{"name", "c"}, {"image", "busybox"}}})}}}}}}}}}}}};
    scene.admin->create("/apis/batch/v1/namespaces/" + scene.ns.name() + "/cronjobs", unrelated);
    REQUIRE(scene.cronjobs() == std::set<std::string>{"cleanup", "report", "theirs", "unrelated", "vacuum"});

    // cleanup is gone from the file; vacuum is no longer scheduled.
    scene.write(std::string(k_report_job) + "  vacuum:\n    image: busybox\n");
    Run prune = scene.kq({"apply", "--prune", "--dry-run=server"});
    CHECK(prune.out == "cronjob.batch/report unchanged (server dry run)\n"
                       "cronjob.batch/cleanup pruned (server dry run)\n"
                       "cronjob.batch/vacuum pruned (server dry run)\n");
    CHECK(scene.cronjobs().size() == 5);
    prune = scene.kq({"apply", "--prune"});
    CHECK_MESSAGE(prune.status == 0, prune.err);
    CHECK(prune.out == "cronjob.batch/report unchanged\n"
                       "cronjob.batch/cleanup pruned\n"
                       "cronjob.batch/vacuum pruned\n");
    CHECK(scene.cronjobs() == std::set<std::string>{"report", "theirs", "unrelated"});

    const Run refused = scene.kq({"apply", "report", "--prune"});
    CHECK(refused.status == 125);
    CHECK(refused.err == "kq: error: --prune: prunes against the whole project file; leave out the JOB "
                         "arguments\n");
}

TEST_CASE("trigger runs the CronJob's template now and exits with the container's code") {
    ScheduleScene scene;
    scene.write(R"(  crunch:
    image: busybox
    backoffLimit: 0
    annotations: {kq.test/exit-code: "3", kq.test/log: "crunching"}
    schedule: "0 0 1 1 *"
)");
    Run trigger = scene.kq({"trigger", "crunch", "--wait"});
    CHECK(trigger.status == 123);
    CHECK(trigger.err.find("cronjobs.batch \"crunch\" not found; create it with kq apply crunch") !=
          std::string::npos);

    REQUIRE(scene.kq({"apply"}).status == 0);
    trigger = scene.kq({"trigger", "crunch", "--logs"});
    CHECK_MESSAGE(trigger.status == 3, trigger.err);
    CHECK(trigger.out.find("crunching") != std::string::npos);
    CHECK(trigger.err.find("job.batch/crunch-manual-") != std::string::npos);

    const std::vector<nlohmann::json> made = scene.jobs_of("crunch");
    REQUIRE(made.size() == 1);
    const nlohmann::json& job = made.front();
    CHECK(job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual");
    REQUIRE(job["metadata"]["ownerReferences"].size() == 1);
    CHECK(job["metadata"]["ownerReferences"][0]["kind"] == "CronJob");
    CHECK(job["metadata"]["ownerReferences"][0]["name"] == "crunch");
    CHECK(job["metadata"]["ownerReferences"][0]["controller"] == true);

    // It is kq's Job: list shows it under its definition and, wide, its schedule.
    const Run list = scene.kq({"list", "crunch", "-n", scene.ns.name(), "-o", "wide", "--no-headers"});
    const std::vector<std::string> listed = row_cells(list.out, "crunch-manual-");
    REQUIRE(listed.size() == 10); // ... REASON QUEUE IMAGES SCHEDULE
    CHECK(listed[1] == "crunch");
    CHECK(listed[2] == "Failed");
    CHECK(listed[7] == "<none>");
    CHECK(listed[9] == "crunch");
    const std::string name = job["metadata"]["name"].get<std::string>();
    const Run status = scene.kq({"status", name, "-n", scene.ns.name()});
    CHECK(status.out.find("Schedule:      crunch\n") != std::string::npos);

    // schedules: the last result is the Job's, suspend stops the next run.
    Run schedules = scene.kq({"schedules", "-n", scene.ns.name(), "--no-headers"});
    const std::vector<std::string> row = row_cells(schedules.out, "crunch");
    REQUIRE(row.size() == 8);
    CHECK(row[1] == "0 0 1 1 *");
    CHECK(row[2] == "False");
    CHECK(row[3] == "0");
    CHECK(row[4] == "<none>");
    CHECK(row[5] == "Failed");
    CHECK(row[6].rfind("in ", 0) == 0);
    CHECK(scene.kq({"suspend", "--schedule", "crunch"}).out == "cronjob.batch/crunch suspended\n");
    CHECK(scene.kq({"suspend", "--schedule", "crunch"}).out ==
          "cronjob.batch/crunch unchanged (already suspended)\n");
    schedules = scene.kq({"schedules", "-n", scene.ns.name(), "-o", "json"});
    CHECK(nlohmann::json::parse(schedules.out)["items"][0]["spec"]["suspend"] == true);
    // apply leaves a suspension it does not own alone.
    CHECK(scene.kq({"apply"}).out == "cronjob.batch/crunch unchanged\n");
    CHECK(scene.kq({"resume", "--schedule", "crunch"}).out == "cronjob.batch/crunch resumed\n");

    // With --idempotency-key a retried trigger (a CI step run again) gets its Job back, and its result.
    const Run keyed = scene.kq({"trigger", "crunch", "--idempotency-key", "ci-42", "-o", "name"});
    REQUIRE_MESSAGE(keyed.status == 0, keyed.err);
    REQUIRE(keyed.out.starts_with("job.batch/crunch-"));
    const std::string keyed_ref = keyed.out.substr(0, keyed.out.size() - 1);
    const Run retried = scene.kq({"trigger", "crunch", "--idempotency-key", "ci-42", "--wait"});
    CHECK(retried.status == 3);
    CHECK(retried.out == keyed_ref + " unchanged\n");
    // A Job of that name the key did not make is not taken for it.
    const std::string keyed_name = keyed_ref.substr(std::string("job.batch/").size());
    REQUIRE(scene.kq({"delete", keyed_name}).status == 0);
    int named = -1; // the name is free once the API server has removed the Job
    for (int attempt = 0; attempt < 100 && named != 0; ++attempt) {
        named = scene.kq({"trigger", "crunch", "--name", keyed_name}).status;
        if (named != 0) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    REQUIRE(named == 0);
    const Run clash = scene.kq({"trigger", "crunch", "--idempotency-key", "ci-42"});
    CHECK(clash.status == 125);
    CHECK(clash.err.find("--idempotency-key: " + keyed_ref + " already exists and was not made") !=
          std::string::npos);
    CHECK(scene.kq({"trigger", "crunch", "--idempotency-key", "k", "--name", "x"}).status == 125);
}

TEST_CASE("trigger --count makes N Jobs and waits for all; --unique refuses beside a running one") {
    ScheduleScene scene;
    scene.write(R"(  crunch:
    image: busybox
    backoffLimit: 0
    params: {code: {default: "0"}}
    annotations: {kq.test/exit-code: "{{ params.code }}", kq.test/run-seconds: "4", kq.test/log: "crunching"}
    schedule: {cron: "0 0 1 1 *", successfulJobsHistoryLimit: 20, failedJobsHistoryLimit: 20}
)"); // the CronJob controller deletes its finished Jobs past the history limits (3 by default)
    REQUIRE(scene.kq({"apply"}).status == 0);
    CHECK(scene.kq({"trigger", "crunch", "--count", "0"}).err ==
          "kq: error: --count: must be at least 1, not 0\n");
    CHECK(scene.kq({"trigger", "crunch", "--count", "2", "--name", "x"}).status == 125);
    CHECK(scene.kq({"trigger", "crunch", "--count", "2", "--unique"}).status == 125);

    // Three Jobs, each printed, all followed: exit 0 once all three succeeded.
    const Run three = scene.kq({"trigger", "crunch", "--count", "3", "--wait"});
    REQUIRE_MESSAGE(three.status == 0, three.err);
    std::size_t lines = 0;
    for (std::size_t at = three.out.find(" created\n"); at != std::string::npos;
         at = three.out.find(" created\n", at + 1))
        ++lines;
    CHECK(lines == 3);
    std::vector<nlohmann::json> made = scene.jobs_of("crunch");
    CHECK(made.size() == 3);
    for (const nlohmann::json& job : made)
        CHECK(job["status"].value("succeeded", 0) == 1);

    // A keyed fan-out names each Job from KEY/N: a retry gets all of them back.
    const Run keyed = scene.kq({"trigger", "crunch", "--count", "2", "--idempotency-key", "batch-7"});
    REQUIRE_MESSAGE(keyed.status == 0, keyed.err);
    const Run again =
        scene.kq({"trigger", "crunch", "--count", "2", "--idempotency-key", "batch-7", "--wait"});
    CHECK_MESSAGE(again.status == 0, again.err);
    CHECK(again.out.find(" unchanged\n") != std::string::npos);
    CHECK(again.out.find(" created\n") == std::string::npos);
    CHECK(scene.jobs_of("crunch").size() == 5);

    // --unique: a trigger beside an unfinished Job of the definition is refused (122) and leaves no Job.
    const Run running = scene.kq({"trigger", "crunch", "-p", "code=0", "-o", "name"});
    REQUIRE_MESSAGE(running.status == 0, running.err);
    const Run refused = scene.kq({"trigger", "crunch", "--unique"});
    CHECK_MESSAGE(refused.status == 122, refused.err);
    CHECK(refused.err.find("already has an active Job") != std::string::npos);
    CHECK(scene.jobs_of("crunch").size() == 6);
    // Once it finished, --unique runs, and exits with the container's code.
    REQUIRE(scene.kq({"wait", running.out.substr(std::string("job.batch/").size(), running.out.size() - 11)})
                .status == 0);
    const Run alone = scene.kq({"trigger", "crunch", "--unique", "-p", "code=4", "--wait"});
    CHECK_MESSAGE(alone.status == 4, alone.err);
    made = scene.jobs_of("crunch");
    CHECK(made.size() == 7);
    for (const nlohmann::json& job : made)
        CHECK(!job["metadata"]["annotations"].contains("kq.dev/unique-claim"));
}

TEST_CASE("bad schedules: one line with the place, exit 125, nothing applied") {
    ScheduleScene scene;
    struct BadCase {
        const char* jobs;
        const char* error;
    };
    const BadCase cases[] = {
        {"  a:\n    image: busybox\n    schedule: \"61 * * * *\"\n",
         ":7:15: invalid schedule \"61 * * * *\" in job \"a\": minute field \"61\": end of range (61) above "
         "maximum (59)\n"},
        {"  a:\n    image: busybox\n    schedule: {cron: \"@daily\", timeZone: Mars/Olympus}\n",
         ":7:42: invalid schedule.timeZone \"Mars/Olympus\" in job \"a\": unknown time zone \"Mars/Olympus\" "
         "(not in the time-zone database)\n"},
        {"  a:\n    image: busybox\n    schedule: {cron: \"@daily\", failedJobsHistoryLimit: -1}\n",
         ":7:56: invalid schedule.failedJobsHistoryLimit \"-1\" in job \"a\": must be 0 or more\n"},
        {"  a:\n    image: busybox\n    params: {day: {required: true}}\n    schedule: \"@daily\"\n",
         ":8:15: schedule of job \"a\" leaves required param \"day\" unset; set it under schedule.params\n"},
    };
    for (const BadCase& bad : cases) {
        CAPTURE(bad.jobs);
        scene.write(bad.jobs);
        for (const char* command : {"apply", "validate", "diff"}) {
            CAPTURE(command);
            const Run run = scene.kq({command});
            CHECK(run.status == 125);
            const std::string expected = command == std::string("validate")
                                             ? scene.file + bad.error
                                             : "kq: error: " + scene.file + bad.error;
            CHECK(run.err.substr(0, expected.size()) == expected);
        }
    }
    CHECK(scene.cronjobs().empty());
}

TEST_CASE("the CronJob controller runs a schedule's Jobs as kq's; Forbid skips a run while one is active") {
    ScheduleScene scene;
    // tick fires every minute and ends at once; slow outlives the minute, so Forbid must skip its second.
    scene.write(R"(  tick:
    image: busybox
    annotations: {kq.test/log: "tick"}
    schedule: "* * * * *"
  slow:
    image: busybox
    annotations: {kq.test/run-seconds: "200"}
    schedule: {cron: "* * * * *", concurrencyPolicy: Forbid}
)");
    REQUIRE(scene.kq({"apply"}).status == 0);
    // The first run of each, within a minute (and a little).
    REQUIRE(eventually([&] { return !scene.jobs_of("tick").empty() && !scene.jobs_of("slow").empty(); },
                       std::chrono::seconds(90)));
    const Run logs = scene.kq({"logs", "--job", "tick", "-n", scene.ns.name(), "-f"});
    CHECK_MESSAGE(logs.status == 0, logs.err);
    CHECK(logs.out == "tick\n");
    const Run list = scene.kq({"list", "tick", "-n", scene.ns.name(), "--no-headers"});
    const std::vector<std::string> listed = row_cells(list.out, "tick-");
    REQUIRE(listed.size() >= 5); // DURATION is blank while a Job is pending
    CHECK(listed[1] == "tick");

    // Once tick ran twice, a minute boundary passed with slow's first Job still running.
    REQUIRE(eventually([&] { return scene.jobs_of("tick").size() >= 2; }, std::chrono::seconds(90)));
    const std::vector<nlohmann::json> slow = scene.jobs_of("slow");
    CHECK(slow.size() == 1);
    const Run schedules = scene.kq({"schedules", "-n", scene.ns.name(), "-o", "wide"});
    const std::vector<std::string> slow_row = row_cells(schedules.out, "slow");
    REQUIRE(slow_row.size() == 10);
    CHECK(slow_row[1] == "* * * * *");
    CHECK(slow_row[3] == "1"); // ACTIVE: the one Job Forbid keeps alone
    CHECK(slow_row[4] != "<none>");
    const std::vector<std::string> tick_row = row_cells(schedules.out, "tick");
    REQUIRE(tick_row.size() == 10);
    CHECK(tick_row[5] == "Complete");
}

TEST_SUITE_END();
