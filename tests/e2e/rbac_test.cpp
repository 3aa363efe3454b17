// End-to-end: every kq command run as the `limited` context, whose user holds exactly the Role of
// examples/rbac/kq-ci.yaml in namespace kq-e2e (kq-cluster up applies the example and binds the user to
// it). If kq ever needs a verb the example does not grant, these tests fail with the API's "forbidden".

#include "e2e_helpers.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <string>
#include <vector>

using namespace kq::e2e;

namespace {

// Definitions named per test process, so that reruns on one cluster never see each other's Jobs in the
// shared namespace.
struct LimitedScene {
    TempDir dir;
    std::string suffix = std::to_string(getpid());
    std::string ok = "rbac-ok-" + suffix;
    std::string slow = "rbac-slow-" + suffix;
    std::string file = dir.file("kq.yaml");

    LimitedScene() {
        write_file(file, fmt::format(R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
jobs:
  {}:
    annotations: {{kq.test/log: "one\ntwo", kq.test/run-seconds: "1"}}
  {}:
    annotations: {{kq.test/run-seconds: "60"}}
)",
                                     ok, slow));
    }

    ~LimitedScene() {
        run_kq({"--context", "limited", "-f", file, "delete", "-l",
                "kq.dev/definition in (" + ok + "," + slow + ")", "--ignore-not-found"});
    }

    // kq as the limited user, in its context's namespace (kq-e2e).
    Run kq(std::vector<std::string> args) const {
        std::vector<std::string> full = {"--context", "limited", "-f", file};
        full.insert(full.end(), args.begin(), args.end());
        return run_kq(full);
    }
};

} // namespace

TEST_SUITE("rbac") {
    TEST_CASE("the Role of examples/rbac is all that run, submit, wait, logs, list, status and delete need") {
        LimitedScene scene;
        const Run ran = scene.kq({"run", scene.ok});
        CHECK(ran.status == 0);
        CHECK(ran.out == "one\ntwo\n");

        const Run submitted = scene.kq({"submit", scene.ok, "--wait", "-o", "name"});
        REQUIRE(submitted.status == 0);
        const std::string job = submitted.out.substr(submitted.out.find('/') + 1,
                                                     submitted.out.size() - 1 - submitted.out.find('/') - 1);
        CHECK(scene.kq({"wait", job}).status == 0);
        const Run logs = scene.kq({"logs", job});
        CHECK(logs.status == 0);
        CHECK(logs.out == "one\ntwo\n");
        const Run listed = scene.kq({"list", scene.ok, "-o", "name"});
        CHECK(listed.status == 0);
        CHECK(listed.out.find("job.batch/" + job + "\n") != std::string::npos);
        const Run status = scene.kq({"status", job, "-o", "json"});
        REQUIRE(status.status == 0);
        CHECK(nlohmann::json::parse(status.out)["events"].is_array());

        const Run first = scene.kq({"submit", scene.ok, "--idempotency-key", "rbac", "-o", "name"});
        CHECK(first.status == 0);
        const Run again = scene.kq({"submit", scene.ok, "--idempotency-key", "rbac"});
        CHECK(again.status == 0);
        CHECK(again.out.find("unchanged") != std::string::npos);

        CHECK(scene.kq({"submit", scene.slow, "--unique"}).status == 0);
        const Run refused = scene.kq({"submit", scene.slow, "--unique"});
        CHECK(refused.status == 122);

        const Run deleted = scene.kq({"delete", "--job", scene.slow});
        CHECK(deleted.status == 0);
        CHECK(deleted.out.find("deleted") != std::string::npos);
        CHECK(deleted.err.empty());
    }

    TEST_CASE("outside its namespace the limited user is refused with the API's words") {
        LimitedScene scene;
        const Run listed = scene.kq({"-n", "default", "list"});
        CHECK(listed.status == 123);
        CHECK(listed.err.find("forbidden") != std::string::npos);
        CHECK(listed.err.find("kq-limited") != std::string::npos);
    }
}
