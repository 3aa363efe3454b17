// End-to-end: the Job lifecycle commands (submit, run, wait, logs) against the real control plane,
// with pods steered through the simulated node's kq.test/* annotations (tests/cluster/README.md).

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

using namespace kq::e2e;

namespace {

// Test definitions: each steers its pods through annotations on the Job and its pod template.
constexpr const char* k_project = R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
jobs:
  ok:
    description: succeeds after printing three lines
    annotations: {kq.test/log: "one\ntwo\nthree", kq.test/run-seconds: "1"}
  fail:
    annotations: {kq.test/exit-code: "3", kq.test/log: "about to fail", kq.test/run-seconds: "1"}
  slow:
    annotations: {kq.test/run-seconds: "40", kq.test/log: "started"}
  deadline:
    activeDeadlineSeconds: 2
    annotations: {kq.test/run-seconds: "60"}
  param:
    annotations: {kq.test/log: "value {{ params.v }}", kq.test/run-seconds: "1"}
    params: {v: {default: x}}
  parallel:
    parallelism: 3
    completions: 3
    annotations: {kq.test/log: "a\nb\nc", kq.test/log-interval: "300ms", kq.test/run-seconds: "2"}
  late:
    annotations: {kq.test/pending-seconds: "3", kq.test/log: "after pending", kq.test/run-seconds: "1"}
  long:
    annotations: {kq.test/run-seconds: "600"}
)";

std::string kubectl() {
    const char* path = std::getenv("KQ_KUBECTL");
    if (path != nullptr && *path != '\0') return path;
    const Run env = run_program({source_path("tests/cluster/kq-cluster"), "env", "--state", cluster_state()});
    const std::string marker = "KQ_KUBECTL=";
    const size_t at = env.out.find(marker);
    REQUIRE(at != std::string::npos);
    const size_t end = env.out.find('\n', at);
    std::string value = env.out.substr(at + marker.size(), end - at - marker.size());
    value.erase(std::remove(value.begin(), value.end(), '\''), value.end());
    value.erase(std::remove(value.begin(), value.end(), '"'), value.end());
    return value;
}

// A scratch project and namespace for one test.
struct Scene {
    TempDir dir;
    TestNamespace ns{"kq-life"};
    std::string file;

    Scene() : file(dir.file("kq.yaml")) { write_file(file, k_project); }

    // Runs kq with the project file and namespace.
    Run kq(std::vector<std::string> args) const {
        std::vector<std::string> full = {"-f", file, "-n", ns.name()};
        full.insert(full.end(), args.begin(), args.end());
        return run_kq(full);
    }

    // The Jobs in the namespace, as the built kubectl sees them.
    nlohmann::json kubectl_jobs() const {
        Run run = run_program(
            {kubectl(), "--kubeconfig", cluster_kubeconfig(), "-n", ns.name(), "get", "jobs", "-o", "json"});
        REQUIRE(run.status == 0);
        return nlohmann::json::parse(run.out)["items"];
    }
};

// "job.batch/NAME created" -> NAME
std::string created_name(const std::string& line) {
    const std::string prefix = "job.batch/";
    REQUIRE(line.rfind(prefix, 0) == 0);
    return line.substr(prefix.size(), line.find(' ') - prefix.size());
}

} // namespace

TEST_SUITE("lifecycle") {

    TEST_CASE("kq run streams the logs and exits 0 when the Job succeeds") {
        Scene scene;
        const Run run = scene.kq({"run", "ok"});
        CHECK(run.status == 0);
        CHECK(run.out == "one\ntwo\nthree\n");
        const auto err = lines_of(run.err);
        REQUIRE(err.size() == 1);
        CHECK(err[0].rfind("job.batch/ok-", 0) == 0);
        CHECK(err[0].ends_with(" created"));
        const nlohmann::json jobs = scene.kubectl_jobs();
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0]["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kq");
        CHECK(jobs[0]["status"]["succeeded"] == 1);
    }

    TEST_CASE("kq run exits with the container's exit code when the Job fails") {
        Scene scene;
        const Run run = scene.kq({"run", "fail"});
        CHECK(run.status == 3);
        CHECK(run.out == "about to fail\n");
        const auto err = lines_of(run.err);
        REQUIRE(err.size() == 2);
        CHECK(err[1].rfind("kq: error: job.batch/fail-", 0) == 0);
        CHECK(err[1].find("container \"fail\" of pod fail-") != std::string::npos);
        CHECK(err[1].ends_with("exited with code 3"));
    }

    TEST_CASE("a Job that fails without a container exit code exits 121") {
        Scene scene;
        const Run run = scene.kq({"run", "deadline"});
        CHECK(run.status == 121);
        CHECK(run.err.find("DeadlineExceeded") != std::string::npos);
    }

    TEST_CASE("kq submit prints the name; kq wait waits for it") {
        Scene scene;
        const Run submit = scene.kq({"submit", "ok"});
        REQUIRE(submit.status == 0);
        const auto out = lines_of(submit.out);
        REQUIRE(out.size() == 1);
        CHECK(out[0].ends_with(" created"));
        const std::string name = created_name(out[0]);
        CHECK(submit.err.empty());

        const Run wait = scene.kq({"wait", name, "--timeout", "60s"});
        CHECK(wait.status == 0);
        CHECK(wait.out == fmt::format("job.batch/{} complete\n", name));

        const Run newest = scene.kq({"wait", "--job", "ok"});
        CHECK(newest.status == 0);
        CHECK(newest.out == fmt::format("job.batch/{} complete\n", name));

        const Run failed = scene.kq({"submit", "fail", "-o", "name"});
        REQUIRE(failed.status == 0);
        const std::string failed_name =
            failed.out.substr(std::string("job.batch/").size(), failed.out.size() - 11);
        const Run wait_failed = scene.kq({"wait", failed_name});
        CHECK(wait_failed.status == 3);
        CHECK(wait_failed.out == fmt::format("job.batch/{} failed\n", failed_name));

        const Run missing = scene.kq({"wait", "no-such-job"});
        CHECK(missing.status == 123);
        CHECK(missing.err == "kq: error: jobs.batch \"no-such-job\" not found\n");
    }

    TEST_CASE("kq wait --timeout exits 124 and leaves the Job running") {
        Scene scene;
        const Run submit = scene.kq({"submit", "slow", "-o", "name"});
        REQUIRE(submit.status == 0);
        const std::string name = submit.out.substr(std::string("job.batch/").size(), submit.out.size() - 11);
        const Run wait = scene.kq({"wait", name, "--timeout", "2s"});
        CHECK(wait.status == 124);
        CHECK(wait.out.empty());
        CHECK(wait.err.rfind(fmt::format("kq: error: timed out after 2s waiting for job.batch/{} (", name),
                             0) == 0);
        const nlohmann::json jobs = scene.kubectl_jobs();
        REQUIRE(jobs.size() == 1);
        CHECK_FALSE(jobs[0]["status"].contains("completionTime"));
    }

    TEST_CASE("--idempotency-key gets the same Job back, and refuses a different spec") {
        Scene scene;
        const Run first = scene.kq({"submit", "param", "--idempotency-key", "build-7"});
        REQUIRE(first.status == 0);
        CHECK(first.out.ends_with(" created\n"));
        const std::string name = created_name(first.out);
        const Run again = scene.kq({"submit", "param", "--idempotency-key", "build-7", "--wait"});
        CHECK(again.status == 0);
        CHECK(again.out == fmt::format("job.batch/{} unchanged\n", name));
        CHECK(scene.kubectl_jobs().size() == 1);

        const Run other = scene.kq({"submit", "param", "-p", "v=y", "--idempotency-key", "build-7"});
        CHECK(other.status == 125);
        CHECK(other.err.find(fmt::format(
                  "kq: error: --idempotency-key: job.batch/{} already exists with a different spec", name)) ==
              0);
        CHECK(scene.kubectl_jobs().size() == 1);
    }

    TEST_CASE("--unique refuses while a Job of the definition is active") {
        Scene scene;
        const Run first = scene.kq({"submit", "slow", "--unique"});
        REQUIRE(first.status == 0);
        const std::string name = created_name(first.out);
        const Run second = scene.kq({"submit", "slow", "--unique"});
        CHECK(second.status == 122);
        CHECK(second.out.empty());
        CHECK(second.err.find(fmt::format("already has an active Job in namespace \"{}\": job.batch/{}",
                                          scene.ns.name(), name)) != std::string::npos);
        CHECK(scene.kubectl_jobs().size() == 1);
        // Another definition is not affected.
        CHECK(scene.kq({"submit", "ok", "--unique"}).status == 0);
    }

    TEST_CASE("--count and --params-file fan out; each name on stdout") {
        Scene scene;
        const Run count = scene.kq({"submit", "ok", "--count", "5"});
        CHECK(count.status == 0);
        CHECK(lines_of(count.out).size() == 5);
        CHECK(count.err.find("kq: submitted 5 of 5 Jobs") == 0);
        CHECK(scene.kubectl_jobs().size() == 5);

        write_file(scene.dir.file("params.jsonl"), "{\"v\": \"alpha\"}\n\n{\"v\": 42}\n");
        const Run file = scene.kq({"submit", "param", "--params-file", scene.dir.file("params.jsonl"),
                                   "--logs", "--timeout", "90s"});
        CHECK(file.status == 0);
        std::vector<std::string> values;
        size_t created = 0;
        for (const std::string& line : lines_of(file.out)) {
            if (line.ends_with(" created")) {
                ++created;
            } else {
                REQUIRE(line.find("] ") != std::string::npos);
                values.push_back(line.substr(line.find("] ") + 2));
            }
        }
        std::sort(values.begin(), values.end());
        CHECK(created == 2);
        CHECK(values == std::vector<std::string>{"value 42", "value alpha"});

        write_file(scene.dir.file("bad.jsonl"), "{\"v\": \"ok\"}\n[1]\n");
        const Run bad = scene.kq({"submit", "param", "--params-file", scene.dir.file("bad.jsonl")});
        CHECK(bad.status == 125);
        CHECK(bad.err == fmt::format("kq: error: {}:2: expected a JSON object of params\n",
                                     scene.dir.file("bad.jsonl")));
        CHECK(scene.kubectl_jobs().size() == 7);
    }

    TEST_CASE("kq logs -f follows every pod of a parallel Job, each line once, prefixed") {
        Scene scene;
        const Run submit = scene.kq({"submit", "parallel", "-o", "name"});
        REQUIRE(submit.status == 0);
        const std::string name = submit.out.substr(std::string("job.batch/").size(), submit.out.size() - 11);
        const Run logs = scene.kq({"logs", "-f", name, "--timeout", "90s"});
        CHECK(logs.status == 0);
        const auto lines = lines_of(logs.out);
        CHECK(lines.size() == 9);
        std::map<std::string, std::vector<std::string>> by_pod;
        for (const std::string& line : lines) {
            REQUIRE(line.rfind("[pod/" + name + "-", 0) == 0);
            const size_t close = line.find("] ");
            by_pod[line.substr(0, close)].push_back(line.substr(close + 2));
        }
        CHECK(by_pod.size() == 3);
        for (const auto& [pod_name, text] : by_pod) {
            // A copy, as CAPTURE's lambda cannot capture a structured binding under clang 14.
            const std::string pod = pod_name;
            CAPTURE(pod);
            CHECK(text == std::vector<std::string>{"a", "b", "c"});
        }

        // Once finished, plain kq logs prints the same lines, pod after pod.
        const Run again = scene.kq({"logs", name});
        CHECK(again.status == 0);
        CHECK(lines_of(again.out).size() == 9);
        const Run tail = scene.kq({"logs", name, "--tail", "1", "--no-prefix"});
        CHECK(tail.out == "c\nc\nc\n");
    }

    TEST_CASE("kq logs -f waits through Pending and follows a Job that kubectl created") {
        Scene scene;
        const std::string manifest = fmt::format(
            R"({{"apiVersion":"batch/v1","kind":"Job","metadata":{{"name":"from-kubectl","namespace":"{}"}},
"spec":{{"backoffLimit":0,"template":{{"metadata":{{"annotations":{{"kq.test/pending-seconds":"3","kq.test/log":"x\ny"}}}},
"spec":{{"restartPolicy":"Never","containers":[{{"name":"main","image":"busybox"}}]}}}}}}}})",
            scene.ns.name());
        write_file(scene.dir.file("job.json"), manifest);
        REQUIRE(run_program({kubectl(), "--kubeconfig", cluster_kubeconfig(), "create", "-f",
                             scene.dir.file("job.json")})
                    .status == 0);
        const Run logs = scene.kq({"logs", "-f", "from-kubectl", "--timestamps", "--timeout", "60s"});
        CHECK(logs.status == 0);
        const auto lines = lines_of(logs.out);
        REQUIRE(lines.size() == 2);
        CHECK(lines[0].ends_with("Z x"));
        CHECK(lines[1].ends_with("Z y"));
    }

    TEST_CASE("--cleanup on-success deletes the Job after it succeeded") {
        Scene scene;
        const Run run = scene.kq({"run", "ok", "--cleanup", "on-success"});
        CHECK(run.status == 0);
        CHECK(run.err.find(" deleted\n") != std::string::npos);
        CHECK(scene.kubectl_jobs().empty());
        const Run failed = scene.kq({"run", "fail", "--cleanup", "on-success"});
        CHECK(failed.status == 3);
        CHECK(scene.kubectl_jobs().size() == 1);
    }

    TEST_CASE("--dry-run creates nothing") {
        Scene scene;
        const Run client = scene.kq({"submit", "ok", "--dry-run=client", "-o", "json"});
        CHECK(client.status == 0);
        CHECK(nlohmann::json::parse(client.out)["kind"] == "Job");
        const Run server = scene.kq({"submit", "ok", "--dry-run=server"});
        CHECK(server.status == 0);
        CHECK(server.out.ends_with(" created (server dry run)\n"));
        CHECK(scene.kubectl_jobs().empty());
    }

    TEST_CASE("Ctrl-C while waiting leaves the Job running and says how to follow it") {
        Scene scene;
        const std::string out_file = scene.dir.file("out");
        const std::string err_file = scene.dir.file("err");
        const pid_t pid =
            start_kq({"-f", scene.file, "-n", scene.ns.name(), "run", "slow"}, out_file, err_file);
        // Wait until the Job exists and its log line arrived, then interrupt.
        auto seen = [&] {
            std::error_code error;
            return std::filesystem::exists(out_file, error) &&
                   read_file(out_file).find("started") != std::string::npos;
        };
        for (int i = 0; i < 200 && !seen(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        kill(pid, SIGINT);
        int status = 0;
        waitpid(pid, &status, 0);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 130);
        const std::string err = read_file(err_file);
        CHECK(err.find("keeps running; follow it with 'kq logs -f slow-") != std::string::npos);
        CHECK(err.find("kq: error: interrupted while waiting\n") != std::string::npos);
        const nlohmann::json jobs = scene.kubectl_jobs();
        REQUIRE(jobs.size() == 1);
        CHECK_FALSE(jobs[0]["status"].contains("completionTime"));
    }

} // TEST_SUITE

namespace {

// Parses a document with python3's own parsers (json, PyYAML) and prints what it holds: "KIND N" for a
// List of N items, "OBJECT KIND" for one object (KIND None without one); fails on anything that is not
// exactly one document.
std::string parse_with_python(const std::string& text, const std::string& format) {
    TempDir dir;
    const std::string file = dir.file("document");
    write_file(file, text);
    const std::string program = format == "json"
                                    ? "import json,sys\nd=json.load(open(sys.argv[1]))\n"
                                    : "import yaml,sys\ndocs=list(yaml.safe_load_all(open(sys.argv[1])))\n"
                                      "assert len(docs)==1, len(docs)\nd=docs[0]\n";
    const Run run = run_program(
        {"python3", "-c",
         program +
             "print(d['kind'], len(d['items'])) if d.get('kind')=='List' else print('OBJECT', d.get('kind'))",
         file});
    INFO(run.err);
    REQUIRE(run.status == 0);
    return run.out;
}

// What kubectl makes of a document: the names `kubectl create --dry-run=client -o name -f` prints.
std::vector<std::string> kubectl_reads(const std::string& text) {
    TempDir dir;
    const std::string file = dir.file("document");
    write_file(file, text);
    const Run run = run_program({kubectl(), "--kubeconfig", cluster_kubeconfig(), "create",
                                 "--dry-run=client", "-o", "name", "-f", file});
    INFO(run.err);
    REQUIRE(run.status == 0);
    return lines_of(run.out);
}

} // namespace

TEST_SUITE("lifecycle") {

    TEST_CASE("several Jobs in -o json or yaml are one List, with and without --dry-run") {
        Scene scene;
        TempDir dir;
        const std::string params = dir.file("params.jsonl");
        write_file(params, "{\"v\": \"a\"}\n{\"v\": \"b\"}\n");
        for (const std::string format : {"json", "yaml"}) {
            CAPTURE(format);
            const Run client = scene.kq({"submit", "ok", "--count", "3", "--dry-run=client", "-o", format});
            REQUIRE(client.status == 0);
            CHECK(parse_with_python(client.out, format) == "List 3\n");
            CHECK(kubectl_reads(client.out).size() == 3);

            const Run server =
                scene.kq({"submit", "param", "--params-file", params, "--dry-run=server", "-o", format});
            REQUIRE(server.status == 0);
            CHECK(parse_with_python(server.out, format) == "List 2\n");

            const Run created = scene.kq({"submit", "ok", "--count", "3", "-o", format});
            REQUIRE(created.status == 0);
            CHECK(parse_with_python(created.out, format) == "List 3\n");
            CHECK(created.err.find("kq: submitted 3 of 3 Jobs") == 0);

            // One Job is printed as itself, as before.
            const Run one = scene.kq({"submit", "ok", "-o", format});
            REQUIRE(one.status == 0);
            CHECK(parse_with_python(one.out, format) == "OBJECT Job\n");
        }
        CHECK(scene.kubectl_jobs().size() == 8);
        // The created List's items are the Jobs the server made, with their uids.
        const Run created = scene.kq({"submit", "param", "--params-file", params, "-o", "json"});
        REQUIRE(created.status == 0);
        const nlohmann::json list = nlohmann::json::parse(created.out);
        REQUIRE(list["items"].size() == 2);
        for (const nlohmann::json& item : list["items"])
            CHECK(item["metadata"]["uid"].is_string());
        const Run names = scene.kq({"submit", "ok", "--count", "2", "--dry-run=client", "-o", "name"});
        CHECK(names.out == "job.batch/ok-<generated>\njob.batch/ok-<generated>\n");
    }

    TEST_CASE("kq wait and kq delete print -o name, json and yaml") {
        Scene scene;
        const Run ok = scene.kq({"submit", "ok", "-o", "name"});
        const Run failed = scene.kq({"submit", "fail", "-o", "name"});
        REQUIRE(ok.status == 0);
        REQUIRE(failed.status == 0);
        const std::string ok_name = ok.out.substr(10, ok.out.size() - 11);
        const std::string failed_name = failed.out.substr(10, failed.out.size() - 11);

        const Run names = scene.kq({"wait", ok_name, failed_name, "-o", "name"});
        CHECK(names.status == 3);
        CHECK(names.out == fmt::format("job.batch/{}\njob.batch/{}\n", ok_name, failed_name));

        const Run json = scene.kq({"wait", ok_name, failed_name, "-o", "json"});
        CHECK(json.status == 3);
        const nlohmann::json document = nlohmann::json::parse(json.out);
        CHECK(document["exitCode"] == 3);
        REQUIRE(document["jobs"].size() == 2);
        CHECK(document["jobs"][0] == nlohmann::json{{"name", ok_name},
                                                    {"namespace", scene.ns.name()},
                                                    {"definition", "ok"},
                                                    {"result", "complete"},
                                                    {"exitCode", 0},
                                                    {"reason", nullptr},
                                                    {"message", nullptr},
                                                    {"pod", nullptr},
                                                    {"container", nullptr}});
        const nlohmann::json& bad = document["jobs"][1];
        CHECK(bad["result"] == "failed");
        CHECK(bad["exitCode"] == 3);
        CHECK(bad["reason"] == "BackoffLimitExceeded");
        CHECK(bad["container"] == "fail");
        CHECK(bad["pod"].get<std::string>().rfind(failed_name + "-", 0) == 0);
        const Run yaml = scene.kq({"wait", ok_name, "-o", "yaml"});
        CHECK(yaml.status == 0);
        CHECK(yaml.out.find("result: complete\n") != std::string::npos);

        const Run dry = scene.kq({"delete", ok_name, failed_name, "--dry-run", "-o", "json"});
        CHECK(dry.status == 0);
        CHECK(nlohmann::json::parse(dry.out) ==
              nlohmann::json{{"deleted",
                              {{{"name", ok_name}, {"namespace", scene.ns.name()}},
                               {{"name", failed_name}, {"namespace", scene.ns.name()}}}},
                             {"dryRun", "client"}});
        const Run by_name = scene.kq({"delete", ok_name, "-o", "name"});
        CHECK(by_name.status == 0);
        CHECK(by_name.out == fmt::format("job.batch/{}\n", ok_name));
        // A failed delete still prints the document of what was deleted, then exits 123.
        const Run partly = scene.kq({"delete", failed_name, "no-such-job", "-o", "yaml"});
        CHECK(partly.status == 123);
        CHECK(parse_with_python(partly.out, "yaml") == "OBJECT None\n");
        CHECK(partly.out.find(fmt::format("- name: {}\n", failed_name)) != std::string::npos);
        CHECK(partly.out.find("dryRun: null\n") != std::string::npos);
        CHECK(partly.err.find("\"no-such-job\" not found") != std::string::npos);
        CHECK(scene.kubectl_jobs().empty());
    }

    TEST_CASE("log filters and JSON log lines: kq run, kq submit --logs, kq logs; the exit code stays") {
        Scene scene;
        const Run included = scene.kq({"run", "ok", "--include", "t", "--include", "^zzz"});
        CHECK(included.status == 0);
        CHECK(included.out == "two\nthree\n");
        const Run excluded = scene.kq({"run", "fail", "--exclude", "."});
        CHECK(excluded.status == 3);
        CHECK(excluded.out.empty());
        const Run json = scene.kq({"run", "ok", "-o", "json", "--exclude", "one"});
        CHECK(json.status == 0);
        const std::vector<std::string> lines = lines_of(json.out);
        REQUIRE(lines.size() == 2);
        const nlohmann::json first = nlohmann::json::parse(lines[0]);
        const std::string job = first["job"].get<std::string>();
        CHECK(job.rfind("ok-", 0) == 0);
        CHECK(first["pod"].get<std::string>().rfind(job + "-", 0) == 0);
        CHECK(first["container"] == "ok");
        CHECK(first["timestamp"].is_string());
        CHECK(first["message"] == "two");
        CHECK(nlohmann::json::parse(lines[1])["message"] == "three");

        const Run submitted = scene.kq({"submit", "ok", "--logs", "--exclude", "two"});
        CHECK(submitted.status == 0);
        CHECK(submitted.out.ends_with(" created\none\nthree\n"));

        const Run logs = scene.kq({"logs", job, "--include", "^o"});
        CHECK(logs.status == 0);
        CHECK(logs.out == "one\n");
        const Run logs_json = scene.kq({"logs", job, "-o", "json"});
        CHECK(logs_json.status == 0);
        REQUIRE(lines_of(logs_json.out).size() == 3);
        CHECK(nlohmann::json::parse(lines_of(logs_json.out)[2])["message"] == "three");

        const Run bad = scene.kq({"logs", job, "--include", "("});
        CHECK(bad.status == 125);
        CHECK(bad.err.rfind("kq: error: --include: \"(\" is not a regular expression: ", 0) == 0);
    }

    TEST_CASE("--unique with --count or --params-file is a usage error") {
        Scene scene;
        const Run run = scene.kq({"submit", "ok", "--unique", "--count", "2"});
        CHECK(run.status == 125);
        CHECK(run.err ==
              "kq: error: --unique: allows one active Job of the definition; it can't be used with "
              "--count\n");
        CHECK(scene.kubectl_jobs().empty());
    }

} // TEST_SUITE

TEST_SUITE("unique") {

    TEST_CASE("8 racing kq submit --unique, 20 rounds: one Job runs each round, no loser's pod is made") {
        Scene scene;
        // Every pod of the definition that ever exists, from a watch started before the first round.
        BackgroundProcess pods({kubectl(), "--kubeconfig", cluster_kubeconfig(), "-n", scene.ns.name(), "get",
                                "pods", "-l", "kq.dev/definition=long", "--watch", "-o", "name"});
        constexpr int k_rounds = 20;
        constexpr int k_racers = 8;
        std::vector<std::string> winners;
        for (int round = 0; round < k_rounds; ++round) {
            CAPTURE(round);
            std::vector<Run> runs(k_racers);
            std::vector<std::thread> racers;
            for (int racer = 0; racer < k_racers; ++racer)
                racers.emplace_back([&runs, &scene, racer] {
                    runs[static_cast<size_t>(racer)] = scene.kq({"submit", "long", "--unique", "-o", "name"});
                });
            for (std::thread& racer : racers)
                racer.join();
            int won = 0;
            int refused = 0;
            for (const Run& run : runs) {
                if (run.status == 0) {
                    ++won;
                    winners.push_back(run.out.substr(10, run.out.size() - 11));
                } else if (run.status == 122) {
                    ++refused;
                    CHECK_MESSAGE(run.err.find("already has an active Job") != std::string::npos, run.err);
                } else {
                    FAIL_CHECK("unexpected exit ", run.status, ": ", run.err);
                }
            }
            CHECK(won == 1);
            CHECK(refused == k_racers - 1);
            // Exactly one Job of the definition exists, running, not suspended: every loser's is gone.
            const nlohmann::json jobs = scene.kubectl_jobs();
            REQUIRE(jobs.size() == 1);
            CHECK(jobs[0]["spec"]["suspend"] == false);
            const bool still_claim = jobs[0]["metadata"].contains("annotations") &&
                                     jobs[0]["metadata"]["annotations"].contains("kq.dev/unique-claim");
            CHECK_FALSE(still_claim);
            REQUIRE(won == 1);
            CHECK(jobs[0]["metadata"]["name"] == winners.back());
            // The next round starts with no active Job.
            REQUIRE(scene.kq({"delete", winners.back()}).status == 0);
            REQUIRE(eventually([&] { return scene.kubectl_jobs().empty(); }));
        }
        // Every pod ever made belongs to a winner.
        std::this_thread::sleep_for(std::chrono::seconds(1));
        const std::vector<std::string> seen = lines_of(pods.output());
        CHECK_FALSE(seen.empty());
        for (const std::string& pod : seen) {
            const bool of_winner =
                std::any_of(winners.begin(), winners.end(), [&](const std::string& winner) {
                    return pod.rfind("pod/" + winner + "-", 0) == 0;
                });
            CHECK_MESSAGE(of_winner, pod);
        }
    }

    TEST_CASE("an unsettled claim of another kq makes a submit stand back until it goes") {
        Scene scene;
        // A claim as another kq makes it, still unsettled: a second submit keeps trying while it is there
        // and wins once it is gone. (That a claim over a minute old no longer counts is a unit test: the
        // API server sets creation times, so a test can't back-date one.)
        const Run dry = scene.kq({"submit", "long", "--dry-run=client", "-o", "json"});
        REQUIRE(dry.status == 0);
        nlohmann::json claim = nlohmann::json::parse(dry.out);
        claim["metadata"]["name"] = "long-claim";
        claim["spec"]["suspend"] = true;
        claim["metadata"]["annotations"]["kq.dev/unique-claim"] = "pending";
        TempDir dir;
        write_file(dir.file("claim.json"), claim.dump());
        REQUIRE(run_program({kubectl(), "--kubeconfig", cluster_kubeconfig(), "-n", scene.ns.name(), "create",
                             "-f", dir.file("claim.json")})
                    .status == 0);
        std::thread remover([&] {
            std::this_thread::sleep_for(std::chrono::seconds(3));
            run_program({kubectl(), "--kubeconfig", cluster_kubeconfig(), "-n", scene.ns.name(), "delete",
                         "job", "long-claim"});
        });
        const auto started = std::chrono::steady_clock::now();
        const Run submitted = scene.kq({"submit", "long", "--unique", "-o", "name"});
        const auto took = std::chrono::steady_clock::now() - started;
        remover.join();
        CHECK(submitted.status == 0);
        CHECK(took >= std::chrono::seconds(2)); // it stood back while the claim was there
        const nlohmann::json jobs = scene.kubectl_jobs();
        REQUIRE(jobs.size() == 1);
        CHECK(jobs[0]["metadata"]["name"] != "long-claim");
        CHECK(jobs[0]["spec"]["suspend"] == false);
    }

} // TEST_SUITE
