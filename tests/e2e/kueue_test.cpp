// End-to-end: Jobs submitted to Kueue queues (--queue, the `queue` key) against the real Kueue manager
// (v0.17.0) beside the real control plane (`kq-cluster up --with kueue`, the ctest fixture
// cluster_kueue). Each test makes its own namespace, ClusterQueue and LocalQueue, so that its quota is
// its own.

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

using namespace kq::e2e;

namespace {

constexpr const char* k_queue_project = R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
  resources:
    requests: {cpu: "1", memory: 64Mi}
jobs:
  work:
    annotations: {kq.test/run-seconds: "3", kq.test/log: "working"}
  exit7:
    annotations: {kq.test/run-seconds: "1", kq.test/exit-code: "7", kq.test/log: "about to fail"}
  long:
    annotations: {kq.test/run-seconds: "8", kq.test/log: "long one"}
  hold:
    annotations: {kq.test/run-seconds: "40", kq.test/log: "holding the quota"}
  slow-low:
    annotations: {kq.test/run-seconds: "12", kq.test/log: "low priority work"}
  urgent:
    annotations: {kq.test/run-seconds: "2", kq.test/log: "urgent work"}
  from-key:
    queue: QUEUE
    annotations: {kq.test/run-seconds: "1", kq.test/log: "queued by the key"}
  nightly:
    schedule: "0 3 * * *"
    annotations: {kq.test/run-seconds: "1", kq.test/log: "nightly run"}
)";

using KueueClock = std::chrono::steady_clock;

// The Job of `jobs` named `name`, or null.
nlohmann::json job_named(const nlohmann::json& jobs, const std::string& name) {
    for (const nlohmann::json& job : jobs) {
        if (job["metadata"]["name"] == name) return job;
    }
    return nullptr;
}

// The Jobs of `jobs` labelled kq.dev/rerun-of=`old`.
std::vector<nlohmann::json> reruns_of(const nlohmann::json& jobs, const std::string& old) {
    std::vector<nlohmann::json> found;
    for (const nlohmann::json& job : jobs) {
        if (job["metadata"].value("labels", nlohmann::json::object()).value("kq.dev/rerun-of", "") == old)
            found.push_back(job);
    }
    return found;
}

// Creates a cluster-scoped or namespaced Kueue object as the admin.
void create_kueue_object(const std::string& path, const nlohmann::json& body) {
    auto client = cluster_client("admin");
    kq::kube::ApiRequest request;
    request.method = "POST";
    request.path = path;
    request.body = body;
    client->call(std::move(request));
}

// Deletes a cluster-scoped Kueue object; a missing one is fine.
void delete_kueue_object(const std::string& path) {
    try {
        cluster_client("admin")->remove(path);
    } catch (const kq::Error&) {
    }
}

// A namespace with a LocalQueue of its own, backed by a ClusterQueue of its own with `cpus` CPUs.
struct QueueScene {
    TempDir dir;
    TestNamespace ns{"kq-kueue"};
    std::string file;
    std::string cluster_queue;
    std::string queue = "work-queue";
    std::vector<std::string> priority_classes;

    explicit QueueScene(int cpus, bool preempt_lower = false) : file(dir.file("kq.yaml")) {
        std::string project = k_queue_project;
        project.replace(project.find("QUEUE"), 5, queue);
        write_file(file, project);
        cluster_queue = ns.name() + "-cq";
        nlohmann::json spec = {
            {"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", ns.name()}}}}},
            {"resourceGroups",
             {{{"coveredResources", {"cpu", "memory"}},
               {"flavors",
                {{{"name", "kq-flavor"},
                  {"resources",
                   {{{"name", "cpu"}, {"nominalQuota", std::to_string(cpus)}},
                    {{"name", "memory"}, {"nominalQuota", "4Gi"}}}}}}}}}}};
        if (preempt_lower) spec["preemption"] = {{"withinClusterQueue", "LowerPriority"}};
        create_kueue_object("/apis/kueue.x-k8s.io/v1beta2/clusterqueues",
                            {{"apiVersion", "kueue.x-k8s.io/v1beta2"},
                             {"kind", "ClusterQueue"},
                             {"metadata", {{"name", cluster_queue}}},
                             {"spec", spec}});
        create_kueue_object(fmt::format("/apis/kueue.x-k8s.io/v1beta2/namespaces/{}/localqueues", ns.name()),
                            {{"apiVersion", "kueue.x-k8s.io/v1beta2"},
                             {"kind", "LocalQueue"},
                             {"metadata", {{"name", queue}}},
                             {"spec", {{"clusterQueue", cluster_queue}}}});
        wait_active();
    }

    ~QueueScene() {
        delete_kueue_object("/apis/kueue.x-k8s.io/v1beta2/clusterqueues/" + cluster_queue);
        for (const std::string& name : priority_classes)
            delete_kueue_object("/apis/kueue.x-k8s.io/v1beta2/workloadpriorityclasses/" + name);
    }

    QueueScene(const QueueScene&) = delete;
    QueueScene& operator=(const QueueScene&) = delete;

    // A WorkloadPriorityClass of this test, named after its namespace.
    std::string priority_class(const std::string& suffix, int value) {
        const std::string name = ns.name() + "-" + suffix;
        create_kueue_object("/apis/kueue.x-k8s.io/v1beta2/workloadpriorityclasses",
                            {{"apiVersion", "kueue.x-k8s.io/v1beta2"},
                             {"kind", "WorkloadPriorityClass"},
                             {"metadata", {{"name", name}}},
                             {"value", value}});
        priority_classes.push_back(name);
        return name;
    }

    // Waits until Kueue says the LocalQueue takes work.
    void wait_active() const {
        auto client = cluster_client("admin");
        const auto until = KueueClock::now() + std::chrono::seconds(60);
        while (KueueClock::now() < until) {
            const nlohmann::json object = client->get(
                fmt::format("/apis/kueue.x-k8s.io/v1beta2/namespaces/{}/localqueues/{}", ns.name(), queue));
            for (const nlohmann::json& condition : object.value("status", nlohmann::json::object())
                                                       .value("conditions", nlohmann::json::array())) {
                if (condition.value("type", "") == "Active" && condition.value("status", "") == "True")
                    return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        FAIL("LocalQueue ", queue, " did not become Active");
    }

    Run kq(std::vector<std::string> args) const {
        std::vector<std::string> full = {"-f", file, "-n", ns.name()};
        full.insert(full.end(), args.begin(), args.end());
        return run_kq(full);
    }

    // The namespace's Jobs, through the cluster's kubectl (as a user would sample them).
    nlohmann::json jobs() const {
        const Run got = run_program({cluster_kubectl(), "--kubeconfig", cluster_kubeconfig(), "--context",
                                     "admin", "-n", ns.name(), "get", "jobs", "-o", "json"});
        REQUIRE(got.status == 0);
        return nlohmann::json::parse(got.out)["items"];
    }
};

bool finished(const nlohmann::json& job) {
    for (const nlohmann::json& condition :
         job.value("status", nlohmann::json::object()).value("conditions", nlohmann::json::array())) {
        const std::string type = condition.value("type", "");
        if ((type == "Complete" || type == "Failed") && condition.value("status", "") == "True") return true;
    }
    return false;
}

bool unsuspended(const nlohmann::json& job) { return !job["spec"].value("suspend", false); }

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_SUITE("kueue") {

    TEST_CASE("--max-active 2 into a queue with quota for 1: a queued Job counts as unfinished; all 3 run") {
        QueueScene scene(1);
        const Run submit =
            scene.kq({"submit", "work", "--count", "3", "--max-active", "2", "--queue", scene.queue});
        INFO(submit.err);
        CHECK(submit.status == 0);
        CHECK(lines_of(submit.out).size() == 3);
        CHECK(contains(submit.err, "kq: submitted 3 of 3 Jobs in "));
        const nlohmann::json jobs = scene.jobs();
        CHECK(jobs.size() == 3);
        for (const nlohmann::json& job : jobs)
            CHECK(finished(job));
    }

    TEST_CASE("quota for 2 Jobs: of 6 submitted to the queue at most 2 run at once, the rest show Queued") {
        QueueScene scene(2);
        const Run submit = scene.kq({"submit", "work", "--count", "6", "--queue", scene.queue});
        REQUIRE(submit.status == 0);
        CHECK(lines_of(submit.out).size() == 6);

        // Created suspended, with Kueue's label; Kueue admits two.
        const Run list = scene.kq({"list"});
        REQUIRE(list.status == 0);
        const auto rows = lines_of(list.out);
        REQUIRE(rows.size() == 7);
        const auto queued = std::count_if(rows.begin(), rows.end(), [&](const std::string& row) {
            return contains(row, " Queued:" + scene.queue + " ");
        });
        CHECK(queued >= 4);
        const Run wide = scene.kq({"list", "-o", "wide"});
        CHECK(contains(lines_of(wide.out).front(), " QUEUE "));

        // Sampled until all six finish: never more than two unsuspended and unfinished.
        int most = 0;
        std::size_t done = 0;
        const auto until = KueueClock::now() + std::chrono::seconds(150);
        while (KueueClock::now() < until) {
            const nlohmann::json jobs = scene.jobs();
            int running = 0;
            done = 0;
            for (const nlohmann::json& job : jobs) {
                CHECK(job["metadata"]["labels"].value("kueue.x-k8s.io/queue-name", "") == scene.queue);
                if (finished(job)) {
                    ++done;
                } else if (unsuspended(job)) {
                    ++running;
                }
            }
            most = std::max(most, running);
            if (done == 6) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        CHECK(done == 6);
        CHECK(most <= 2);
        CHECK(most >= 1);
        const Run wait = scene.kq({"wait", "--job", "work"});
        CHECK(wait.status == 0);

        const Run queues = scene.kq({"queues", "-o", "json"});
        REQUIRE(queues.status == 0);
        const nlohmann::json items = nlohmann::json::parse(queues.out)["items"];
        REQUIRE(items.size() == 1);
        CHECK(items[0]["name"] == scene.queue);
        CHECK(items[0]["clusterQueue"] == scene.cluster_queue);
        CHECK(items[0]["active"] == true);
        CHECK(items[0]["pending"] == 0);
    }

    TEST_CASE("kq run of a queued Job waits for admission, then exits with its container's code") {
        QueueScene scene(1);
        // The blocker holds the only CPU for about 8 s.
        REQUIRE(scene.kq({"submit", "long", "--queue", scene.queue, "--name", "blocker"}).status == 0);
        const Run status = scene.kq({"status", "blocker", "-o", "json"});
        REQUIRE(status.status == 0);
        CHECK(nlohmann::json::parse(status.out)["queue"]["name"] == scene.queue);

        // Queued behind it for several seconds; the queue time does not count against --timeout 6s.
        const auto started = KueueClock::now();
        const Run run =
            scene.kq({"run", "exit7", "--queue", scene.queue, "--name", "exit7-a", "--timeout", "6s"});
        const auto took = KueueClock::now() - started;
        CHECK(run.status == 7);
        CHECK(contains(run.err, "job.batch/exit7-a is queued in " + scene.queue));
        CHECK(contains(run.err, "job.batch/exit7-a was admitted by Kueue from queue " + scene.queue));
        CHECK(contains(run.out, "about to fail"));
        CHECK(took > std::chrono::seconds(4)); // it did wait behind the blocker

        // With the queue time counted, the same wait runs out of time while queued.
        REQUIRE(scene.kq({"submit", "long", "--queue", scene.queue, "--name", "blocker-2"}).status == 0);
        const Run counted = scene.kq({"run", "exit7", "--queue", scene.queue, "--name", "exit7-b",
                                      "--timeout", "2s", "--timeout-includes-queue"});
        CHECK(counted.status == 124);
        CHECK(contains(counted.err, "timed out after 2s waiting for job.batch/exit7-b (Queued)"));
    }

    TEST_CASE("kq status shows the Workload's conditions and Kueue's reason for the wait") {
        QueueScene scene(1);
        REQUIRE(scene.kq({"submit", "long", "--queue", scene.queue, "--name", "first"}).status == 0);
        REQUIRE(scene.kq({"submit", "long", "--queue", scene.queue, "--name", "second"}).status == 0);
        // Kueue reserves quota for one; the other waits with "insufficient unused quota".
        std::string text;
        const auto until = KueueClock::now() + std::chrono::seconds(30);
        while (KueueClock::now() < until) {
            text = scene.kq({"status", "second"}).out;
            // The condition and the Workload's event are written separately; wait for both.
            if (contains(text, "insufficient unused quota") && contains(text, "workload/job-second-")) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        CHECK(contains(text, "\nStatus:        Queued\n"));
        CHECK(contains(text, "\nQueue:         " + scene.queue + " (Kueue workload job-second-"));
        CHECK(contains(text, "\nWorkload Conditions:\n  TYPE "));
        CHECK(contains(text, "QuotaReserved   False    Pending"));
        CHECK(contains(text, "insufficient unused quota for cpu in flavor kq-flavor"));
        CHECK(contains(text, "workload/job-second-"));
    }

    TEST_CASE("kq status shows a waiting Job's queue position, as Kueue's visibility API gives it") {
        // Quota for 2 Jobs that run 40s. Of 5 in the scene's LocalQueue, 3 wait; then 2 more wait in a
        // second LocalQueue of the same ClusterQueue, behind them there but first in their own queue.
        QueueScene scene(2);
        const std::string other = "other-queue";
        create_kueue_object(
            fmt::format("/apis/kueue.x-k8s.io/v1beta2/namespaces/{}/localqueues", scene.ns.name()),
            {{"apiVersion", "kueue.x-k8s.io/v1beta2"},
             {"kind", "LocalQueue"},
             {"metadata", {{"name", other}}},
             {"spec", {{"clusterQueue", scene.cluster_queue}}}});
        // The LocalQueue's pending Workloads as `kubectl get --raw` shows them; null until Kueue knows it.
        auto pending = [&](const std::string& version, const std::string& queue) {
            const Run got = run_program(
                {cluster_kubectl(), "--kubeconfig", cluster_kubeconfig(), "--context", "admin", "get",
                 "--raw",
                 fmt::format(
                     "/apis/visibility.kueue.x-k8s.io/{}/namespaces/{}/localqueues/{}/pendingworkloads",
                     version, scene.ns.name(), queue)});
            return got.status == 0 ? nlohmann::json::parse(got.out)["items"] : nlohmann::json();
        };
        auto wait_pending = [&](const std::string& queue, std::size_t count) {
            nlohmann::json items;
            const auto until = KueueClock::now() + std::chrono::seconds(30);
            while (KueueClock::now() < until) {
                items = pending("v1beta2", queue);
                if (items.size() == count) break;
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
            }
            REQUIRE(items.size() == count);
            return items;
        };
        REQUIRE(scene.kq({"submit", "hold", "--count", "5", "--queue", scene.queue}).status == 0);
        wait_pending(scene.queue, 3);
        // Kueue orders a ClusterQueue's Workloads by priority, then creation time, which has whole seconds.
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        REQUIRE(scene.kq({"submit", "hold", "--count", "2", "--queue", other}).status == 0);
        wait_pending(other, 2);
        nlohmann::json items = pending("v1beta2", scene.queue);
        for (const nlohmann::json& item : pending("v1beta2", other))
            items.push_back(item);
        REQUIRE(items.size() == 5);
        // Kueue's older version of the API tells the same.
        CHECK(pending("v1beta1", scene.queue) == pending("v1beta2", scene.queue));

        std::vector<std::pair<int, int>> seen;
        int admitted = 0;
        for (const nlohmann::json& job : scene.jobs()) {
            const std::string name = job["metadata"]["name"];
            CAPTURE(name);
            const Run status = scene.kq({"status", name, "-o", "json"});
            REQUIRE(status.status == 0);
            CHECK(status.err.empty());
            const nlohmann::json queue = nlohmann::json::parse(status.out)["queue"];
            const nlohmann::json* item = nullptr;
            for (const nlohmann::json& candidate : items) {
                if (candidate["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"])
                    item = &candidate;
            }
            if (item == nullptr) {
                // Admitted: running, so no position.
                ++admitted;
                CHECK(queue["workload"]["admitted"] == true);
                CHECK(queue["position"].is_null());
                continue;
            }
            // kq counts from 1 where Kueue counts from 0.
            const int in_local_queue = (*item)["positionInLocalQueue"].get<int>() + 1;
            const int in_cluster_queue = (*item)["positionInClusterQueue"].get<int>() + 1;
            CHECK(queue["name"] == (*item)["localQueueName"]);
            CHECK(queue["workload"]["name"] == (*item)["metadata"]["name"]);
            CHECK(queue["position"] == nlohmann::json{{"localQueue", in_local_queue},
                                                      {"clusterQueue", in_cluster_queue},
                                                      {"clusterQueueName", scene.cluster_queue}});
            const Run text = scene.kq({"status", name});
            CHECK(contains(text.out,
                           fmt::format("\nPosition:      {} in LocalQueue {} ({} in ClusterQueue {})\n",
                                       in_local_queue, queue["name"].get<std::string>(), in_cluster_queue,
                                       scene.cluster_queue)));
            seen.emplace_back(in_local_queue, in_cluster_queue);
        }
        CHECK(admitted == 2);
        // The scene's queue holds places 1-3 of the ClusterQueue, the other queue's 2 Jobs 4 and 5.
        std::sort(seen.begin(), seen.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        CHECK(seen == std::vector<std::pair<int, int>>{{1, 1}, {2, 2}, {3, 3}, {1, 4}, {2, 5}});
    }

    TEST_CASE("the Role of examples/rbac is enough for the position (kq-e2e's queue, as the limited user)") {
        // kq-cluster's own LocalQueue kq-queue in kq-e2e, where the limited user holds that Role: 2 CPUs.
        TempDir dir;
        const std::string file = dir.file("kq.yaml");
        std::string project = k_queue_project;
        project.replace(project.find("QUEUE"), 5, "kq-queue");
        write_file(file, project);
        auto limited = [&](std::vector<std::string> args) {
            std::vector<std::string> full = {"--context", "limited", "-f", file, "-n", "kq-e2e"};
            full.insert(full.end(), args.begin(), args.end());
            return run_kq(full);
        };
        const Run submit = limited({"submit", "hold", "--count", "3", "--queue", "kq-queue", "-o", "name"});
        REQUIRE(submit.status == 0);
        std::vector<std::string> names;
        for (const std::string& line : lines_of(submit.out))
            names.push_back(line.substr(line.find('/') + 1));
        REQUIRE(names.size() == 3);
        std::string waiting;
        const auto until = KueueClock::now() + std::chrono::seconds(30);
        while (waiting.empty() && KueueClock::now() < until) {
            for (const std::string& name : names) {
                const Run status = limited({"status", name});
                REQUIRE(status.status == 0);
                if (contains(status.out, "\nPosition:      1 in LocalQueue kq-queue (1 in ClusterQueue "
                                         "kq-cluster-queue)\n"))
                    waiting = name;
            }
            if (waiting.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        CHECK_FALSE(waiting.empty());
        std::vector<std::string> remove = {"delete"};
        remove.insert(remove.end(), names.begin(), names.end());
        CHECK(limited(remove).status == 0);
    }

    TEST_CASE("a missing LocalQueue is refused before anything is created, naming the queues there are") {
        QueueScene scene(1);
        const Run run = scene.kq({"submit", "work", "--queue", "nope"});
        CHECK(run.status == 123);
        CHECK(run.err == fmt::format("kq: error: localqueue.kueue.x-k8s.io \"nope\" not found in namespace "
                                     "\"{}\"; its LocalQueues: {}\n",
                                     scene.ns.name(), scene.queue));
        CHECK(scene.jobs().empty());
        // A bad name is a usage error found before the cluster is asked.
        const Run bad = scene.kq({"submit", "work", "--queue", "Not_A_Name"});
        CHECK(bad.status == 125);
        CHECK(contains(bad.err, "--queue \"Not_A_Name\": invalid LocalQueue name"));
        CHECK(scene.jobs().empty());
    }

    TEST_CASE("the queue key of a definition queues its Jobs; --suspend with a queue is refused") {
        QueueScene scene(1);
        const Run run = scene.kq({"run", "from-key"});
        CHECK(run.status == 0);
        CHECK(contains(run.out, "queued by the key"));
        const nlohmann::json jobs = scene.jobs();
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0]["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == scene.queue);
        const Run suspended = scene.kq({"submit", "from-key", "--suspend"});
        CHECK(suspended.status == 125);
        CHECK(contains(suspended.err, "--suspend: a Job in Kueue queue \"" + scene.queue + "\""));
        CHECK(scene.jobs().size() == 1);
    }

    TEST_CASE("a Job preempted by a higher-priority one is reported, re-queued and followed to its end") {
        QueueScene scene(1, true);
        const std::string low = scene.priority_class("low", 10);
        const std::string high = scene.priority_class("high", 1000);

        Run low_run;
        std::thread runner([&] {
            low_run =
                scene.kq({"run", "slow-low", "--queue", scene.queue, "--priority", low, "--name", "low-1"});
        });
        // Once the low-priority Job runs, the urgent one takes its place.
        bool low_running = false;
        const auto until = KueueClock::now() + std::chrono::seconds(60);
        while (!low_running && KueueClock::now() < until) {
            for (const nlohmann::json& job : scene.jobs()) {
                if (job["metadata"]["name"] == "low-1" && unsuspended(job) &&
                    job.value("status", nlohmann::json::object()).value("active", 0) > 0)
                    low_running = true;
            }
            if (!low_running) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        CHECK(low_running);
        const Run urgent =
            scene.kq({"run", "urgent", "--queue", scene.queue, "--priority", high, "--name", "urgent-1"});
        runner.join();
        const Run workloads =
            run_program({cluster_kubectl(), "--kubeconfig", cluster_kubeconfig(), "--context", "admin", "-n",
                         scene.ns.name(), "get", "workloads", "-o", "yaml"});
        CAPTURE(workloads.out);
        CAPTURE(low_run.err);
        CAPTURE(urgent.err);
        CHECK(urgent.status == 0);
        CHECK(contains(urgent.out, "urgent work"));
        CHECK(low_run.status == 0);
        CHECK(contains(low_run.err, "job.batch/low-1 was evicted by Kueue and waits in queue " + scene.queue +
                                        " again: Preempted to accommodate a workload"));
        CHECK(contains(low_run.out, "low priority work"));
        // The preempted Job's labels carry the priority class, as Kueue reads it.
        for (const nlohmann::json& job : scene.jobs()) {
            if (job["metadata"]["name"] == "low-1")
                CHECK(job["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] == low);
        }
    }

    TEST_CASE("--unique with a queue: the settled claim goes to the queue, suspended, for Kueue to admit") {
        QueueScene scene(1);
        const Run run = scene.kq({"submit", "work", "--queue", scene.queue, "--unique", "--wait"});
        CHECK(run.status == 0);
        const nlohmann::json jobs = scene.jobs();
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0]["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == scene.queue);
        CHECK(!jobs[0]["metadata"]
                   .value("annotations", nlohmann::json::object())
                   .contains("kq.dev/held-queue"));
        CHECK(finished(jobs[0]));
    }

    TEST_CASE("a payload's Job is held out of its queue until the payload is stored, then Kueue admits it") {
        QueueScene scene(1);
        const std::string payload = scene.dir.file("payload.json");
        write_file(payload, R"({"order": 7})");
        const Run run =
            scene.kq({"run", "work", "--queue", scene.queue, "--payload", payload, "--name", "paid"});
        CHECK_MESSAGE(run.status == 0, run.err);
        const nlohmann::json job = job_named(scene.jobs(), "paid");
        REQUIRE(job.is_object());
        CHECK(job["metadata"]["labels"].value("kueue.x-k8s.io/queue-name", "") == scene.queue);
        const nlohmann::json annotations = job["metadata"].value("annotations", nlohmann::json::object());
        CHECK(!annotations.contains("kq.dev/held-queue"));
        CHECK(!annotations.contains("kq.dev/payload-pending"));
        CHECK(annotations.value("kq.dev/payload", "") == "configmap/paid");
        CHECK(finished(job));
        CHECK(scene.kq({"payload", "paid"}).out == R"({"order": 7})");
    }

    TEST_CASE("kq rerun keeps a queued Job's queue and priority; --queue and --priority change them") {
        QueueScene scene(1);
        const std::string low = scene.priority_class("low", 10);
        const Run first =
            scene.kq({"run", "exit7", "--queue", scene.queue, "--priority", low, "--name", "exit7-a"});
        REQUIRE(first.status == 7);

        // A copy goes to the same queue, suspended for Kueue, and is followed to its end.
        const Run again = scene.kq({"rerun", "exit7-a", "--wait"});
        CHECK(again.status == 7);
        std::vector<nlohmann::json> reruns = reruns_of(scene.jobs(), "exit7-a");
        REQUIRE(reruns.size() == 1);
        CHECK(reruns[0]["metadata"]["labels"].value("kueue.x-k8s.io/queue-name", "") == scene.queue);
        CHECK(reruns[0]["metadata"]["labels"].value("kueue.x-k8s.io/priority-class", "") == low);
        CHECK(finished(reruns[0]));
        // Without what Kueue wrote into the old Job's pod template when it admitted it (the name of its
        // Workload, the podset), which Kueue would otherwise take as the copy's Workload.
        const Run planned = scene.kq({"rerun", "exit7-a", "--dry-run", "-o", "json"});
        REQUIRE(planned.status == 0);
        const nlohmann::json copied = nlohmann::json::parse(planned.out)["spec"]["template"]["metadata"];
        CHECK(!copied.value("annotations", nlohmann::json::object()).contains("kueue.x-k8s.io/workload"));
        CHECK(!copied.value("labels", nlohmann::json::object()).contains("kueue.x-k8s.io/podset"));

        // Rendered again from the definition (which names no queue): still the old Job's queue.
        const std::string high = scene.priority_class("high", 1000);
        const Run rendered =
            scene.kq({"rerun", "exit7-a", "--from-definition", "--priority", high, "-o", "json"});
        REQUIRE_MESSAGE(rendered.status == 0, rendered.err);
        const nlohmann::json made = nlohmann::json::parse(rendered.out);
        CHECK(made["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == scene.queue);
        CHECK(made["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] == high);
        CHECK(made["spec"]["suspend"] == true);

        // What cannot work is refused before anything is created.
        const Run missing = scene.kq({"rerun", "exit7-a", "--queue", "nope"});
        CHECK(missing.status == 123);
        CHECK(contains(missing.err, "localqueue.kueue.x-k8s.io \"nope\" not found"));
        const Run suspended = scene.kq({"rerun", "exit7-a", "--suspend"});
        CHECK(suspended.status == 125);
        CHECK(contains(suspended.err, "--suspend: a Job in Kueue queue"));
        const Run bad = scene.kq({"rerun", "exit7-a", "--queue", "Not_A_Name"});
        CHECK(bad.status == 125);
        CHECK(contains(bad.err, "--queue \"Not_A_Name\": invalid LocalQueue name"));
        CHECK(reruns_of(scene.jobs(), "exit7-a").size() == 2);
    }

    TEST_CASE("kq trigger --queue sends a scheduled job's run to a Kueue queue; a missing one is refused") {
        QueueScene scene(1);
        const Run apply = scene.kq({"apply", "nightly"});
        REQUIRE_MESSAGE(apply.status == 0, apply.err);
        const Run run =
            scene.kq({"trigger", "nightly", "--queue", scene.queue, "--name", "nightly-now", "--logs"});
        CHECK_MESSAGE(run.status == 0, run.err);
        CHECK(contains(run.out, "nightly run"));
        const nlohmann::json job = job_named(scene.jobs(), "nightly-now");
        REQUIRE(job.is_object());
        CHECK(job["metadata"]["labels"].value("kueue.x-k8s.io/queue-name", "") == scene.queue);
        CHECK(job["metadata"]["ownerReferences"][0]["kind"] == "CronJob");
        CHECK(finished(job));

        const Run missing = scene.kq({"trigger", "nightly", "--queue", "nope"});
        CHECK(missing.status == 123);
        CHECK(contains(missing.err, "localqueue.kueue.x-k8s.io \"nope\" not found"));
        CHECK(scene.jobs().size() == 1);
    }
}
