// End-to-end: completions that ask the cluster. Job names for logs, wait, status and delete (kq's Jobs
// only, newest first, in the namespace the command would use), namespaces for -n, and nothing, quickly
// and silently, when the cluster refuses or can't be trusted. The bash script is run too, so the whole
// path from the shell to the API server is covered.

#include "build_paths.hpp"
#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

using namespace kq::e2e;

namespace {

using Names = std::vector<std::string>;

// The candidates of `kq __complete WORDS...`, without descriptions, and the descriptions by value.
struct Candidates {
    int status = -1;
    Names values;
    std::map<std::string, std::string> descriptions;
    std::string err;
};

Candidates complete(std::vector<std::string> words, EnvChanges env = {}) {
    words.insert(words.begin(), "__complete");
    const Run run = run_kq(words, std::move(env));
    Candidates candidates;
    candidates.status = run.status;
    candidates.err = run.err;
    for (const std::string& line : lines_of(run.out)) {
        if (line.empty() || line.front() == ':') continue;
        const std::size_t tab = line.find('\t');
        candidates.values.push_back(line.substr(0, tab));
        candidates.descriptions[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(tab + 1);
    }
    return candidates;
}

bool has(const Names& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

} // namespace

TEST_SUITE_BEGIN("completion");

TEST_CASE("Job names come from the cluster: kq's Jobs of the namespace, newest first") {
    TestNamespace ns("kq-complete");
    auto admin = cluster_client("admin");
    // Created one at a time, a second apart, so that creation times order them.
    create_jobs(*admin, ns.name(), {succeeding("backup-older", "backup")});
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    create_jobs(
        *admin, ns.name(),
        {failing("backup-newer", "backup"), running("report-1", "report"), succeeding("not-kqs", "")});
    wait_finished(*admin, ns.name(), {"backup-older", "backup-newer"});

    for (const char* command : {"logs", "wait", "status", "delete"}) {
        CAPTURE(command);
        const Candidates names = complete({"-n", ns.name(), command, ""});
        CHECK(names.status == 0);
        CHECK(names.err.empty());
        REQUIRE(names.values.size() == 3);
        CHECK(names.values[0] != "backup-older"); // the older backup comes after the newer one
        CHECK(has(names.values, "report-1"));
        CHECK_FALSE(has(names.values, "not-kqs"));
    }
    const Candidates described = complete({"-n", ns.name(), "status", "backup-"});
    CHECK(described.values == Names{"backup-newer", "backup-older"});
    CHECK(described.descriptions.at("backup-newer").rfind("backup, Failed, ", 0) == 0);
    CHECK(described.descriptions.at("backup-older").rfind("backup, Complete, ", 0) == 0);

    // --job narrows to the definition's Jobs; names already on the line are not offered again.
    CHECK(complete({"-n", ns.name(), "wait", "--job", "report", ""}).values == Names{"report-1"});
    const Candidates rest = complete({"delete", "-n", ns.name(), "backup-newer", "report-1", ""});
    CHECK(rest.values == Names{"backup-older"});
    // logs takes one Job: after it, nothing.
    CHECK(complete({"-n", ns.name(), "logs", "report-1", ""}).values.empty());

    // Without -n, the namespace is the project file's.
    TempDir dir;
    write_file(dir.file("kq.yaml"),
               "version: 1\nnamespace: " + ns.name() + "\njobs: {report: {image: busybox}}\n");
    CHECK(complete({"-f", dir.file("kq.yaml"), "logs", "rep"}).values == Names{"report-1"});
    CHECK(complete({"logs", "rep"}, {{"KQ_FILE", dir.file("kq.yaml")}}).values == Names{"report-1"});
}

TEST_CASE("namespaces come from the cluster; a user who may not list them gets nothing") {
    TestNamespace ns("kq-complete-ns");
    const Candidates all = complete({"-n", ""});
    CHECK(all.status == 0);
    CHECK(has(all.values, ns.name()));
    CHECK(has(all.values, "kq-e2e"));
    CHECK(has(all.values, "default"));
    CHECK(complete({"list", "--namespace=kq-e"}).values == Names{"--namespace=kq-e2e"});

    const Candidates limited = complete({"--context", "limited", "-n", ""});
    CHECK(limited.status == 0);
    CHECK(limited.values.empty());
    CHECK(limited.err.empty());
}

TEST_CASE("--context and --kubeconfig on the line choose the cluster the names come from") {
    auto admin = cluster_client("admin");
    // kq-e2e is shared with other tests (and clusters outlive a run): a name of this run's own.
    const std::string name = "complete-limited-" + std::to_string(getpid());
    create_jobs(*admin, "kq-e2e", {succeeding(name, "limited-def")});
    // limited's namespace is kq-e2e, where it may list Jobs.
    const Candidates limited = complete({"--context", "limited", "logs", name});
    CHECK(limited.values == Names{name});
    // A kubeconfig without that context: nothing.
    TempDir dir;
    write_file(dir.file("empty"), "apiVersion: v1\nkind: Config\n");
    CHECK(complete({"--kubeconfig", dir.file("empty"), "--context", "limited", "logs", ""}).values.empty());
    CHECK(complete({"--kubeconfig", cluster_kubeconfig(), "--context", ""}).values ==
          Names{"admin", "broken-ca", "limited"});
    admin->remove("/apis/batch/v1/namespaces/kq-e2e/jobs/" + name, {},
                  nlohmann::json{{"propagationPolicy", "Background"}});
}

TEST_CASE("a cluster that can't be trusted or reached yields nothing, at once and silently") {
    for (const std::vector<std::string>& words :
         {std::vector<std::string>{"--context", "broken-ca", "logs", ""},
          std::vector<std::string>{"--context", "broken-ca", "-n", ""}}) {
        const auto start = std::chrono::steady_clock::now();
        const Candidates candidates = complete(words);
        CHECK(candidates.status == 0);
        CHECK(candidates.values.empty());
        CHECK(candidates.err.empty());
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    }
}

TEST_CASE("the bash script offers the cluster's Job names") {
    TestNamespace ns("kq-complete-bash");
    auto admin = cluster_client("admin");
    create_jobs(*admin, ns.name(), {running("shell-job", "shell")});
    TempDir dir;
    write_file(dir.file("harness.sh"), "source \"$1\"\nCOMP_LINE=$2\nCOMP_POINT=${#COMP_LINE}\n_kq\n"
                                       "printf '%s\\n' \"${COMPREPLY[@]}\"\n");
    const std::string bin = std::filesystem::path(kq::testing::k_kq_binary).parent_path().string();
    const Run run = run_program(
        {"bash", "--norc", "--noprofile", dir.file("harness.sh"), source_path("completions/kq.bash"),
         "kq -n " + ns.name() + " logs sh"},
        {{"KUBECONFIG", cluster_kubeconfig()}, {"PATH", bin + ":" + std::string(std::getenv("PATH"))}});
    CHECK(run.status == 0);
    CHECK(run.out == "shell-job\n");
}

TEST_SUITE_END();
