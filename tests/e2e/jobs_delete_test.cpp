// End-to-end: `kq delete` against the test cluster: each way of choosing Jobs, that pods go with
// background propagation and stay with --cascade=orphan, dry runs, not-found handling, and that the
// bulk forms never touch Jobs kq did not make.

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <thread>

using namespace kq::e2e;
using JobNames = std::vector<std::string>;

TEST_SUITE_BEGIN("delete");

TEST_CASE("kq delete NAME deletes the Job and, in the background, its pods") {
    TestNamespace ns("kq-delete");
    auto admin = cluster_client("admin");
    create_jobs(*admin, ns.name(), {running("worker", "worker"), running("keeper", "")});
    wait_running(*admin, ns.name(), "worker");
    wait_running(*admin, ns.name(), "keeper");
    REQUIRE(job_pods(*admin, ns.name(), "worker").size() == 1);

    const Run run = run_kq({"delete", "worker", "-n", ns.name()});
    REQUIRE_MESSAGE(run.status == 0, run.err);
    CHECK(run.out == "job.batch/worker deleted\n");
    CHECK(run.err.empty());
    CHECK_FALSE(job_exists(*admin, ns.name(), "worker"));
    CHECK(
        eventually([&] { return job_pods(*admin, ns.name(), "worker").empty(); }, std::chrono::seconds(30)));

    // By name, any Job goes, kq's or not, as with kubectl.
    const Run other = run_kq({"delete", "keeper", "-n", ns.name()});
    CHECK(other.status == 0);
    CHECK(other.out == "job.batch/keeper deleted\n");
    CHECK(job_names(*admin, ns.name()).empty());
}

TEST_CASE("--cascade=orphan leaves the pods; --dry-run deletes nothing") {
    TestNamespace ns("kq-delete-cascade");
    auto admin = cluster_client("admin");
    create_jobs(*admin, ns.name(), {running("orphaned", "worker"), running("kept", "worker")});
    wait_running(*admin, ns.name(), "orphaned");
    const JobNames pods = job_pods(*admin, ns.name(), "orphaned");
    REQUIRE(pods.size() == 1);

    const Run dry = run_kq({"delete", "orphaned", "kept", "-n", ns.name(), "--dry-run"});
    CHECK(dry.status == 0);
    CHECK(dry.out == "job.batch/orphaned deleted (dry run)\njob.batch/kept deleted (dry run)\n");
    const Run server = run_kq({"delete", "orphaned", "-n", ns.name(), "--dry-run=server"});
    CHECK(server.status == 0);
    CHECK(server.out == "job.batch/orphaned deleted (server dry run)\n");
    const Run bulk_dry = run_kq({"delete", "--all", "-n", ns.name(), "--dry-run"});
    CHECK(bulk_dry.out == "job.batch/kept deleted (dry run)\njob.batch/orphaned deleted (dry run)\n");
    CHECK(job_names(*admin, ns.name()) == JobNames{"kept", "orphaned"});
    const Run dry_missing = run_kq({"delete", "nope", "-n", ns.name(), "--dry-run"});
    CHECK(dry_missing.status == kq::k_exit_cluster);
    CHECK(dry_missing.err == "kq: error: jobs.batch \"nope\" not found\n");

    const Run orphan = run_kq({"delete", "orphaned", "-n", ns.name(), "--cascade", "orphan"});
    REQUIRE_MESSAGE(orphan.status == 0, orphan.err);
    CHECK(orphan.out == "job.batch/orphaned deleted\n");
    // The Job keeps the orphan finalizer until the garbage collector has let go of its pods.
    CHECK(eventually([&] { return !job_exists(*admin, ns.name(), "orphaned"); }, std::chrono::seconds(30)));
    // The garbage collector frees the pod of its owner instead of deleting it.
    const std::string pod_path = fmt::format("/api/v1/namespaces/{}/pods/{}", ns.name(), pods[0]);
    CHECK(eventually([&] { return !admin->get(pod_path)["metadata"].contains("ownerReferences"); },
                     std::chrono::seconds(30)));
    std::this_thread::sleep_for(std::chrono::seconds(2));
    CHECK(admin->get(pod_path)["metadata"].value("deletionTimestamp", "").empty());
}

TEST_CASE("a missing Job is an error unless --ignore-not-found; the others are still deleted") {
    TestNamespace ns("kq-delete-missing");
    auto admin = cluster_client("admin");
    TestJob idle = running("idle", "worker");
    idle.suspend = true;
    create_jobs(*admin, ns.name(), {idle});

    const Run missing = run_kq({"delete", "nope", "-n", ns.name()});
    CHECK(missing.status == kq::k_exit_cluster);
    CHECK(missing.out.empty());
    CHECK(missing.err == "kq: error: jobs.batch \"nope\" not found\n");

    const Run ignored = run_kq({"delete", "nope", "-n", ns.name(), "--ignore-not-found"});
    CHECK(ignored.status == 0);
    CHECK(ignored.out.empty());
    CHECK(ignored.err.empty());

    const Run mixed = run_kq({"delete", "nope", "idle", "gone", "-n", ns.name()});
    CHECK(mixed.status == kq::k_exit_cluster);
    CHECK(mixed.out == "job.batch/idle deleted\n");
    CHECK(mixed.err == "kq: error: jobs.batch \"nope\" not found; jobs.batch \"gone\" not found\n");
    CHECK(job_names(*admin, ns.name()).empty());

    const Run many = run_kq({"delete", "a", "b", "c", "d", "e", "-n", ns.name()});
    CHECK(many.status == kq::k_exit_cluster);
    CHECK(many.err ==
          "kq: error: jobs.batch \"a\" not found; jobs.batch \"b\" not found; jobs.batch \"c\" not found; "
          "and 2 more errors\n");
}

TEST_CASE("the bulk forms delete only kq's Jobs: --status, --older-than, -l, --job, --all") {
    TestNamespace ns("kq-delete-bulk");
    auto admin = cluster_client("admin");
    TestJob labelled = succeeding("alpha-gold", "alpha");
    labelled.labels["tier"] = "gold";
    create_jobs(*admin, ns.name(),
                {succeeding("alpha-ok", "alpha"), labelled, failing("alpha-bad", "alpha"),
                 failing("beta-bad", "beta"), running("beta-long", "beta"), failing("foreign-bad", ""),
                 succeeding("foreign-ok", "")});
    wait_finished(*admin, ns.name(),
                  {"alpha-ok", "alpha-gold", "alpha-bad", "beta-bad", "foreign-bad", "foreign-ok"});
    auto remaining = [&] { return job_names(*admin, ns.name()); };

    const Run young = run_kq({"delete", "--older-than", "1h", "-n", ns.name()});
    CHECK(young.status == 0);
    CHECK(young.out.empty());
    CHECK(young.err == "No resources found\n");

    const Run failed = run_kq({"delete", "--status", "failed", "-n", ns.name()});
    REQUIRE_MESSAGE(failed.status == 0, failed.err);
    CHECK(failed.out == "job.batch/alpha-bad deleted\njob.batch/beta-bad deleted\n");
    CHECK(remaining() == JobNames{"alpha-gold", "alpha-ok", "beta-long", "foreign-bad", "foreign-ok"});

    const Run selected = run_kq({"delete", "-l", "tier=gold", "--status", "succeeded", "-n", ns.name()});
    CHECK(selected.out == "job.batch/alpha-gold deleted\n");

    const Run newest = run_kq({"delete", "--job", "beta", "--status", "finished", "-n", ns.name()});
    CHECK(newest.status == 0);
    CHECK(newest.err == "No resources found\n"); // beta's only Job left is still running
    const Run newest_any = run_kq({"delete", "--job", "beta", "-n", ns.name()});
    CHECK(newest_any.out == "job.batch/beta-long deleted\n");

    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const Run old = run_kq({"delete", "--older-than", "1s", "--status", "finished", "-n", ns.name()});
    CHECK(old.out == "job.batch/alpha-ok deleted\n");
    CHECK(remaining() == JobNames{"foreign-bad", "foreign-ok"});

    const Run all = run_kq({"delete", "--all", "-n", ns.name()});
    CHECK(all.status == 0);
    CHECK(all.err == "No resources found\n");
    CHECK(remaining() == JobNames{"foreign-bad", "foreign-ok"});
}

TEST_CASE("--all deletes many Jobs concurrently and prints them in order") {
    TestNamespace ns("kq-delete-many");
    auto admin = cluster_client("admin");
    std::vector<TestJob> jobs;
    std::string expected;
    for (int i = 0; i < 100; ++i) {
        TestJob job{.name = fmt::format("many-{:03}", i), .definition = "many"};
        job.suspend = true;
        jobs.push_back(job);
        expected += fmt::format("job.batch/many-{:03} deleted\n", i);
    }
    create_jobs(*admin, ns.name(), jobs);
    const auto started = std::chrono::steady_clock::now();
    const Run all = run_kq({"delete", "--all", "-n", ns.name()}, {{"KQ_LIST_PAGE_SIZE", "30"}});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    REQUIRE_MESSAGE(all.status == 0, all.err);
    CHECK(all.out == expected);
    CHECK(job_names(*admin, ns.name()).empty());
    MESSAGE(fmt::format("kq delete --all of 100 Jobs took {:.2f}s", seconds));
}

TEST_SUITE_END();
