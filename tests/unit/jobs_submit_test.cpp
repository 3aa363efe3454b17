// Unit tests of jobs/submit: planning a submission, adopting a Job found under a fixed name, and the
// fan-out's accounting of failed, lost and throttled creates, against a scripted API server.

#include "fake_api_server.hpp"
#include "jobs/submission.hpp"
#include "jobs/submit.hpp"
#include "project/loader.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using kq::testing::fake_config;
using kq::testing::FakeApiServer;
using kq::testing::FakeRequest;
using kq::testing::FakeResponse;
using kq::testing::fast_retries;
using kq::testing::json_answer;
using kq::testing::status_body;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A definition "resize" whose one param goes into the container's args and must be one of three sizes.
const kq::project::JobDef& resize_job() {
    static const kq::project::Project project =
        kq::project::load_project("version: 1\n"
                                  "jobs:\n"
                                  "  resize:\n"
                                  "    image: busybox\n"
                                  "    args: ['--size={{ params.size }}']\n"
                                  "    params:\n"
                                  "      size: {default: '10', enum: ['10', '20', '30']}\n",
                                  "kq.yaml");
    return *project.find_job("resize");
}

const std::string k_jobs = "/apis/batch/v1/namespaces/batch/jobs";

std::string args_of(const json& manifest) {
    return manifest["spec"]["template"]["spec"]["containers"][0]["args"][0].get<std::string>();
}

std::string hash_of(const json& manifest) {
    return manifest["metadata"]["labels"]["kq.dev/spec-hash"].get<std::string>();
}

// The server's Job as a create makes it: the manifest with a name (generated when it has none).
json created_from(const json& manifest, int number) {
    json object = manifest;
    if (!object["metadata"].contains("name"))
        object["metadata"]["name"] =
            object["metadata"]["generateName"].get<std::string>() + std::to_string(number);
    object["metadata"]["namespace"] = "batch";
    object["metadata"]["managedFields"] = json::array({{{"manager", "kq"}}});
    return object;
}

kq::jobs::PlanOptions lines(const std::string& text) {
    kq::jobs::PlanOptions options;
    options.params_text = text;
    options.params_file = "sizes.jsonl";
    return options;
}

// The requests a server saw, by method and path, without their order.
std::vector<std::string> sorted_requests(const FakeApiServer& server) {
    std::vector<std::string> seen;
    for (const FakeRequest& request : server.requests())
        seen.push_back(request.method + " " + request.path());
    std::sort(seen.begin(), seen.end());
    return seen;
}

// What a fan-out told its handler: "NAME created" or "NAME unchanged", sorted (answers come in any order).
struct Told {
    std::vector<std::string> lines;
    kq::jobs::CreateHandlers handlers() {
        kq::jobs::CreateHandlers handlers;
        handlers.created = [this](const json& object, bool unchanged) {
            lines.push_back(object["metadata"]["name"].get<std::string>() +
                            (unchanged ? " unchanged" : " created"));
        };
        return handlers;
    }
    std::vector<std::string> sorted() const {
        std::vector<std::string> copy = lines;
        std::sort(copy.begin(), copy.end());
        return copy;
    }
};

std::string error_of(const std::function<void()>& action, kq::ErrorKind kind) {
    try {
        action();
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kind);
        return error.what();
    }
    FAIL("no error");
    return "";
}

} // namespace

TEST_CASE("plan: a params file makes one Job per line, each with its own manifest") {
    const kq::jobs::Submission submission =
        kq::jobs::plan(resize_job(), "batch", lines("{\"size\": \"20\"}\n\n{\"size\": 30}\n"));
    REQUIRE(submission.entries.size() == 2);
    CHECK(submission.shared.is_null());
    CHECK(submission.entries[0].params == 0);
    CHECK(submission.entries[1].params == 1);
    CHECK(args_of(submission.manifest(submission.entries[0])) == "--size=20");
    CHECK(args_of(submission.manifest(submission.entries[1])) == "--size=30");
    CHECK(submission.manifest(submission.entries[1])["metadata"]["namespace"] == "batch");
    CHECK(submission.entries[0].spec_hash == hash_of(submission.manifest(submission.entries[0])));
    CHECK(submission.entries[0].spec_hash != submission.entries[1].spec_hash);
    CHECK(submission.entries[0].fixed_name.empty());
}

TEST_CASE("plan: -p sets what a params line leaves out, and a line's own value wins") {
    kq::jobs::PlanOptions options = lines("{}\n{\"size\": \"30\"}\n");
    options.params = {{"size", "20"}};
    const kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    REQUIRE(submission.entries.size() == 2);
    CHECK(args_of(submission.manifest(submission.entries[0])) == "--size=20");
    CHECK(args_of(submission.manifest(submission.entries[1])) == "--size=30");
}

TEST_CASE("plan: --count makes Jobs alike, which share one manifest") {
    kq::jobs::PlanOptions options;
    options.count = 3;
    options.params = {{"size", "20"}};
    const kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    REQUIRE(submission.entries.size() == 3);
    REQUIRE(submission.shared.is_object());
    CHECK(args_of(submission.shared) == "--size=20");
    for (const kq::jobs::Planned& entry : submission.entries) {
        CHECK(entry.fixed_name.empty());
        CHECK(entry.spec_hash == hash_of(submission.shared));
        CHECK(submission.manifest(entry) == submission.shared);
    }
    CHECK(submission.shared["metadata"]["generateName"] == "resize-");
}

TEST_CASE("plan: --suspend sets spec.suspend on every manifest, outside the spec hash") {
    kq::jobs::PlanOptions options;
    options.count = 2;
    const kq::jobs::Submission plain = kq::jobs::plan(resize_job(), "batch", options);
    options.suspend = true;
    const kq::jobs::Submission suspended = kq::jobs::plan(resize_job(), "batch", options);
    REQUIRE(suspended.entries.size() == 2);
    CHECK(suspended.shared["spec"]["suspend"] == true);
    CHECK_FALSE(plain.shared["spec"].contains("suspend"));
    // kq resume flips spec.suspend; a retried submission must still find its Job the same.
    CHECK(suspended.entries[0].spec_hash == plain.entries[0].spec_hash);

    options.count = 1;
    options.idempotency_key = "nightly";
    const kq::jobs::Submission named = kq::jobs::plan(resize_job(), "batch", options);
    CHECK(named.manifest(named.entries[0])["spec"]["suspend"] == true);
}

TEST_CASE("plan: an idempotency key names each Job, so each is rendered with its own name") {
    kq::jobs::PlanOptions options;
    options.idempotency_key = "run-7";
    const kq::jobs::Submission one = kq::jobs::plan(resize_job(), "batch", options);
    REQUIRE(one.entries.size() == 1);
    CHECK(one.entries[0].fixed_name == kq::jobs::idempotent_job_name("batch", "resize", "run-7"));
    CHECK(one.manifest(one.entries[0])["metadata"]["name"] == one.entries[0].fixed_name);

    options.count = 2;
    const kq::jobs::Submission two = kq::jobs::plan(resize_job(), "batch", options);
    REQUIRE(two.entries.size() == 2);
    CHECK(two.shared.is_null());
    CHECK(two.entries[0].fixed_name == kq::jobs::idempotent_job_name("batch", "resize", "run-7/0"));
    CHECK(two.entries[1].fixed_name == kq::jobs::idempotent_job_name("batch", "resize", "run-7/1"));
    // The same spec under two names: the hash leaves the name out.
    CHECK(two.entries[0].spec_hash == two.entries[1].spec_hash);
    // The key's name depends on the namespace, so that a retry elsewhere makes its own Job.
    CHECK(kq::jobs::plan(resize_job(), "other", options).entries[0].fixed_name != two.entries[0].fixed_name);
}

TEST_CASE("plan: a bad params line fails naming the file and line, before any create") {
    int requests = 0;
    FakeApiServer server([&](const FakeRequest&, int) {
        ++requests;
        return json_answer(500, status_body(500, "InternalError", "not to be reached"));
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    auto submit = [&] {
        kq::jobs::Submission submission =
            kq::jobs::plan(resize_job(), "batch", lines("{\"size\": \"20\"}\n{\"size\": \"25\"}\n"));
        (void)kq::jobs::create_all(client, "batch", submission, {});
    };
    CHECK(error_of(submit, kq::ErrorKind::usage) == "sizes.jsonl:2: -p \"size=25\": param \"size\" of job "
                                                    "\"resize\" is not one of \"10\", \"20\", \"30\"; "
                                                    "did you mean \"20\"?");
    CHECK(requests == 0);
    // A line that is no JSON object fails while reading the file.
    CHECK(error_of([&] { (void)kq::jobs::plan(resize_job(), "batch", lines("{\"size\": \"20\"}\n[1]\n")); },
                   kq::ErrorKind::usage) == "sizes.jsonl:2: expected a JSON object of params");
    kq::jobs::PlanOptions count;
    count.count = 2;
    count.params = {{"size", "7"}};
    CHECK(error_of([&] { (void)kq::jobs::plan(resize_job(), "batch", count); }, kq::ErrorKind::usage) ==
          "Job 1 of 2: -p \"size=7\": param \"size\" of job \"resize\" is not one of \"10\", \"20\", \"30\"");
}

TEST_CASE("adoption: a 409 on an idempotent name with the same spec is this submission's own Job") {
    kq::jobs::PlanOptions options;
    options.idempotency_key = "run-7";
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    const std::string name = submission.entries[0].fixed_name;
    const json existing = created_from(submission.manifest(submission.entries[0]), 0);
    FakeApiServer server([&](const FakeRequest& request, int) {
        if (request.method == "POST")
            return json_answer(
                409, status_body(409, "AlreadyExists", "jobs.batch \"" + name + "\" already exists"));
        return json_answer(200, existing);
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    const kq::jobs::CreateReport report = kq::jobs::create_all(client, "batch", submission, {});
    CHECK(report.created == 1);
    CHECK(submission.entries[0].unchanged);
    CHECK(submission.entries[0].created == existing);
    CHECK(sorted_requests(server) ==
          std::vector<std::string>{"GET " + k_jobs + "/" + name, "POST " + k_jobs});
}

TEST_CASE("adoption: a 409 on an idempotent name with another spec is a usage error") {
    kq::jobs::PlanOptions options;
    options.idempotency_key = "run-7";
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    const std::string name = submission.entries[0].fixed_name;
    const std::string ours = submission.entries[0].spec_hash;
    json existing = created_from(submission.manifest(submission.entries[0]), 0);
    existing["metadata"]["labels"]["kq.dev/spec-hash"] = "0123456789abcdef";
    FakeApiServer server([&](const FakeRequest& request, int) {
        if (request.method == "POST")
            return json_answer(
                409, status_body(409, "AlreadyExists", "jobs.batch \"" + name + "\" already exists"));
        return json_answer(200, existing);
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    CHECK(
        error_of([&] { (void)kq::jobs::create_all(client, "batch", submission, {}); },
                 kq::ErrorKind::usage) ==
        "--idempotency-key: job.batch/" + name + " already exists with a different spec (spec-hash " + ours +
            " here, 0123456789abcdef there): the key \"run-7\" was used with other params or another version "
            "of definition \"resize\"; use a new key");
    CHECK_FALSE(submission.entries[0].unchanged);
}

TEST_CASE("adoption: without an idempotency key a taken --name is the server's 409") {
    kq::jobs::PlanOptions options;
    options.name = "resize-now";
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    const json existing = created_from(submission.manifest(submission.entries[0]), 0);
    FakeApiServer server([&](const FakeRequest& request, int) {
        if (request.method == "POST")
            return json_answer(409,
                               status_body(409, "AlreadyExists", "jobs.batch \"resize-now\" already exists"));
        return json_answer(200, existing);
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    CHECK(error_of([&] { (void)kq::jobs::create_all(client, "batch", submission, {}); },
                   kq::ErrorKind::cluster) == "jobs.batch \"resize-now\" already exists");
}

TEST_CASE("one Job whose create answer was lost is not sent again, and the error says it may exist") {
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", {});
    FakeApiServer server([&](const FakeRequest&, int) {
        FakeResponse response;
        response.drop = true;
        return response;
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    const std::string message = error_of([&] { (void)kq::jobs::create_all(client, "batch", submission, {}); },
                                         kq::ErrorKind::cluster);
    CHECK(message == "the connection to " + server.url() +
                         " broke (context \"fake\" in /fake/config): Empty reply from server; the Job may "
                         "have been created: look with 'kq list' before submitting again (with "
                         "--idempotency-key a repeated submission finds its Job instead of making another)");
    CHECK(server.requests().size() == 1);
}

TEST_CASE("fan-out: failed creates are listed by their place in the submission, the rest created") {
    kq::jobs::Submission submission = kq::jobs::plan(
        resize_job(), "batch", lines("{\"size\": \"10\"}\n{\"size\": \"20\"}\n{\"size\": \"30\"}\n{}\n"));
    std::mutex mutex;
    int posts = 0;
    FakeApiServer server([&](const FakeRequest& request, int) {
        const json manifest = json::parse(request.body);
        const std::lock_guard<std::mutex> lock(mutex);
        const int number = ++posts;
        if (args_of(manifest) == "--size=20")
            return json_answer(500, status_body(500, "InternalError", "etcdserver: request timed out"));
        if (args_of(manifest) == "--size=30") {
            return json_answer(
                422, status_body(422, "Invalid",
                                 "Job.batch \"resize-x\" is invalid: spec.template: Forbidden: by policy"));
        }
        return json_answer(201, created_from(manifest, number));
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    Told told;
    const kq::jobs::CreateReport report =
        kq::jobs::create_all(client, "batch", submission, {}, told.handlers());
    CHECK(report.total == 4);
    CHECK(report.created == 2);
    CHECK(report.throttled == 0);
    CHECK(report.failures ==
          std::vector<std::string>{
              "Job 2: etcdserver: request timed out",
              "Job 3: Job.batch \"resize-x\" is invalid: spec.template: Forbidden: by policy"});
    CHECK(told.lines.size() == 2);
    // Without --wait only the name of each created Job is kept.
    CHECK(submission.entries[0].created.size() == 1);
    CHECK(submission.entries[0].created["metadata"].size() == 1);
    CHECK(submission.entries[1].created.is_null());
    // A create the server refused is not sent again: it may have acted on it.
    CHECK(server.requests().size() == 4);
    CHECK(error_of([&] { kq::jobs::throw_if_not_created(report); }, kq::ErrorKind::cluster) ==
          "2 of 4 Jobs were not created: Job 2: etcdserver: request timed out; Job 3: Job.batch \"resize-x\" "
          "is "
          "invalid: spec.template: Forbidden: by policy");
}

TEST_CASE("fan-out: the error quotes the first ten failures and counts the rest") {
    kq::jobs::PlanOptions options;
    options.count = 12;
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    FakeApiServer server(
        [&](const FakeRequest&, int) { return json_answer(403, status_body(403, "Forbidden", "no")); });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    const kq::jobs::CreateReport report = kq::jobs::create_all(client, "batch", submission, {});
    CHECK(report.created == 0);
    CHECK(error_of([&] { kq::jobs::throw_if_not_created(report); }, kq::ErrorKind::cluster) ==
          "12 of 12 Jobs were not created: Job 1: no; Job 2: no; Job 3: no; Job 4: no; Job 5: no; Job 6: no; "
          "Job 7: no; Job 8: no; Job 9: no; Job 10: no; and 2 more");
}

TEST_CASE("fan-out: a lost answer without a fixed name is not retried and may have been created") {
    kq::jobs::Submission submission =
        kq::jobs::plan(resize_job(), "batch", lines("{\"size\": \"10\"}\n{\"size\": \"20\"}\n"));
    std::mutex mutex;
    std::vector<std::string> seen;
    FakeApiServer server([&](const FakeRequest& request, int index) {
        const json manifest = json::parse(request.body);
        const std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(args_of(manifest));
        if (args_of(manifest) == "--size=20") {
            FakeResponse response;
            response.drop = true;
            return response;
        }
        return json_answer(201, created_from(manifest, index));
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    const kq::jobs::CreateReport report = kq::jobs::create_all(client, "batch", submission, {});
    CHECK(report.created == 1);
    REQUIRE(report.failures.size() == 1);
    CHECK(report.failures[0] ==
          "Job 2: the connection to " + server.url() +
              " broke (context \"fake\" in /fake/config): Empty reply from server (it may "
              "have been created)");
    std::sort(seen.begin(), seen.end());
    CHECK(seen == std::vector<std::string>{"--size=10", "--size=20"});
}

TEST_CASE("fan-out: with fixed names a lost answer is sent again, and its 409 is adopted as unchanged") {
    kq::jobs::PlanOptions options;
    options.idempotency_key = "k";
    options.count = 2;
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    const std::string dropped = submission.entries[1].fixed_name;
    const json existing = created_from(submission.manifest(submission.entries[1]), 0);
    std::mutex mutex;
    int dropped_posts = 0;
    FakeApiServer server([&](const FakeRequest& request, int) {
        if (request.method == "GET") return json_answer(200, existing);
        const json manifest = json::parse(request.body);
        const std::lock_guard<std::mutex> lock(mutex);
        if (manifest["metadata"]["name"] == dropped && dropped_posts++ == 0) {
            FakeResponse response; // the server made it, but the answer never came
            response.drop = true;
            return response;
        }
        if (manifest["metadata"]["name"] == dropped)
            return json_answer(
                409, status_body(409, "AlreadyExists", "jobs.batch \"" + dropped + "\" already exists"));
        return json_answer(201, created_from(manifest, 0));
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    Told told;
    const kq::jobs::CreateReport report =
        kq::jobs::create_all(client, "batch", submission, {}, told.handlers());
    CHECK(report.failures.empty());
    CHECK(report.created == 2);
    CHECK(dropped_posts == 2);
    CHECK(submission.entries[1].unchanged);
    REQUIRE(told.lines.size() == 2);
    CHECK(told.lines[0] == submission.entries[0].fixed_name + " created");
    CHECK(told.lines[1] == dropped + " unchanged"); // adoptions come after the answers
}

// A scripted server for a fan-out with payloads: Job creates answered with a uid, payload objects
// answered by `store` (201 unless it says otherwise), releases and deletes recorded.
struct PayloadServer {
    std::mutex mutex;
    int jobs = 0;
    std::vector<std::string> released; // Jobs patched: their pending mark dropped
    std::vector<std::string> deleted;
    std::function<std::optional<FakeResponse>(const std::string& job, int try_number)> store;
    std::map<std::string, int> stores; // payload object creates by Job name
    FakeApiServer server{[this](const FakeRequest& request, int) { return answer(request); }};

    FakeResponse answer(const FakeRequest& request) {
        const std::lock_guard<std::mutex> lock(mutex);
        const std::string name = request.path().substr(request.path().rfind('/') + 1);
        if (request.method == "POST" && request.path() == k_jobs) {
            json object = created_from(json::parse(request.body), ++jobs);
            object["metadata"]["uid"] = "uid-" + object["metadata"]["name"].get<std::string>();
            return json_answer(201, object);
        }
        if (request.method == "POST") { // the payload object
            const json object = json::parse(request.body);
            const std::string job = object["metadata"]["name"];
            const int number = ++stores[job];
            if (store) {
                if (std::optional<FakeResponse> response = store(job, number)) return std::move(*response);
            }
            return json_answer(201, object);
        }
        if (request.method == "PATCH") {
            const json patch = json::parse(request.body);
            CHECK(patch["metadata"]["annotations"]["kq.dev/payload-pending"].is_null());
            CHECK(patch["spec"]["suspend"] == false);
            released.push_back(name);
            return json_answer(200, {{"metadata", {{"name", name}}}});
        }
        if (request.method == "GET") { // a payload object an earlier try stored, owned by its Job
            return json_answer(200, {{"kind", "ConfigMap"},
                                     {"metadata",
                                      {{"name", name},
                                       {"uid", "map-" + name},
                                       {"ownerReferences", json::array({{{"uid", "uid-" + name}}})}}},
                                     {"data", {{"payload", "data"}}}});
        }
        if (request.method == "DELETE") {
            deleted.push_back(name);
            return json_answer(200, status_body(200, "Success", ""));
        }
        return json_answer(404, status_body(404, "NotFound", request.method + " " + request.path()));
    }
};

kq::jobs::PlanOptions payload_fan_out(int count) {
    kq::jobs::PlanOptions options;
    options.count = count;
    options.payload = "data";
    options.payload_source = "--payload data";
    return options;
}

TEST_CASE("fan-out payloads: each stored then released; one already there and owned is kept; one refused "
          "deletes its Job") {
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", payload_fan_out(20));
    PayloadServer scripted;
    std::string found;   // the Job whose payload object an earlier try left
    std::string refused; // the Job whose payload the server refuses
    scripted.store = [&](const std::string& job, int) -> std::optional<FakeResponse> {
        if (found.empty())
            found = job;
        else if (refused.empty() && job != found)
            refused = job;
        if (job == found)
            return json_answer(
                409, status_body(409, "AlreadyExists", "configmaps \"" + job + "\" already exists"));
        if (job == refused)
            return json_answer(
                403, status_body(403, "Forbidden", "configmaps \"" + job + "\" is forbidden: by policy"));
        return std::nullopt;
    };
    kq::kube::Client client(fake_config(scripted.server), fast_retries(5ms, 10ms));
    const kq::jobs::CreateReport report = kq::jobs::create_all(client, "batch", submission, {});
    kq::clear_interrupt();
    CHECK(report.created == 19);
    REQUIRE(report.failures.size() == 1);
    CHECK(report.failures[0].ends_with(": configmaps \"" + refused +
                                       "\" is forbidden: by policy; job.batch/" + refused +
                                       " was deleted, as its payload could not be stored"));
    CHECK(scripted.deleted == std::vector<std::string>{refused});
    CHECK(scripted.released.size() == 19);
    CHECK(std::count(scripted.released.begin(), scripted.released.end(), found) == 1);
    CHECK(std::count(scripted.released.begin(), scripted.released.end(), refused) == 0);
    // The refused one is not sent again; the one found is, by deliver_payload's careful path.
    CHECK(scripted.stores[refused] == 1);
    CHECK(scripted.stores[found] == 2);
}

TEST_CASE("fan-out payloads: an interrupt stops the stores and deletes every Job still waiting for its "
          "payload") {
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", payload_fan_out(200));
    PayloadServer scripted;
    int stores = 0;
    scripted.store = [&](const std::string&, int) -> std::optional<FakeResponse> {
        if (++stores == 5) std::raise(SIGINT); // Ctrl-C while the payloads are being stored
        return std::nullopt;
    };
    kq::clear_interrupt();
    kq::kube::Client client(fake_config(scripted.server), fast_retries(5ms, 10ms));
    const std::string message = error_of([&] { (void)kq::jobs::create_all(client, "batch", submission, {}); },
                                         kq::ErrorKind::interrupted);
    kq::clear_interrupt();
    CHECK(message.starts_with("interrupted after creating "));
    // No Job is left suspended and pending: each was released or deleted.
    std::vector<std::string> handled = scripted.released;
    handled.insert(handled.end(), scripted.deleted.begin(), scripted.deleted.end());
    std::sort(handled.begin(), handled.end());
    handled.erase(std::unique(handled.begin(), handled.end()), handled.end());
    CHECK(handled.size() == 200);
    CHECK(scripted.deleted.size() > 100); // stopped early: at most 64 more stores were on the wire
    CHECK(message.ends_with(
        fmt::format("; {} whose payload was not stored yet were deleted", scripted.deleted.size())));
}

TEST_CASE("fan-out: 429s with Retry-After are waited out, retried and counted") {
    kq::jobs::Submission submission = kq::jobs::plan(
        resize_job(), "batch", lines("{\"size\": \"10\"}\n{\"size\": \"20\"}\n{\"size\": \"30\"}\n"));
    std::mutex mutex;
    int throttled = 0;
    FakeApiServer server([&](const FakeRequest& request, int index) {
        const json manifest = json::parse(request.body);
        const std::lock_guard<std::mutex> lock(mutex);
        if (args_of(manifest) != "--size=10" && throttled < 3) {
            ++throttled;
            return json_answer(429, status_body(429, "TooManyRequests", "slow down"), {{"Retry-After", "0"}});
        }
        return json_answer(201, created_from(manifest, index));
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    kq::jobs::CreateOptions create;
    create.keep_objects = true;
    const kq::jobs::CreateReport report = kq::jobs::create_all(client, "batch", submission, create);
    CHECK(report.failures.empty());
    CHECK(report.created == 3);
    CHECK(report.throttled == 3);
    CHECK(server.requests().size() == 6);
    // With --wait, what waiting needs is kept, but not the managedFields.
    for (const kq::jobs::Planned& entry : submission.entries) {
        CHECK(entry.created["spec"].is_object());
        CHECK_FALSE(entry.created["metadata"].contains("managedFields"));
    }
}

TEST_CASE("a server-side dry run sends dryRun=All with each create") {
    kq::jobs::PlanOptions options;
    options.count = 2;
    kq::jobs::Submission submission = kq::jobs::plan(resize_job(), "batch", options);
    FakeApiServer server([&](const FakeRequest& request, int index) {
        return json_answer(201, created_from(json::parse(request.body), index));
    });
    kq::kube::Client client(fake_config(server), fast_retries(5ms, 10ms));
    kq::jobs::CreateOptions create;
    create.dry_run_query = "All";
    (void)kq::jobs::create_all(client, "batch", submission, create);
    for (const FakeRequest& request : server.requests())
        CHECK(request.target == k_jobs + "?dryRun=All");
}

TEST_CASE("kept_of_created keeps only the name, or all but managedFields and the pod template when waiting") {
    const json object = {{"metadata", {{"name", "a"}, {"uid", "u"}, {"managedFields", json::array()}}},
                         {"spec", {{"x", 1}, {"template", {{"spec", {{"containers", json::array()}}}}}}}};
    CHECK(kq::jobs::kept_of_created(object, false) == json{{"metadata", {{"name", "a"}}}});
    CHECK(kq::jobs::kept_of_created(object, true) ==
          json{{"metadata", {{"name", "a"}, {"uid", "u"}}}, {"spec", {{"x", 1}}}});
    CHECK(kq::jobs::kept_of_created(json::array(), false) == json::array());
}
