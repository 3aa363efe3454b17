// End-to-end: `kq list` against the test cluster: columns, the filters (DEF, -l, --status, -A), the
// output formats, the empty result, and pagination over many Jobs.

#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>

using namespace kq::e2e;

namespace {

// The first word (NAME, or NAMESPACE with -A) of each line.
std::vector<std::string> first_words(const std::string& text, std::size_t index = 0) {
    std::vector<std::string> words;
    for (const std::string& line : lines_of(text))
        words.push_back(words_of(line).at(index));
    return words;
}

using Names = std::vector<std::string>;

} // namespace

TEST_SUITE_BEGIN("list");

TEST_CASE("kq list shows kq's Jobs with their status, filtered by DEF, -l and --status, in every format") {
    TestNamespace ns("kq-list");
    auto admin = cluster_client("admin");
    TestJob gold = succeeding("alpha-ok", "alpha");
    gold.labels["tier"] = "gold";
    const std::string run_label = "kq.test/run=" + ns.name();
    std::vector<TestJob> jobs = {gold, failing("alpha-bad", "alpha"), running("beta-long", "beta"),
                                 failing("other", "")};
    for (TestJob& job : jobs)
        job.labels["kq.test/run"] = ns.name();
    create_jobs(*admin, ns.name(), jobs);
    wait_finished(*admin, ns.name(), {"alpha-ok", "alpha-bad", "other"});
    wait_running(*admin, ns.name(), "beta-long");

    const Run table = run_kq({"list", "-n", ns.name()});
    REQUIRE_MESSAGE(table.status == 0, table.err);
    CHECK(table.err.empty());
    const auto lines = lines_of(table.out);
    REQUIRE(lines.size() == 4);
    CHECK(words_of(lines[0]) == Names{"NAME", "DEFINITION", "STATUS", "COMPLETIONS", "DURATION", "AGE"});
    // The other Job is not kq's, so it is left out; the API gives Jobs sorted by name.
    const auto bad = words_of(lines[1]);
    REQUIRE(bad.size() == 6);
    CHECK(Names(bad.begin(), bad.begin() + 4) == Names{"alpha-bad", "alpha", "Failed", "0/1"});
    const auto ok = words_of(lines[2]);
    REQUIRE(ok.size() == 6);
    CHECK(Names(ok.begin(), ok.begin() + 4) == Names{"alpha-ok", "alpha", "Complete", "1/1"});
    const auto long_running = words_of(lines[3]);
    CHECK(Names(long_running.begin(), long_running.begin() + 4) ==
          Names{"beta-long", "beta", "Running", "0/1"});
    // Every column lines up under its header.
    for (const char* header : {"DEFINITION", "STATUS", "COMPLETIONS"}) {
        const std::size_t column = lines[0].find(header);
        for (std::size_t i = 1; i < lines.size(); ++i) {
            CHECK(lines[i][column - 1] == ' ');
            CHECK(lines[i][column] != ' ');
        }
    }

    auto names = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"list", "-n", ns.name()});
        args.push_back("--no-headers");
        const Run run = run_kq(args);
        CHECK_MESSAGE(run.status == 0, run.err);
        return run.out.empty() ? Names{} : first_words(run.out);
    };
    CHECK(names({}) == Names{"alpha-bad", "alpha-ok", "beta-long"});
    CHECK(names({"alpha"}) == Names{"alpha-bad", "alpha-ok"});
    CHECK(names({"-l", "tier=gold"}) == Names{"alpha-ok"});
    CHECK(names({"--status", "failed"}) == Names{"alpha-bad"});
    CHECK(names({"--status", "succeeded"}) == Names{"alpha-ok"});
    CHECK(names({"--status", "active"}) == Names{"beta-long"});
    CHECK(names({"--status", "finished"}) == Names{"alpha-bad", "alpha-ok"});
    CHECK(names({"alpha", "--status", "active"}) == Names{});

    const Run name = run_kq({"list", "-n", ns.name(), "-o", "name"});
    CHECK(name.status == 0);
    CHECK(name.out == "job.batch/alpha-bad\njob.batch/alpha-ok\njob.batch/beta-long\n");

    const Run json = run_kq({"list", "-n", ns.name(), "-o", "json", "--status", "finished"});
    REQUIRE(json.status == 0);
    const nlohmann::json list = nlohmann::json::parse(json.out);
    CHECK(list["apiVersion"] == "v1");
    CHECK(list["kind"] == "List");
    REQUIRE(list["items"].size() == 2);
    CHECK(list["items"][0]["apiVersion"] == "batch/v1");
    CHECK(list["items"][0]["kind"] == "Job");
    CHECK(list["items"][0]["metadata"]["name"] == "alpha-bad");
    CHECK(list["items"][1]["status"]["succeeded"] == 1);

    const Run yaml = run_kq({"list", "-n", ns.name(), "-o", "yaml", "beta"});
    REQUIRE(yaml.status == 0);
    CHECK(yaml.out.starts_with(
        "apiVersion: v1\nitems:\n  - apiVersion: batch/v1\n    kind: Job\n    metadata:\n"));
    CHECK(yaml.out.find("      name: beta-long\n") != std::string::npos);
    CHECK(yaml.out.ends_with("\nkind: List\nmetadata:\n  resourceVersion: \"\"\n"));

    const Run wide = run_kq({"list", "-n", ns.name(), "-o", "wide", "alpha"});
    REQUIRE(wide.status == 0);
    const auto wide_lines = lines_of(wide.out);
    REQUIRE(wide_lines.size() == 3);
    CHECK(words_of(wide_lines[0]) == Names{"NAME", "DEFINITION", "STATUS", "COMPLETIONS", "DURATION", "AGE",
                                           "REASON", "QUEUE", "IMAGES", "SCHEDULE"});
    const auto wide_bad = words_of(wide_lines[1]);
    CHECK(Names(wide_bad.end() - 4, wide_bad.end()) ==
          Names{"BackoffLimitExceeded", "<none>", "busybox:1.36", "<none>"});
    // Newer control planes give a Complete condition a reason (CompletionsReached); older ones none.
    const auto wide_good = words_of(wide_lines[2]);
    CHECK(Names(wide_good.end() - 2, wide_good.end()) == Names{"busybox:1.36", "<none>"});

    const Run all = run_kq({"list", "-A", "-l", run_label, "--no-headers"});
    REQUIRE(all.status == 0);
    CHECK(first_words(all.out) == Names{ns.name(), ns.name(), ns.name()});
    CHECK(first_words(all.out, 1) == Names{"alpha-bad", "alpha-ok", "beta-long"});
    const Run all_header = run_kq({"list", "-A", "-l", run_label});
    CHECK(words_of(lines_of(all_header.out).at(0)) ==
          Names{"NAMESPACE", "NAME", "DEFINITION", "STATUS", "COMPLETIONS", "DURATION", "AGE"});
}

TEST_CASE("an empty result says so on stderr as kubectl does, and -o json prints an empty List") {
    TestNamespace ns("kq-list-empty");
    const Run table = run_kq({"list", "-n", ns.name()});
    CHECK(table.status == 0);
    CHECK(table.out.empty());
    CHECK(table.err == fmt::format("No resources found in {} namespace.\n", ns.name()));

    const Run name = run_kq({"list", "-n", ns.name(), "-o", "name"});
    CHECK(name.status == 0);
    CHECK(name.out.empty());
    CHECK(name.err == fmt::format("No resources found in {} namespace.\n", ns.name()));

    const Run all = run_kq({"list", "-A", "-l", "kq.test/run=nothing-has-this"});
    CHECK(all.status == 0);
    CHECK(all.err == "No resources found\n");

    const Run json = run_kq({"list", "-n", ns.name(), "-o", "json"});
    CHECK(json.status == 0);
    CHECK(json.err.empty());
    CHECK(json.out == "{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n    \"kind\": \"List\",\n"
                      "    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n");
}

TEST_CASE("kq list reads the namespace's Jobs page by page") {
    TestNamespace ns("kq-list-pages");
    auto admin = cluster_client("admin");
    std::vector<TestJob> jobs;
    for (int i = 0; i < 120; ++i) {
        TestJob job{.name = fmt::format("many-{:03}", i), .definition = "many"};
        job.suspend = true; // no pods: only the Job objects matter here
        jobs.push_back(job);
    }
    create_jobs(*admin, ns.name(), jobs);

    const kq::e2e::EnvChanges small_pages = {{"KQ_LIST_PAGE_SIZE", "7"}};
    const Run table = run_kq({"list", "-n", ns.name(), "-v"}, small_pages);
    REQUIRE_MESSAGE(table.status == 0, table.err);
    const auto lines = lines_of(table.out);
    REQUIRE(lines.size() == 121);
    CHECK(words_of(lines[1]).at(0) == "many-000");
    CHECK(words_of(lines[120]).at(0) == "many-119");
    CHECK(words_of(lines[120]).at(2) == "Suspended");
    std::size_t pages = 0;
    for (const std::string& line : lines_of(table.err))
        pages += line.find("limit=7") != std::string::npos;
    CHECK(pages == 18); // ceil(120 / 7)

    const Run json = run_kq({"list", "-n", ns.name(), "-o", "json"}, small_pages);
    REQUIRE(json.status == 0);
    const nlohmann::json list = nlohmann::json::parse(json.out);
    REQUIRE(list["items"].size() == 120);
    for (std::size_t i = 0; i < 120; ++i)
        CHECK(list["items"][i]["metadata"]["name"] == fmt::format("many-{:03}", i));

    const Run name = run_kq({"list", "-n", ns.name(), "-o", "name"}, small_pages);
    CHECK(lines_of(name.out).size() == 120);
    const Run yaml = run_kq({"list", "-n", ns.name(), "-o", "yaml"}, small_pages);
    std::size_t items = 0;
    for (const std::string& line : lines_of(yaml.out))
        items += line == "  - apiVersion: batch/v1";
    CHECK(items == 120);
}

TEST_SUITE_END();
