// End-to-end: kq against a control plane that misbehaves: an API server that is killed and started
// again under a running wait or log stream, one that throttles with 429, answers that are lost on the
// way back (a fault-injecting TCP proxy), and a watch whose resourceVersion etcd has compacted away.
// This suite stops and starts the API server, so it has a cluster of its own (tests/CMakeLists.txt).

#include "build_paths.hpp"
#include "e2e_helpers.hpp"
#include "fault_proxy.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <set>
#include <sstream>
#include <thread>

using namespace kq::e2e;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int k_log_lines = 20;

// The lines the chatty definitions log, one every 500 ms, so that most fall due while the API
// server is away.
std::vector<std::string> chatty_lines() {
    std::vector<std::string> lines;
    for (int i = 1; i <= k_log_lines; ++i)
        lines.push_back(fmt::format("line {:02} of {}", i, k_log_lines));
    return lines;
}

std::string project_text(const std::string& burst) {
    std::string log;
    for (const std::string& line : chatty_lines())
        log += (log.empty() ? "" : "\\n") + line;
    const std::string chatty =
        fmt::format(R"(kq.test/log: "{}", kq.test/log-interval: "500ms", kq.test/run-seconds: "12")", log);
    return fmt::format(R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
jobs:
  chatty:
    annotations: {{{0}}}
  chatty-fail:
    annotations: {{{0}, kq.test/exit-code: "3"}}
  long:
    annotations: {{kq.test/run-seconds: "600"}}
  late-fail:
    annotations: {{kq.test/run-seconds: "15", kq.test/exit-code: "4"}}
  {1}:
    description: makes no pods, so that hundreds cost the cluster little
    parallelism: 0
  padded:
    description: a create request large enough for the fault proxy to know it
    annotations: {{kq.test/padding: "{2}", kq.test/run-seconds: "1"}}
)",
                       chatty, burst, std::string(24000, 'x'));
}

std::string random_suffix() {
    static std::mt19937 random{std::random_device{}()};
    return fmt::format("{:06x}", random() & 0xffffff);
}

// A scratch project for one test, in its own namespace (or a given one).
struct Scene {
    TempDir dir;
    std::string burst = "burst-" + random_suffix();
    std::string file = dir.file("kq.yaml");

    Scene() { write_file(file, project_text(burst)); }

    // kq's arguments for the project in a namespace.
    std::vector<std::string> args(const std::string& namespace_name, std::vector<std::string> more) const {
        std::vector<std::string> all = {"-f", file, "-n", namespace_name};
        all.insert(all.end(), more.begin(), more.end());
        return all;
    }
};

// The name in "job.batch/NAME created".
std::string created_name(const Run& run) {
    const std::string prefix = "job.batch/";
    REQUIRE_MESSAGE(run.status == 0, run.err);
    REQUIRE(run.out.starts_with(prefix));
    return run.out.substr(prefix.size(), run.out.find(' ') - prefix.size());
}

// The built kq, started in the background with its stdout and stderr in files, so that a test can
// watch what it prints while it runs; killed (by pid) if it is still running at the end.
class KqProcess {
public:
    explicit KqProcess(const std::vector<std::string>& args,
                       const std::string& kubeconfig = cluster_kubeconfig()) {
        std::vector<std::string> argv{kq::testing::k_kq_binary};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<std::string> environment;
        for (char** entry = environ; *entry != nullptr; ++entry) {
            const std::string variable = *entry;
            const std::string name = variable.substr(0, variable.find('='));
            if (name == "KUBECONFIG" || name.ends_with("_PROXY") || name.ends_with("_proxy")) continue;
            environment.push_back(variable);
        }
        environment.push_back("KUBECONFIG=" + kubeconfig);
        std::vector<char*> args_c;
        for (std::string& arg : argv)
            args_c.push_back(arg.data());
        args_c.push_back(nullptr);
        std::vector<char*> env_c;
        for (std::string& variable : environment)
            env_c.push_back(variable.data());
        env_c.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, m_dir.file("out").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, m_dir.file("err").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int spawned = posix_spawn(&m_pid, args_c[0], &actions, nullptr, args_c.data(), env_c.data());
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE_MESSAGE(spawned == 0, "cannot start kq: ", std::strerror(spawned));
    }

    ~KqProcess() {
        if (m_status) return;
        kill(m_pid, SIGKILL);
        int status = 0;
        waitpid(m_pid, &status, 0);
    }

    KqProcess(const KqProcess&) = delete;
    KqProcess& operator=(const KqProcess&) = delete;

    // What it printed so far.
    std::string out() const { return read_or_empty("out"); }
    std::string err() const { return read_or_empty("err"); }

    // Its exit status once it ends; fails the test if it runs longer than `bound`.
    int wait(std::chrono::seconds bound) {
        const auto give_up = SteadyClock::now() + bound;
        while (!m_status) {
            int status = 0;
            const pid_t done = waitpid(m_pid, &status, WNOHANG);
            if (done == m_pid) {
                m_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                break;
            }
            if (SteadyClock::now() > give_up)
                FAIL("kq ran longer than ", bound.count(), "s; stderr:\n", err());
            std::this_thread::sleep_for(50ms);
        }
        return *m_status;
    }

private:
    std::string read_or_empty(const char* name) const {
        try {
            return read_file(m_dir.file(name));
        } catch (const std::exception&) {
            return "";
        }
    }

    TempDir m_dir;
    pid_t m_pid = -1;
    std::optional<int> m_status;
};

// Stops and starts the cluster's API server; whatever a test leaves stopped or throttled is put back
// to normal when the object goes, so that a failed test does not break the next.
class ApiServer {
public:
    ApiServer() = default;
    ~ApiServer() {
        if (m_stopped) {
            control({"start"});
        } else if (m_flagged) {
            control({"restart", "--kill"});
        }
    }
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    // Kills it at once, as a crash does (a graceful stop waits for open watches).
    void kill() {
        REQUIRE_MESSAGE(control({"stop", "--kill"}), "kq-cluster stop apiserver failed");
        m_stopped = true;
        ++m_restarts;
    }

    // Starts it again with its usual flags and waits until it is ready. The controller manager and the
    // scheduler are restarted too: their informers back off for up to 30 s after losing the API
    // server, which would only delay the pods and the Jobs' conditions (and this suite), not test kq.
    void start() {
        REQUIRE_MESSAGE(control({"start"}), "kq-cluster start apiserver failed");
        m_stopped = false;
        for (const char* component : {"controller-manager", "scheduler"}) {
            REQUIRE_MESSAGE(control({"restart"}, component), "kq-cluster restart ", component, " failed");
        }
    }

    // Restarts it with extra flags (empty: the usual ones).
    void restart(const std::vector<std::string>& flags) {
        std::vector<std::string> args = {"restart", "--kill"};
        if (!flags.empty()) args.push_back("--");
        args.insert(args.end(), flags.begin(), flags.end());
        REQUIRE_MESSAGE(control(args), "kq-cluster restart apiserver failed");
        m_flagged = !flags.empty();
        ++m_restarts;
    }

    // How many times it was stopped.
    int restarts() const { return m_restarts; }

private:
    static bool control(std::vector<std::string> args, const std::string& component = "apiserver") {
        std::vector<std::string> argv = {source_path("tests/cluster/kq-cluster"), args.front(), "--state",
                                         cluster_state(), component};
        argv.insert(argv.end(), args.begin() + 1, args.end());
        const Run run = run_program(argv);
        if (run.status != 0) MESSAGE("kq-cluster: ", run.err);
        return run.status == 0;
    }

    bool m_stopped = false;
    bool m_flagged = false;
    int m_restarts = 0;
};

// Runs kubectl (the one the cluster was built with) as the cluster's admin.
Run kubectl(std::vector<std::string> args) {
    args.insert(args.begin(),
                {cluster_kubectl(), "--kubeconfig", cluster_kubeconfig(), "--context", "admin"});
    return run_program(args);
}

// The names of the Jobs in a namespace that match a label selector, as kubectl lists them.
std::vector<std::string> kubectl_job_names(const std::string& namespace_name, const std::string& selector) {
    std::vector<std::string> args = {"get", "jobs", "-n", namespace_name, "-o", "name"};
    if (!selector.empty()) args.insert(args.end(), {"-l", selector});
    const Run run = kubectl(args);
    REQUIRE_MESSAGE(run.status == 0, run.err);
    return lines_of(run.out);
}

// Waits until `text()` contains `needle`; fails the test after `bound`.
void wait_for_text(const std::function<std::string()>& text, const std::string& needle,
                   std::chrono::seconds bound = 60s) {
    const bool found = eventually([&] { return text().find(needle) != std::string::npos; }, bound);
    REQUIRE_MESSAGE(found, "never printed \"", needle, "\"; got:\n", text());
}

// Calls etcd's JSON gateway with the API server's client certificate.
nlohmann::json etcd(const std::string& method, const nlohmann::json& body) {
    std::string port;
    std::istringstream env(read_file(cluster_file("cluster.env")));
    for (std::string line; std::getline(env, line);) {
        if (line.starts_with("ETCD_PORT=")) port = line.substr(10);
    }
    REQUIRE_FALSE(port.empty());
    const Run run = run_program({"curl", "-sS", "--fail", "--cacert", cluster_file("pki/ca.crt"), "--cert",
                                 cluster_file("pki/apiserver-etcd-client.crt"), "--key",
                                 cluster_file("pki/apiserver-etcd-client.key"), "-X", "POST", "-d",
                                 body.dump(), "https://127.0.0.1:" + port + "/v3/" + method});
    REQUIRE_MESSAGE(run.status == 0, run.err);
    return nlohmann::json::parse(run.out);
}

// Writes keys of no meaning to etcd behind the API server's back, then compacts its history up to
// now: every resourceVersion a client saw before is gone for good.
void churn_and_compact_etcd() {
    for (int i = 0; i < 20; ++i) {
        // "L2txLWZhdWx0cy9jaHVybg==" is base64 of "/kq-faults/churn"; "eA==" of "x".
        etcd("kv/put", {{"key", "L2txLWZhdWx0cy9jaHVybg=="}, {"value", "eA=="}});
    }
    const std::string revision = etcd("kv/range", {{"key", "YQ=="}})["header"]["revision"];
    etcd("kv/compaction", {{"revision", revision}, {"physical", true}});
}

// The value of a counter in the API server's metrics, summed over the series whose labels include
// every one of `labels` (e.g. code="429").
long metric_sum(const std::string& text, const std::string& name, const std::vector<std::string>& labels) {
    long sum = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with(name + "{")) continue;
        const size_t close = line.find('}');
        const std::string series = line.substr(0, close);
        if (!std::all_of(labels.begin(), labels.end(),
                         [&](const std::string& label) { return series.find(label) != std::string::npos; }))
            continue;
        sum += std::stol(line.substr(close + 2));
    }
    return sum;
}

// How many lines of a text contain `needle`.
size_t count_lines(const std::string& text, const std::string& needle) {
    size_t count = 0;
    for (const std::string& line : lines_of(text))
        count += line.find(needle) != std::string::npos ? 1 : 0;
    return count;
}

// The cluster's kubeconfig with its server replaced by a proxy's loopback port: the server's
// certificate is for 127.0.0.1, so TLS through the proxy verifies as it does directly.
std::string kubeconfig_via(const TempDir& dir, int port) {
    std::string text = read_file(cluster_kubeconfig());
    const std::string server = cluster_server();
    size_t at = 0;
    size_t replaced = 0;
    while ((at = text.find(server, at)) != std::string::npos) {
        const std::string proxied = fmt::format("https://127.0.0.1:{}", port);
        text.replace(at, server.size(), proxied);
        at += proxied.size();
        ++replaced;
    }
    REQUIRE(replaced > 0);
    const std::string path = dir.file("kubeconfig");
    write_file(path, text);
    return path;
}

} // namespace

TEST_SUITE("faults") {

    TEST_CASE("an API server restart under kq wait and kq logs -f: every line once, the right exit codes") {
        Scene scene;
        TestNamespace ns("kq-restart");
        ApiServer apiserver;
        const std::string good = created_name(run_kq(scene.args(ns.name(), {"submit", "chatty"})));
        const std::string bad = created_name(run_kq(scene.args(ns.name(), {"submit", "chatty-fail"})));

        // -v shows when each has its watch open: a kq that has not reached the server yet would rightly
        // fail at once when it is away.
        KqProcess wait_good(scene.args(ns.name(), {"-v", "wait", good}));
        KqProcess wait_bad(scene.args(ns.name(), {"-v", "wait", bad}));
        KqProcess logs_good(scene.args(ns.name(), {"-v", "logs", "-f", good}));
        KqProcess logs_bad(scene.args(ns.name(), {"-v", "logs", "-f", bad}));
        for (KqProcess* kq : {&wait_good, &wait_bad, &logs_good, &logs_bad})
            wait_for_text([&] { return kq->err(); }, "(streaming)");
        // A second or two into the logs (two lines shown), the server goes away for several seconds:
        // about ten lines fall due meanwhile.
        wait_for_text([&] { return logs_good.out(); }, chatty_lines()[1]);
        wait_for_text([&] { return logs_bad.out(); }, chatty_lines()[1]);
        apiserver.kill();
        const auto down = SteadyClock::now();
        std::this_thread::sleep_for(2s); // the outage itself: lines fall due while the server is away
        apiserver.start();
        MESSAGE("API server away for ", std::chrono::duration<double>(SteadyClock::now() - down).count(),
                "s");

        CHECK(wait_good.wait(120s) == 0);
        CHECK(wait_good.out() == "job.batch/" + good + " complete\n");
        CHECK(wait_bad.wait(120s) == 3);
        CHECK(wait_bad.out() == "job.batch/" + bad + " failed\n");
        CHECK(wait_bad.err().find("kq: error: ") != std::string::npos);

        const std::vector<std::string> expected = chatty_lines();
        CHECK(logs_good.wait(120s) == 0);
        CHECK(lines_of(logs_good.out()) == expected);
        CHECK(logs_bad.wait(120s) == 3);
        CHECK(lines_of(logs_bad.out()) == expected);
        // -v shows that each one's streams really broke, and that the logs were resumed from the last
        // line shown rather than read after the fact.
        for (KqProcess* kq : {&wait_good, &wait_bad, &logs_good, &logs_bad})
            CHECK(kq->err().find("stream broke") != std::string::npos);
        CHECK(logs_good.err().find("sinceTime=") != std::string::npos);
        CHECK(logs_bad.err().find("sinceTime=") != std::string::npos);
        MESSAGE("restarts survived: 4 kq processes across ", apiserver.restarts(),
                " API server restart; lines "
                "compared: ",
                2 * k_log_lines);
    }

    TEST_CASE(
        "the API server away past --timeout: exit 124, and the message says the cluster is not answering") {
        Scene scene;
        TestNamespace ns("kq-away");
        ApiServer apiserver;
        const std::string name = created_name(run_kq(scene.args(ns.name(), {"submit", "long"})));

        // Up at the deadline: a plain timeout.
        const Run up = run_kq(scene.args(ns.name(), {"wait", name, "--timeout", "2s"}));
        CHECK(up.status == 124);
        CHECK(up.err.starts_with(
            fmt::format("kq: error: timed out after 2s waiting for job.batch/{} (", name)));
        CHECK(up.err.find("not answered") == std::string::npos);

        // Away at the deadline: the same code, and a message that says why kq knows no more; for kq wait
        // and kq logs -f alike.
        KqProcess waiting(scene.args(ns.name(), {"-v", "wait", name, "--timeout", "5s"}));
        KqProcess following(scene.args(ns.name(), {"-v", "logs", "-f", name, "--timeout", "5s"}));
        wait_for_text([&] { return waiting.err(); }, "(streaming)");
        wait_for_text([&] { return following.err(); }, "(streaming)");
        apiserver.kill();
        for (KqProcess* kq : {&waiting, &following}) {
            CHECK(kq->wait(60s) == 124);
            const std::vector<std::string> err = lines_of(kq->err());
            REQUIRE_FALSE(err.empty());
            const std::string& message = err.back();
            INFO(message);
            CHECK(message.starts_with(
                fmt::format("kq: error: timed out after 5s waiting for job.batch/{} (", name)));
            CHECK(message.find("): the cluster has not answered for ") != std::string::npos);
            CHECK(message.find("(cannot connect to " + cluster_server()) != std::string::npos);
            MESSAGE(message);
        }
        apiserver.start();
    }

    TEST_CASE(
        "an API server restart in the middle of a 40-Job wait: each result once, one request per watch") {
        Scene scene;
        TestNamespace ns("kq-restart40");
        ApiServer apiserver;
        KqProcess kq(scene.args(ns.name(), {"-v", "submit", "late-fail", "--count", "40", "--wait"}));
        // The collection's watch is open once -v says it streams.
        wait_for_text([&] { return kq.err(); }, "(streaming)");
        std::this_thread::sleep_for(1s);
        apiserver.kill();
        std::this_thread::sleep_for(2s);
        apiserver.start();
        CHECK(kq.wait(240s) == 4);
        const std::string err = kq.err();
        // Each Job's failure told once, on stderr ("kq: job.batch/NAME failed: container ..."), each Job
        // named in one.
        std::set<std::string> named;
        size_t failures = 0;
        for (const std::string& line : lines_of(err)) {
            const size_t at = line.find("job.batch/late-fail-");
            if (at == std::string::npos || line.find(" failed: container ") == std::string::npos ||
                line.find(" Jobs failed; the first: ") != std::string::npos)
                continue;
            ++failures;
            named.insert(line.substr(at, line.find(' ', at) - at));
        }
        CHECK(failures == 40);
        CHECK(named.size() == 40);
        // The Jobs are watched through the collection: never one watch per Job. After the restart the
        // one watch resumes with one request; when the restarted server no longer has that version
        // (410 Gone, in the stream), one list and one watch more. Attempts refused while the server was
        // away are counted apart.
        size_t watches = 0;
        size_t lists = 0;
        size_t refused = 0;
        for (const std::string& line : lines_of(err)) {
            if (!line.starts_with("GET ") || line.find("/jobs?") == std::string::npos) continue;
            CHECK(line.find("fieldSelector=metadata.name") == std::string::npos);
            const bool watch = line.find("watch=true") != std::string::npos;
            if (watch && line.ends_with("(streaming)")) ++watches;
            if (!watch && line.find(" 200 OK") != std::string::npos) ++lists;
            if (watch && line.find(" failed (") != std::string::npos) ++refused;
        }
        MESSAGE("40-Job wait across an API server restart: ", watches, " jobs watches answered, ", lists,
                " lists, ", refused, " refused attempts while away");
        CHECK(err.find("stream broke") != std::string::npos);
        CHECK(watches >= 2);
        CHECK(watches + lists <= 5); // a list and a watch, a resume, and at most one relist (list, watch)
    }

    TEST_CASE("a throttling API server (429): --count 300 makes exactly 300 Jobs") {
        Scene scene;
        ApiServer apiserver;
        // The limited user: system:masters (the admin) is exempt from the in-flight limits. Without
        // priority and fairness, whose queues would absorb the burst, the limits answer 429 at once.
        apiserver.restart({"--max-requests-inflight=1", "--max-mutating-requests-inflight=1",
                           "--enable-priority-and-fairness=false"});
        KqProcess submit({"-f", scene.file, "--context", "limited", "-n", "kq-e2e", "-v", "submit",
                          scene.burst, "--count", "300"});
        const int status = submit.wait(240s);
        const std::string err = submit.err();
        const Run metrics = kubectl({"get", "--raw", "/metrics"});
        REQUIRE(metrics.status == 0);
        apiserver.restart({});

        CHECK_MESSAGE(status == 0, err.substr(err.size() > 3000 ? err.size() - 3000 : 0));
        const std::vector<std::string> out = lines_of(submit.out());
        CHECK(out.size() == 300);
        const std::set<std::string> printed(out.begin(), out.end());
        CHECK(printed.size() == 300);
        for (const std::string& line : out)
            CHECK(line.ends_with(" created"));

        const std::vector<std::string> jobs = kubectl_job_names("kq-e2e", "kq.dev/definition=" + scene.burst);
        const std::set<std::string> unique(jobs.begin(), jobs.end());
        CHECK(jobs.size() == 300);
        CHECK(unique.size() == jobs.size());

        // The server did throttle, and kq waited each 429 out: its -v lines, its summary and the server's
        // own count agree.
        const size_t retried = count_lines(err, "after HTTP 429");
        const long refused = metric_sum(metrics.out, "apiserver_request_total",
                                        {R"(code="429")", R"(resource="jobs")", R"(verb="POST")"});
        CHECK(retried > 0);
        CHECK(static_cast<long>(retried) == refused);
        const std::string summary = fmt::format("kq: submitted 300 of 300 Jobs in ");
        const std::vector<std::string> err_lines = lines_of(err);
        REQUIRE_FALSE(err_lines.empty());
        CHECK(err_lines.back().starts_with(summary));
        CHECK(err_lines.back().ends_with(
            fmt::format("; the server throttled {} requests (429), each retried", retried)));
        MESSAGE("jobs counted: ", jobs.size(), "; duplicates: ", jobs.size() - unique.size(),
                "; 429s: ", retried, " retried by kq, ", refused, " counted by the API server; ",
                err_lines.back());
    }

    TEST_CASE("lost responses: a retried create with --idempotency-key makes one Job") {
        Scene scene;
        TestNamespace ns("kq-lost");
        TempDir dir;
        // Past 10 kB the client is sending the (24 kB) create; nothing before it comes close.
        FaultProxy proxy(std::stoi(cluster_server().substr(cluster_server().rfind(':') + 1)), 2, 10000);
        const std::string kubeconfig = kubeconfig_via(dir, proxy.port());
        const auto definition = "kq.dev/definition=padded";

        SUBCASE("kq's own retry after two lost answers finds the Job the first create made") {
            KqProcess submit(scene.args(ns.name(), {"-v", "submit", "padded", "--idempotency-key", "ci-1"}),
                             kubeconfig);
            CHECK(submit.wait(60s) == 0);
            CHECK(proxy.cuts() == 2);
            const std::vector<std::string> jobs = kubectl_job_names(ns.name(), definition);
            CHECK(jobs.size() == 1);
            // "unchanged": the server made the Job on the first try; the answer saying so was lost.
            REQUIRE(jobs.size() == 1);
            CHECK(submit.out() == jobs[0] + " unchanged\n");
            CHECK(count_lines(submit.err(), "after a lost connection") == 2);
            MESSAGE("answers lost: ", proxy.cuts(), "; Jobs counted: ", jobs.size());
        }

        SUBCASE("every answer lost, then the CI step run again: still one Job") {
            proxy.fault_next(1000);
            KqProcess first(scene.args(ns.name(), {"submit", "padded", "--idempotency-key", "ci-2"}),
                            kubeconfig);
            CHECK(first.wait(120s) == 123);
            CHECK(first.err().starts_with(
                "kq: error: the connection to https://127.0.0.1:" + std::to_string(proxy.port()) + " broke"));
            const int cut = proxy.cuts();
            CHECK(cut >= 2);
            CHECK(kubectl_job_names(ns.name(), definition).size() == 1);

            proxy.fault_next(0);
            KqProcess again(scene.args(ns.name(), {"submit", "padded", "--idempotency-key", "ci-2"}),
                            kubeconfig);
            CHECK(again.wait(60s) == 0);
            const std::vector<std::string> jobs = kubectl_job_names(ns.name(), definition);
            REQUIRE(jobs.size() == 1);
            CHECK(again.out() == jobs[0] + " unchanged\n");
            MESSAGE("answers lost: ", cut, " (every attempt of the first run); Jobs counted: ", jobs.size());
        }

        SUBCASE("without a key kq does not retry a lost create: one Job at most, and an error that says so") {
            proxy.fault_next(1);
            KqProcess submit(scene.args(ns.name(), {"-v", "submit", "padded"}), kubeconfig);
            CHECK(submit.wait(60s) == 123);
            CHECK(proxy.cuts() == 1);
            CHECK(count_lines(submit.err(), "retrying POST") == 0);
            const std::vector<std::string> err = lines_of(submit.err());
            REQUIRE_FALSE(err.empty());
            CHECK(err.back().starts_with(
                "kq: error: the connection to https://127.0.0.1:" + std::to_string(proxy.port()) + " broke"));
            CHECK(
                err.back().ends_with("; the Job may have been created: look with 'kq list' before submitting "
                                     "again (with --idempotency-key a repeated submission finds its Job "
                                     "instead of making another)"));
            // The server did make it: the create arrived whole, only its answer was lost.
            const std::vector<std::string> jobs = kubectl_job_names(ns.name(), definition);
            CHECK(jobs.size() == 1);
            MESSAGE("without a key: answers lost: ", proxy.cuts(), "; Jobs counted: ", jobs.size());
        }
    }

    TEST_CASE(
        "a watch resumed from a compacted resourceVersion gets 410 Gone; kq wait relists and carries on") {
        Scene scene;
        TestNamespace ns("kq-gone");
        ApiServer apiserver;
        const std::string name = created_name(run_kq(scene.args(ns.name(), {"submit", "late-fail"})));
        KqProcess waiting(scene.args(ns.name(), {"-v", "wait", name}));
        wait_for_text([&] { return waiting.err(); }, "(streaming)");
        // With the server away, history moves on and is compacted: the version kq resumes from is gone.
        apiserver.kill();
        churn_and_compact_etcd();
        apiserver.start();
        CHECK(waiting.wait(120s) == 4);
        CHECK(waiting.out() == "job.batch/" + name + " failed\n");
        const size_t relists = count_lines(waiting.err(), "is gone (410); listing afresh");
        CHECK(relists >= 1);
        MESSAGE("410 Gone answered with a relist ", relists, " time(s); exit status as expected");
        const std::vector<std::string> err = lines_of(waiting.err());
        REQUIRE_FALSE(err.empty());
        CHECK(err.back().starts_with("kq: error: job.batch/" + name +
                                     " failed: container \"late-fail\" of pod "));
        CHECK(err.back().ends_with(" exited with code 4"));
    }
}
