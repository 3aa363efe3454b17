// End-to-end: following many Jobs costs a constant number of watches. The API server's /metrics tell
// how many watch requests it holds open (apiserver_longrunning_requests), sampled while kq runs; the
// suite has a control plane of its own (cluster_watch in tests/CMakeLists.txt), since another suite's
// watches would count.

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <future>
#include <set>
#include <sstream>
#include <thread>

using namespace kq::e2e;
using namespace std::chrono_literals;

namespace {

constexpr const char* k_watch_project = R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
jobs:
  talk:
    annotations: {kq.test/log: "first\nsecond", kq.test/run-seconds: "4"}
  idle:
    annotations: {kq.test/run-seconds: "4"}
)";

// How many watch requests of a resource the API server holds open now, over every scope.
long open_watches(const std::string& resource) {
    const Run run = run_program({cluster_kubectl(), "--kubeconfig", cluster_kubeconfig(), "--context",
                                 "admin", "get", "--raw", "/metrics"});
    REQUIRE_MESSAGE(run.status == 0, run.err);
    long sum = 0;
    std::istringstream in(run.out);
    const std::string wanted = fmt::format("resource=\"{}\"", resource);
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("apiserver_longrunning_requests{")) continue;
        const size_t close = line.find('}');
        const std::string series = line.substr(0, close);
        if (series.find(wanted) == std::string::npos || series.find("verb=\"WATCH\"") == std::string::npos)
            continue;
        sum += std::stol(line.substr(close + 2));
    }
    return sum;
}

// The most watches of jobs and of pods the API server held, beyond those it held before, while kq ran
// with `args`; kq's outcome in `run`.
struct WatchPeaks {
    long jobs = 0;
    long pods = 0;
    int samples = 0;
    Run run;
};

WatchPeaks peaks_while(const std::vector<std::string>& args) {
    const long jobs_before = open_watches("jobs");
    const long pods_before = open_watches("pods");
    std::atomic<bool> done{false};
    auto kq = std::async(std::launch::async, [&] {
        Run run = run_kq(args);
        done = true;
        return run;
    });
    WatchPeaks peaks;
    while (!done) {
        peaks.jobs = std::max(peaks.jobs, open_watches("jobs") - jobs_before);
        peaks.pods = std::max(peaks.pods, open_watches("pods") - pods_before);
        ++peaks.samples;
        std::this_thread::sleep_for(200ms);
    }
    peaks.run = kq.get();
    return peaks;
}

} // namespace

TEST_SUITE("watch") {

    TEST_CASE("a 50-Job submit --logs holds one watch of jobs and one of pods; every line once") {
        TempDir dir;
        write_file(dir.file("kq.yaml"), k_watch_project);
        TestNamespace ns("kq-watch");
        const WatchPeaks peaks = peaks_while(
            {"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", "talk", "--count", "50", "--logs"});
        REQUIRE_MESSAGE(peaks.run.status == 0, peaks.run.err);
        MESSAGE("submit --count 50 --logs: ", peaks.samples, " samples, peak watches jobs ", peaks.jobs,
                ", pods ", peaks.pods);
        CHECK(peaks.samples >= 5);
        CHECK(peaks.jobs >= 1);
        CHECK(peaks.jobs <= 1);
        CHECK(peaks.pods >= 1);
        CHECK(peaks.pods <= 1);
        size_t first = 0;
        size_t second = 0;
        std::set<std::string> pods;
        for (const std::string& line : lines_of(peaks.run.out)) {
            if (line.ends_with(" first")) ++first;
            if (line.ends_with(" second")) ++second;
            if (line.ends_with(" first")) pods.insert(line.substr(0, line.find(' ')));
        }
        CHECK(first == 50);
        CHECK(second == 50);
        CHECK(pods.size() == 50);
    }

    TEST_CASE("a 50-Job submit --wait holds one watch of jobs and none of pods") {
        TempDir dir;
        write_file(dir.file("kq.yaml"), k_watch_project);
        TestNamespace ns("kq-watch");
        const WatchPeaks peaks = peaks_while(
            {"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", "idle", "--count", "50", "--wait"});
        REQUIRE_MESSAGE(peaks.run.status == 0, peaks.run.err);
        MESSAGE("submit --count 50 --wait: ", peaks.samples, " samples, peak watches jobs ", peaks.jobs,
                ", pods ", peaks.pods);
        CHECK(peaks.samples >= 5);
        CHECK(peaks.jobs == 1);
        CHECK(peaks.pods == 0);
    }

    TEST_CASE("a 12-Job submit --max-active 3 --logs holds one watch of jobs and one of pods throughout") {
        TempDir dir;
        write_file(dir.file("kq.yaml"), k_watch_project);
        TestNamespace ns("kq-watch");
        const WatchPeaks peaks = peaks_while({"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", "talk",
                                              "--count", "12", "--max-active", "3", "--logs"});
        REQUIRE_MESSAGE(peaks.run.status == 0, peaks.run.err);
        MESSAGE("submit --count 12 --max-active 3 --logs: ", peaks.samples, " samples, peak watches jobs ",
                peaks.jobs, ", pods ", peaks.pods);
        CHECK(peaks.samples >= 10);
        CHECK(peaks.jobs == 1);
        CHECK(peaks.pods == 1);
        size_t first = 0;
        size_t second = 0;
        for (const std::string& line : lines_of(peaks.run.out)) {
            if (line.ends_with(" first")) ++first;
            if (line.ends_with(" second")) ++second;
        }
        CHECK(first == 12);
        CHECK(second == 12);
    }

    TEST_CASE("wait NAME... of 10 Jobs uses one watch") {
        TempDir dir;
        write_file(dir.file("kq.yaml"), k_watch_project);
        TestNamespace ns("kq-watch");
        const Run submitted = run_kq(
            {"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", "idle", "--count", "10", "-o", "name"});
        REQUIRE_MESSAGE(submitted.status == 0, submitted.err);
        std::vector<std::string> args = {"-n", ns.name(), "wait"};
        for (const std::string& line : lines_of(submitted.out))
            args.push_back(line.substr(line.find('/') + 1));
        REQUIRE(args.size() == 13);
        const WatchPeaks peaks = peaks_while(args);
        REQUIRE_MESSAGE(peaks.run.status == 0, peaks.run.err);
        MESSAGE("wait of 10 named Jobs: ", peaks.samples, " samples, peak watches jobs ", peaks.jobs);
        CHECK(peaks.samples >= 3);
        CHECK(peaks.jobs == 1);
        CHECK(peaks.pods == 0);
    }

    TEST_CASE("wait NAME... of Jobs without a common label: one watch of the namespace, filtered by name") {
        TempDir dir;
        write_file(dir.file("kq.yaml"), k_watch_project);
        TestNamespace ns("kq-watch");
        std::vector<std::string> args = {"-n", ns.name(), "wait"};
        for (const char* definition : {"idle", "talk"}) {
            const Run submitted = run_kq({"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", definition,
                                          "--count", "2", "-o", "name"});
            REQUIRE_MESSAGE(submitted.status == 0, submitted.err);
            for (const std::string& line : lines_of(submitted.out))
                args.push_back(line.substr(line.find('/') + 1));
        }
        // A Job of the namespace that is not waited for is left out by name.
        REQUIRE(run_kq({"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", "idle"}).status == 0);
        REQUIRE(args.size() == 7);
        const WatchPeaks peaks = peaks_while(args);
        REQUIRE_MESSAGE(peaks.run.status == 0, peaks.run.err);
        CHECK(lines_of(peaks.run.out).size() == 4);
        for (size_t i = 3; i < args.size(); ++i)
            CHECK(peaks.run.out.find("job.batch/" + args[i] + " complete\n") != std::string::npos);
        CHECK(peaks.jobs == 1);
        CHECK(peaks.pods == 0);
    }
}
