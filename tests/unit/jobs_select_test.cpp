// Unit tests of jobs/select: the concurrent delete's order and error accounting, against a scripted API
// server.

#include "fake_api_server.hpp"
#include "jobs/select.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using kq::testing::fake_config;
using kq::testing::FakeApiServer;
using kq::testing::FakeRequest;
using kq::testing::FakeResponse;
using kq::testing::json_answer;
using nlohmann::json;

namespace {

// Answers a delete of "gone-*" with 404, of "locked-*" with 403, and of the rest with success.
FakeResponse delete_answer(const FakeRequest& request) {
    const std::string name = request.path().substr(request.path().rfind('/') + 1);
    if (name.starts_with("gone-")) {
        return json_answer(404, {{"kind", "Status"},
                                 {"code", 404},
                                 {"reason", "NotFound"},
                                 {"message", "jobs.batch \"" + name + "\" not found"}});
    }
    if (name.starts_with("locked-")) {
        return json_answer(403, {{"kind", "Status"},
                                 {"code", 403},
                                 {"reason", "Forbidden"},
                                 {"message", "jobs.batch \"" + name + "\" is forbidden"}});
    }
    return json_answer(200, {{"kind", "Status"}, {"status", "Success"}});
}

} // namespace

TEST_CASE("delete_jobs tells each deletion in the names' order and counts the errors") {
    FakeApiServer server([](const FakeRequest& request, int) { return delete_answer(request); });
    kq::kube::Client client(fake_config(server));
    std::vector<std::string> names;
    for (int index = 0; index < 40; ++index)
        names.push_back("job-" + std::to_string(index));
    names.insert(names.begin() + 3, "gone-a");
    names.insert(names.begin() + 7, "locked-a");
    names.push_back("locked-b");
    names.push_back("locked-c");
    names.push_back("locked-d");
    std::vector<std::string> told;
    kq::jobs::DeleteOptions options;
    options.propagation_policy = "Orphan";
    const kq::jobs::DeleteFailures failures = kq::jobs::delete_jobs(
        client, "batch", names, options, [&](const std::string& name) { told.push_back(name); });
    std::vector<std::string> expected;
    for (int index = 0; index < 40; ++index)
        expected.push_back("job-" + std::to_string(index));
    CHECK(told == expected);
    CHECK(failures.count == 5);
    REQUIRE(failures.first.size() == 3);
    CHECK(std::string(failures.first[0].what()) == "jobs.batch \"gone-a\" not found");
    try {
        kq::jobs::throw_delete_failures(failures);
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.exit_status() == 123);
        CHECK(std::string(error.what()) == "jobs.batch \"gone-a\" not found; jobs.batch \"locked-a\" is "
                                           "forbidden; jobs.batch \"locked-b\" is "
                                           "forbidden; and 2 more errors");
    }
    for (const FakeRequest& request : server.requests()) {
        CHECK(request.method == "DELETE");
        CHECK(json::parse(request.body)["propagationPolicy"] == "Orphan");
    }
}

TEST_CASE("delete_jobs: a Job already gone is no error when asked, and a client dry run only reads") {
    FakeApiServer server([](const FakeRequest& request, int) { return delete_answer(request); });
    kq::kube::Client client(fake_config(server));
    kq::jobs::DeleteOptions options;
    options.ignore_not_found = true;
    options.dry_run = kq::jobs::DeleteOptions::DryRun::client;
    std::vector<std::string> told;
    const kq::jobs::DeleteFailures failures =
        kq::jobs::delete_jobs(client, "batch", {"a", "gone-b", "c"}, options,
                              [&](const std::string& name) { told.push_back(name); });
    CHECK(failures.count == 0);
    CHECK(told == std::vector<std::string>{"a", "c"});
    for (const FakeRequest& request : server.requests())
        CHECK(request.method == "GET");
}

TEST_CASE("delete_jobs: a server dry run puts dryRun in the DeleteOptions body") {
    FakeApiServer server([](const FakeRequest& request, int) { return delete_answer(request); });
    kq::kube::Client client(fake_config(server));
    kq::jobs::DeleteOptions options;
    options.dry_run = kq::jobs::DeleteOptions::DryRun::server;
    const kq::jobs::DeleteFailures failures = kq::jobs::delete_jobs(client, "batch", {"a"}, options, nullptr);
    CHECK(failures.count == 0);
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].target == "/apis/batch/v1/namespaces/batch/jobs/a");
    CHECK(json::parse(server.requests()[0].body) == json{{"kind", "DeleteOptions"},
                                                         {"apiVersion", "v1"},
                                                         {"propagationPolicy", "Background"},
                                                         {"dryRun", {"All"}}});
}
