#pragma once

// Helpers of the e2e tests of kq list, status and delete: Jobs steered by the test cluster's pod
// annotations (tests/cluster/README.md), created straight through the client, and bounded waits.

#include "kube/client.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace kq::e2e {

// How a test Job behaves on the simulated node.
struct TestJob {
    std::string name{};
    std::string definition{};                         // kq's labels with this definition; empty: not kq's
    std::map<std::string, std::string> annotations{}; // kq.test/* on the pod template
    std::map<std::string, std::string> labels{};      // more labels on the Job
    int backoff_limit = 0;
    int active_deadline_seconds = 0; // 0: none
    bool suspend = false;            // suspended Jobs make no pods (cheap, for counts)
};

// A test Job that succeeds after a second.
TestJob succeeding(const std::string& name, const std::string& definition);

// A test Job whose container exits with `code` after a second (no retries).
TestJob failing(const std::string& name, const std::string& definition, int code = 3);

// A test Job whose pod runs for ten minutes.
TestJob running(const std::string& name, const std::string& definition);

// The batch/v1 Job object of a TestJob.
nlohmann::json job_manifest(const TestJob& job);

// Creates Jobs in a namespace, concurrently; fails the test on any error.
void create_jobs(kube::Client& client, const std::string& namespace_name, const std::vector<TestJob>& jobs);

// Polls `done` every 200 ms until it is true or `timeout` passes; returns its last answer.
bool eventually(const std::function<bool()>& done,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Waits until each named Job has finished (Complete or Failed); fails the test after a minute.
void wait_finished(kube::Client& client, const std::string& namespace_name,
                   const std::vector<std::string>& names);

// Waits until a Job has a Running pod; fails the test after a minute.
void wait_running(kube::Client& client, const std::string& namespace_name, const std::string& name);

// True when the Job exists.
bool job_exists(kube::Client& client, const std::string& namespace_name, const std::string& name);

// The names of the pods carrying the Job's job-name label.
std::vector<std::string> job_pods(kube::Client& client, const std::string& namespace_name,
                                  const std::string& name);

// The names of the Jobs in a namespace, sorted.
std::vector<std::string> job_names(kube::Client& client, const std::string& namespace_name);

// The lines of a text, without their newlines.
std::vector<std::string> lines_of(const std::string& text);

// The whitespace-separated words of a line.
std::vector<std::string> words_of(const std::string& line);

} // namespace kq::e2e
