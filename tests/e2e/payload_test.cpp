// End-to-end: payloads (`kq submit --payload|--payload-file`, `kq payload`, the `payload` key) against the
// real control plane: the ConfigMap or Secret named like the Job and owned by it, what the pod is given
// (the simulated node runs no container, so the pod's spec is checked, not a file in it), the limit
// refused before anything is created, a failed store deleting the Job, the garbage collector removing
// the payload after `kq delete` and after ttlSecondsAfterFinished, and a retried --idempotency-key.

#include "build_paths.hpp"
#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"
#include "jobs/payload.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <string>

using namespace kq::e2e;

namespace {

constexpr const char* k_payload_project = R"(version: 1
defaults:
  image: busybox:1.36
  annotations: {kq.test/run-seconds: "1"}
jobs:
  plain:
    description: any bytes, as a file
  order:
    description: a JSON order, also in $ORDER
    payload: {required: true, contentType: application/json, env: ORDER, maxBytes: 4096}
  secret:
    description: its payload in a Secret
    payload: {secret: true, env: TOKEN}
  short-lived:
    ttlSecondsAfterFinished: 1
  resize:
    params:
      size: {default: "1"}
)";

// A scratch project and namespace for one test.
struct PayloadScene {
    TempDir dir;
    TestNamespace ns{"kq-payload"};
    std::string file;

    PayloadScene() : file(dir.file("kq.yaml")) { write_file(file, k_payload_project); }

    // Runs kq with the project file and namespace.
    Run kq(std::vector<std::string> args) const {
        std::vector<std::string> full = {"-f", file, "-n", ns.name()};
        full.insert(full.end(), args.begin(), args.end());
        return run_kq(full);
    }

    // Runs kq through the shell, its standard input from a file.
    Run kq_with_stdin(const std::string& args, const std::string& input) const {
        const std::string command = std::string("'") + kq::testing::k_kq_binary + "' -f '" + file + "' -n " +
                                    ns.name() + " " + args + " < '" + input + "'";
        return run_program({"/bin/sh", "-c", command}, {{"KUBECONFIG", cluster_kubeconfig()}});
    }

    // A file of the scene with these bytes.
    std::string payload_file(const std::string& name, const std::string& bytes) const {
        const std::string path = dir.file(name);
        write_file(path, bytes);
        return path;
    }

    // An object of the namespace, or null when it does not exist.
    nlohmann::json get(const std::string& kind, const std::string& name) const {
        auto client = cluster_client("admin");
        const std::string path = kind == "jobs" ? "/apis/batch/v1/namespaces/" + ns.name() + "/jobs/" + name
                                                : "/api/v1/namespaces/" + ns.name() + "/" + kind + "/" + name;
        try {
            return client->get(path);
        } catch (const kq::kube::ApiError& error) {
            if (error.not_found()) return nullptr;
            throw;
        }
    }

    // A ResourceQuota of no Secrets, in force once the quota controller has counted it.
    void forbid_secrets() const {
        auto client = cluster_client("admin");
        const nlohmann::json quota = {{"apiVersion", "v1"},
                                      {"kind", "ResourceQuota"},
                                      {"metadata", {{"name", "no-secrets"}}},
                                      {"spec", {{"hard", {{"count/secrets", "0"}}}}}};
        const std::string quotas = "/api/v1/namespaces/" + ns.name() + "/resourcequotas";
        client->create(quotas, quota);
        REQUIRE(eventually([&] {
            const nlohmann::json status = client->get(quotas + "/no-secrets");
            return status.contains("status") && status["status"].contains("hard");
        }));
    }

    // How many objects of a kind the namespace holds, those kq made (label managed-by=kq).
    size_t count(const std::string& kind) const {
        auto client = cluster_client("admin");
        const std::string path = kind == "jobs" ? "/apis/batch/v1/namespaces/" + ns.name() + "/jobs"
                                                : "/api/v1/namespaces/" + ns.name() + "/" + kind;
        const nlohmann::json list = client->get(path, {{"labelSelector", "app.kubernetes.io/managed-by=kq"}});
        return list["items"].size();
    }
};

// The one Job name kq printed as "job.batch/NAME created".
std::string created_name(const Run& run) {
    const auto lines = lines_of(run.out);
    REQUIRE(lines.size() == 1);
    const std::string& line = lines.front();
    REQUIRE(line.starts_with("job.batch/"));
    return line.substr(10, line.find(' ') - 10);
}

std::string annotation(const nlohmann::json& object, const std::string& key) {
    return object["metadata"].value("annotations", nlohmann::json::object()).value(key, "");
}

// The container's env variable of that name, or null.
nlohmann::json env_of(const nlohmann::json& job, const std::string& name) {
    for (const nlohmann::json& variable : job["spec"]["template"]["spec"]["containers"][0]["env"]) {
        if (variable["name"] == name) return variable;
    }
    return nullptr;
}

// Every byte value, twice: not UTF-8.
std::string binary_bytes() {
    std::string bytes;
    for (int round = 0; round < 2; ++round) {
        for (int value = 0; value < 256; ++value)
            bytes.push_back(static_cast<char>(value));
    }
    return bytes;
}

} // namespace

TEST_SUITE("payload") {

    TEST_CASE("a payload is a ConfigMap owned by the Job, mounted at /var/run/kq/payload and in $ORDER") {
        PayloadScene scene;
        const std::string order = R"({"order": 42, "items": ["a", "b"]})";
        const Run run = scene.kq({"submit", "order", "--payload", scene.payload_file("order.json", order)});
        REQUIRE(run.status == 0);
        const std::string name = created_name(run);
        CHECK(run.err.empty());

        const nlohmann::json job = scene.get("jobs", name);
        CHECK(job["spec"].value("suspend", false) == false);
        CHECK(annotation(job, "kq.dev/payload-pending").empty());
        CHECK(annotation(job, "kq.dev/payload") == "configmap/" + name);
        CHECK(annotation(job, "kq.dev/payload-bytes") == std::to_string(order.size()));
        CHECK(annotation(job, "kq.dev/payload-sha256").size() == 64);
        const nlohmann::json& pod_spec = job["spec"]["template"]["spec"];
        REQUIRE(pod_spec["volumes"].size() == 1);
        CHECK(pod_spec["volumes"][0]["configMap"]["name"] == name);
        const nlohmann::json& mount = pod_spec["containers"][0]["volumeMounts"][0];
        CHECK(mount["mountPath"] == "/var/run/kq/payload");
        CHECK(mount["subPath"] == "payload");
        CHECK(mount["readOnly"] == true);
        CHECK(env_of(job, "KQ_PAYLOAD_FILE")["value"] == "/var/run/kq/payload");
        CHECK(env_of(job, "ORDER")["valueFrom"]["configMapKeyRef"] ==
              nlohmann::json({{"name", name}, {"key", "payload"}}));

        const nlohmann::json map = scene.get("configmaps", name);
        REQUIRE(!map.is_null());
        CHECK(map["data"]["payload"] == order);
        REQUIRE(map["metadata"]["ownerReferences"].size() == 1);
        const nlohmann::json& owner = map["metadata"]["ownerReferences"][0];
        CHECK(owner["kind"] == "Job");
        CHECK(owner["name"] == name);
        CHECK(owner["uid"] == job["metadata"]["uid"]);

        // The pod the Job controller made carries the same volume.
        auto client = cluster_client("admin");
        wait_finished(*client, scene.ns.name(), {name});
        const nlohmann::json pods = client->get("/api/v1/namespaces/" + scene.ns.name() + "/pods",
                                                {{"labelSelector", "job-name=" + name}});
        REQUIRE(pods["items"].size() == 1);
        CHECK(pods["items"][0]["spec"]["volumes"][0]["configMap"]["name"] == name);

        const Run printed = scene.kq({"payload", name});
        CHECK(printed.status == 0);
        CHECK(printed.out == order);
        const Run status = scene.kq({"status", name});
        bool shown = false;
        for (const std::string& line : lines_of(status.out)) {
            shown = shown || (line.starts_with("Payload:") &&
                              line.ends_with(fmt::format(" {} bytes (configmap/{})", order.size(), name)));
        }
        CHECK(shown);
        // -o json has it too, for scripts.
        const nlohmann::json document = nlohmann::json::parse(scene.kq({"status", name, "-o", "json"}).out);
        CHECK(document["payload"]["kind"] == "configmap");
        CHECK(document["payload"]["name"] == name);
        CHECK(document["payload"]["bytes"] == order.size());
        CHECK(document["payload"]["sha256"].is_string());
    }

    TEST_CASE("binary bytes from stdin come back from kq payload byte for byte, through binaryData") {
        PayloadScene scene;
        const std::string bytes = binary_bytes();
        const Run run = scene.kq_with_stdin("submit plain --payload -", scene.payload_file("blob", bytes));
        REQUIRE(run.status == 0);
        const std::string name = created_name(run);
        const nlohmann::json map = scene.get("configmaps", name);
        CHECK(!map.contains("data"));
        CHECK(map["binaryData"].contains("payload"));
        const Run printed = scene.kq({"payload", name});
        CHECK(printed.status == 0);
        CHECK(printed.out.size() == bytes.size());
        CHECK(printed.out == bytes);
    }

    TEST_CASE(
        "a payload of exactly 1048576 bytes is stored; one byte more is refused and nothing is created") {
        PayloadScene scene;
        std::string bytes(1048576, 'x');
        bytes[0] = '\xff'; // binaryData, the larger request
        const Run at_limit = scene.kq({"submit", "plain", "--payload", scene.payload_file("max", bytes)});
        REQUIRE(at_limit.status == 0);
        const std::string name = created_name(at_limit);
        CHECK(scene.kq({"payload", name}).out == bytes);
        CHECK(scene.count("jobs") == 1);

        bytes.push_back('x');
        const std::string over = scene.payload_file("over", bytes);
        const Run refused = scene.kq({"submit", "plain", "--payload", over});
        CHECK(refused.status == 125);
        CHECK(refused.out.empty());
        CHECK(refused.err ==
              "kq: error: --payload " + over +
                  ": the payload is more than the 1048576 bytes a payload may hold (one ConfigMap "
                  "or Secret)\n");
        CHECK(scene.count("jobs") == 1);
        CHECK(scene.count("configmaps") == 1);
    }

    TEST_CASE(
        "the definition's payload key: required, maxBytes and JSON are checked before anything is created") {
        PayloadScene scene;
        const Run missing = scene.kq({"submit", "order"});
        CHECK(missing.status == 125);
        CHECK(missing.err == "kq: error: job \"order\" requires a payload (payload.required in " +
                                 scene.file + "); give --payload FILE or --payload-file FILE\n");
        const std::string not_json = scene.payload_file("bad.json", "{\"order\": ");
        const Run bad = scene.kq({"submit", "order", "--payload", not_json});
        CHECK(bad.status == 125);
        CHECK(
            bad.err.starts_with("kq: error: --payload " + not_json +
                                ": the payload is not JSON, which job \"order\" takes (payload.contentType: "
                                "application/json): "));
        const Run large = scene.kq({"submit", "order", "--payload",
                                    scene.payload_file("big.json", "[" + std::string(5000, ' ') + "]")});
        CHECK(large.status == 125);
        CHECK(large.err.find(
                  "the payload is 5002 bytes, more than job \"order\" takes (payload.maxBytes: 4096)") !=
              std::string::npos);
        CHECK(scene.count("jobs") == 0);
        CHECK(scene.count("configmaps") == 0);
    }

    TEST_CASE("a payload the server refuses to store deletes its Job") {
        PayloadScene scene;
        // A quota of no Secrets: the API server refuses the payload's Secret after the Job was created.
        scene.forbid_secrets();
        const Run run = scene.kq({"submit", "secret", "--payload", scene.payload_file("token", "s3cret")});
        CHECK(run.status == 123);
        CHECK(run.err.find("exceeded quota: no-secrets") != std::string::npos);
        CHECK(run.err.find("was deleted, as its payload could not be stored") != std::string::npos);
        // Deleted (it may linger while the Job controller removes its finalizer-free state).
        CHECK(eventually([&] { return scene.count("jobs") == 0; }));
        CHECK(scene.count("secrets") == 0);
    }

    TEST_CASE("the garbage collector removes the payload after kq delete and after ttlSecondsAfterFinished") {
        PayloadScene scene;
        const Run first = scene.kq({"submit", "plain", "--payload", scene.payload_file("a", "one")});
        REQUIRE(first.status == 0);
        const std::string deleted = created_name(first);
        const Run second = scene.kq({"submit", "short-lived", "--payload", scene.payload_file("b", "two")});
        REQUIRE(second.status == 0);
        const std::string expiring = created_name(second);
        REQUIRE(!scene.get("configmaps", deleted).is_null());
        REQUIRE(!scene.get("configmaps", expiring).is_null());

        const Run removed = scene.kq({"delete", deleted});
        CHECK(removed.status == 0);
        CHECK(eventually([&] { return scene.get("configmaps", deleted).is_null(); }));
        // ttlSecondsAfterFinished: 1 removes the finished Job, and with it its payload.
        CHECK(eventually([&] { return scene.get("jobs", expiring).is_null(); }, std::chrono::seconds(90)));
        CHECK(eventually([&] { return scene.get("configmaps", expiring).is_null(); }));
    }

    TEST_CASE(
        "a retried --idempotency-key reuses the Job and its payload, refuses another payload, and finishes "
        "a pending one") {
        PayloadScene scene;
        const std::string payload = scene.payload_file("p", "same bytes");
        const Run first = scene.kq({"submit", "plain", "--payload", payload, "--idempotency-key", "k1"});
        REQUIRE(first.status == 0);
        const std::string name = created_name(first);
        const std::string map_uid = scene.get("configmaps", name)["metadata"]["uid"];
        const Run again = scene.kq({"submit", "plain", "--payload", payload, "--idempotency-key", "k1"});
        CHECK(again.status == 0);
        CHECK(again.out == "job.batch/" + name + " unchanged\n");
        CHECK(scene.get("configmaps", name)["metadata"]["uid"] == map_uid);
        CHECK(scene.count("jobs") == 1);

        const Run other = scene.kq({"submit", "plain", "--payload", scene.payload_file("q", "other bytes"),
                                    "--idempotency-key", "k1"});
        CHECK(other.status == 125);
        CHECK(other.err.starts_with("kq: error: --idempotency-key: job.batch/" + name +
                                    " already exists with another payload"));

        // A kq killed after creating the Job left it suspended and pending, with no payload object: the
        // same submission again stores the payload and starts the Job.
        const Run manifest = scene.kq({"submit", "plain", "--payload", payload, "--idempotency-key", "k2",
                                       "--dry-run=client", "-o", "json"});
        REQUIRE(manifest.status == 0);
        const nlohmann::json pending = nlohmann::json::parse(manifest.out);
        const std::string pending_name = pending["metadata"]["name"];
        auto client = cluster_client("admin");
        client->create("/apis/batch/v1/namespaces/" + scene.ns.name() + "/jobs", pending);
        CHECK(scene.get("configmaps", pending_name).is_null());
        const Run finished = scene.kq({"submit", "plain", "--payload", payload, "--idempotency-key", "k2"});
        CHECK(finished.status == 0);
        CHECK(finished.out == "job.batch/" + pending_name + " unchanged\n");
        const nlohmann::json job = scene.get("jobs", pending_name);
        CHECK(job["spec"].value("suspend", false) == false);
        CHECK(annotation(job, "kq.dev/payload-pending").empty());
        const nlohmann::json map = scene.get("configmaps", pending_name);
        REQUIRE(!map.is_null());
        CHECK(map["data"]["payload"] == "same bytes");
        CHECK(map["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]);
    }

    TEST_CASE(
        "the secret variant: a Secret owned by the Job, $TOKEN from secretKeyRef, and --payload-secret") {
        PayloadScene scene;
        const Run run = scene.kq({"submit", "secret", "--payload", scene.payload_file("token", "s3cret")});
        REQUIRE(run.status == 0);
        const std::string name = created_name(run);
        const nlohmann::json job = scene.get("jobs", name);
        CHECK(annotation(job, "kq.dev/payload") == "secret/" + name);
        CHECK(job["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"] == name);
        CHECK(env_of(job, "TOKEN")["valueFrom"]["secretKeyRef"] ==
              nlohmann::json({{"name", name}, {"key", "payload"}}));
        const nlohmann::json secret = scene.get("secrets", name);
        REQUIRE(!secret.is_null());
        CHECK(secret["data"]["payload"] == "czNjcmV0"); // base64 of s3cret
        CHECK(secret["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]);
        CHECK(scene.get("configmaps", name).is_null());
        CHECK(scene.kq({"payload", name}).out == "s3cret");

        const Run flag =
            scene.kq({"submit", "plain", "--payload-secret", "--payload", scene.payload_file("b", "x")});
        REQUIRE(flag.status == 0);
        const std::string flagged = created_name(flag);
        CHECK(!scene.get("secrets", flagged).is_null());
        CHECK(scene.kq({"status", flagged}).out.find("(secret/" + flagged + ")") != std::string::npos);
    }

    TEST_CASE("an interrupt between the Job and its payload deletes the Job, leaving nothing half made") {
        PayloadScene scene;
        const Run manifest = scene.kq({"submit", "plain", "--payload", scene.payload_file("p", "bytes"),
                                       "--idempotency-key", "ctrl-c", "--dry-run=client", "-o", "json"});
        REQUIRE(manifest.status == 0);
        auto client = cluster_client("admin");
        // The Job as kq creates it (suspended, pending), then the Ctrl-C that comes before the payload.
        const nlohmann::json job = client->create("/apis/batch/v1/namespaces/" + scene.ns.name() + "/jobs",
                                                  nlohmann::json::parse(manifest.out));
        const std::string name = job["metadata"]["name"];
        kq::clear_interrupt();
        kq::catch_interrupts();
        std::raise(SIGINT);
        kq::jobs::Payload payload;
        payload.bytes = "bytes";
        std::string message;
        try {
            (void)kq::jobs::deliver_payload(*client, scene.ns.name(), job, payload, false);
        } catch (const kq::Error& error) {
            CHECK(error.kind() == kq::ErrorKind::interrupted);
            message = error.what();
        }
        kq::clear_interrupt();
        CHECK(message == "interrupted; job.batch/" + name + " was deleted before its payload was stored");
        CHECK(eventually([&] { return scene.get("jobs", name).is_null(); }));
        CHECK(scene.get("configmaps", name).is_null());
    }

    TEST_CASE(
        "kq rerun copies a failed Job with its payload; --failed re-runs only Jobs no Job re-runs yet") {
        PayloadScene scene;
        write_file(scene.file, std::string(k_payload_project) + R"(  flaky:
    backoffLimit: 0
    params:
      who: {default: world}
    args: ["{{ params.who }}"]
    annotations: {kq.test/run-seconds: "1", kq.test/exit-code: "3"}
)");
        const Run first = scene.kq(
            {"submit", "flaky", "-p", "who=me", "--payload", scene.payload_file("p", "data"), "--wait"});
        CHECK(first.status == 3);
        const std::string old = created_name(first);
        const nlohmann::json old_job = scene.get("jobs", old);
        CHECK(annotation(old_job, "kq.dev/params") == R"({"who":"me"})");

        const Run dry = scene.kq({"rerun", "--failed", "--job", "flaky", "--dry-run"});
        CHECK(dry.status == 0);
        CHECK(dry.out == "job.batch/" + old + "\n");

        const Run rerun = scene.kq({"rerun", old, "--wait"});
        CHECK(rerun.status == 3);
        const auto lines = lines_of(rerun.out);
        REQUIRE(!lines.empty());
        REQUIRE(lines[0].ends_with(" created (re-run of job.batch/" + old + ")"));
        const std::string fresh = lines[0].substr(10, lines[0].find(' ') - 10);
        const nlohmann::json job = scene.get("jobs", fresh);
        CHECK(job["metadata"]["labels"]["kq.dev/rerun-of"] == old);
        CHECK(job["spec"]["template"]["spec"]["containers"][0]["args"] == nlohmann::json::array({"me"}));
        CHECK(scene.kq({"payload", fresh}).out == "data");
        const nlohmann::json map = scene.get("configmaps", fresh);
        REQUIRE(!map.is_null());
        CHECK(map["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]);

        // The old one is re-run now; the re-run failed and is the one left to re-run.
        const Run next = scene.kq({"rerun", "--failed", "--job", "flaky", "--dry-run"});
        CHECK(next.out == "job.batch/" + fresh + "\n");

        const Run rendered =
            scene.kq({"rerun", fresh, "--from-definition", "-p", "who=you", "--dry-run", "-o", "json"});
        CHECK(rendered.status == 0);
        const nlohmann::json manifest = nlohmann::json::parse(rendered.out);
        CHECK(manifest["spec"]["template"]["spec"]["containers"][0]["args"] ==
              nlohmann::json::array({"you"}));
        CHECK(scene.kq({"rerun", fresh, "-p", "who=x"}).status == 125);
    }

    TEST_CASE("the Role of examples/rbac/kq-ci.yaml is enough for a payload") {
        TempDir dir;
        const std::string file = dir.file("kq.yaml");
        write_file(file, k_payload_project);
        const std::string payload = dir.file("p");
        write_file(payload, "limited");
        const std::vector<std::string> base = {"-f", file, "--context", "limited", "-n", "kq-e2e"};
        auto with = [&](std::vector<std::string> args) {
            std::vector<std::string> full = base;
            full.insert(full.end(), args.begin(), args.end());
            return run_kq(full);
        };
        const Run run = with({"submit", "plain", "--payload", payload});
        REQUIRE(run.status == 0);
        const std::string name = created_name(run);
        CHECK(with({"payload", name}).out == "limited");
        CHECK(with({"delete", name}).status == 0);
    }

    TEST_CASE("--payload-file gives each Job of a fan-out its line, beside --params-file or alone") {
        PayloadScene scene;
        const std::string params = scene.payload_file("params.jsonl", "{\"size\": 1}\n{\"size\": 2}\n");
        const std::string payloads = scene.payload_file("payloads.jsonl", "{\"n\": 1}\n\n[2]\n");
        const Run run =
            scene.kq({"submit", "resize", "--params-file", params, "--payload-file", payloads, "-o", "name"});
        REQUIRE(run.status == 0);
        const auto names = lines_of(run.out);
        REQUIRE(names.size() == 2);
        std::set<std::string> seen;
        for (const std::string& line : names) {
            const std::string name = line.substr(10);
            const nlohmann::json job = scene.get("jobs", name);
            CHECK(job["spec"].value("suspend", false) == false);
            seen.insert(scene.kq({"payload", name}).out);
        }
        CHECK(seen == std::set<std::string>{"{\"n\": 1}", "[2]"});

        const Run alone = scene.kq({"submit", "plain", "--payload-file", payloads, "-o", "name"});
        CHECK(alone.status == 0);
        CHECK(lines_of(alone.out).size() == 2);

        const std::string three = scene.payload_file("three.jsonl", "1\n2\n3\n");
        const Run mismatch = scene.kq({"submit", "resize", "--params-file", params, "--payload-file", three});
        CHECK(mismatch.status == 125);
        CHECK(mismatch.err == "kq: error: " + three + ":3: payload 3 has no line of --params-file " + params +
                                  ", which has 2; give one payload per params line\n");
        const std::string broken = scene.payload_file("broken.jsonl", "1\n{oops\n");
        const Run not_json = scene.kq({"submit", "plain", "--payload-file", broken});
        CHECK(not_json.status == 125);
        CHECK(not_json.err.starts_with("kq: error: " + broken + ":2: not JSON: "));
        CHECK(scene.count("jobs") == 4);
    }

    TEST_CASE("a fan-out stores every payload, finishes pending Jobs on a retried key, and deletes every Job "
              "whose payload is refused") {
        PayloadScene scene;
        auto client = cluster_client("admin");
        const std::string jobs = "/apis/batch/v1/namespaces/" + scene.ns.name() + "/jobs";
        const std::string maps = "/api/v1/namespaces/" + scene.ns.name() + "/configmaps";
        std::string lines;
        std::set<std::string> expected;
        for (int line = 0; line < 100; ++line) {
            lines += fmt::format("{{\"line\": {}}}\n", line);
            expected.insert(fmt::format("{{\"line\": {}}}", line));
        }
        const std::string payloads = scene.payload_file("hundred.jsonl", lines);
        const Run run = scene.kq({"submit", "plain", "--payload-file", payloads, "--idempotency-key", "fan"});
        REQUIRE(run.status == 0);
        REQUIRE(lines_of(run.out).size() == 100);

        // Each Job is released and owns the ConfigMap of its line.
        auto check_all = [&] {
            std::map<std::string, std::string> uids;
            const nlohmann::json job_list = client->get(jobs);
            for (const nlohmann::json& job : job_list["items"]) {
                CHECK(job["spec"].value("suspend", false) == false);
                CHECK(annotation(job, "kq.dev/payload-pending").empty());
                uids[job["metadata"]["name"]] = job["metadata"]["uid"];
            }
            CHECK(uids.size() == 100);
            std::set<std::string> stored;
            const nlohmann::json map_list =
                client->get(maps, {{"labelSelector", "app.kubernetes.io/managed-by=kq"}});
            for (const nlohmann::json& map : map_list["items"]) {
                const std::string name = map["metadata"]["name"];
                REQUIRE(uids.contains(name));
                CHECK(map["metadata"]["ownerReferences"][0]["uid"] == uids[name]);
                stored.insert(map["data"]["payload"].get<std::string>());
            }
            CHECK(stored == expected);
            return uids;
        };
        const std::map<std::string, std::string> uids = check_all();

        // A kq killed in the middle: two Jobs made pending again, one with its payload object already
        // stored (the retry meets it: 409), one without.
        auto it = uids.begin();
        const std::string kept = (it++)->first;
        const std::string missing = it->first;
        const std::string kept_map_uid = scene.get("configmaps", kept)["metadata"]["uid"];
        for (const std::string& name : {kept, missing}) {
            client->patch(jobs + "/" + name,
                          {{"metadata", {{"annotations", {{"kq.dev/payload-pending", "true"}}}}},
                           {"spec", {{"suspend", true}}}});
        }
        const std::string lost = scene.get("configmaps", missing)["data"]["payload"];
        client->remove(maps + "/" + missing);
        REQUIRE(eventually([&] { return scene.get("configmaps", missing).is_null(); }));
        const Run again =
            scene.kq({"submit", "plain", "--payload-file", payloads, "--idempotency-key", "fan"});
        CHECK(again.status == 0);
        CHECK(lines_of(again.out).size() == 100);
        CHECK(again.out.find(" created") == std::string::npos);
        check_all();
        CHECK(scene.get("configmaps", kept)["metadata"]["uid"] == kept_map_uid);
        CHECK(scene.get("configmaps", missing)["data"]["payload"] == lost);

        // A quota of no Secrets: every payload is refused, and every Job of the fan-out is deleted.
        scene.forbid_secrets();
        const Run refused = scene.kq({"submit", "secret", "--count", "5", "--payload", payloads});
        CHECK(refused.status == 123);
        CHECK(refused.err.starts_with("kq: submitted 0 of 5 Jobs in "));
        CHECK(refused.err.find("\nkq: error: 5 of 5 Jobs were not created: Job 1: secrets \"secret-") !=
              std::string::npos);
        CHECK(refused.err.find("exceeded quota: no-secrets") != std::string::npos);
        CHECK(refused.err.find("was deleted, as its payload could not be stored") != std::string::npos);
        CHECK(eventually([&] { return scene.count("jobs") == 100; }));
        CHECK(scene.count("secrets") == 0);
    }
}
