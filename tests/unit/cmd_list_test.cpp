// Unit tests of `kq list`'s pieces: table rows, the status filters, streamed List output, colour.

#include "cmd/support/job_filters.hpp"
#include "cmd/support/job_views.hpp"
#include "cmd/support/output.hpp"
#include "kube/job_queries.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <sstream>

using kq::cmd::JobTableColumns;
using kq::cmd::OutputFormat;
using nlohmann::json;

namespace {

const kq::TimePoint k_list_now = *kq::parse_rfc3339("2026-11-27T12:00:00Z");

// A kq-made Job of definition "backup", created at `created`, with the given status.
json job(const std::string& name, const json& status, const std::string& created = "2026-11-27T11:00:00Z") {
    json object;
    object["metadata"] = {
        {"name", name},
        {"namespace", "ops"},
        {"creationTimestamp", created},
        {"labels", {{"app.kubernetes.io/managed-by", "kq"}, {"kq.dev/definition", "backup"}}}};
    object["spec"]["template"]["spec"]["containers"] = {{{"name", "main"}, {"image", "busybox:1.36"}},
                                                        {{"name", "side"}, {"image", "envoy"}}};
    object["status"] = status;
    return object;
}

json complete_status() {
    return {{"succeeded", 1},
            {"startTime", "2026-11-27T11:00:02Z"},
            {"completionTime", "2026-11-27T11:01:07Z"},
            {"conditions", {{{"type", "Complete"}, {"status", "True"}}}}};
}

json failed_status() {
    return {{"failed", 1},
            {"startTime", "2026-11-27T11:00:02Z"},
            {"conditions",
             {{{"type", "Failed"},
               {"status", "True"},
               {"reason", "BackoffLimitExceeded"},
               {"lastTransitionTime", "2026-11-27T11:00:09Z"}}}}};
}

std::string table_text(const std::vector<json>& jobs, const JobTableColumns& columns, bool headers = true) {
    kq::Table table(kq::cmd::job_table_headers(columns));
    for (const json& item : jobs)
        table.add_row(kq::cmd::job_table_row(item, k_list_now, columns));
    std::ostringstream out;
    kq::cmd::print_job_table(table, columns, out, headers, 0, false);
    return out.str();
}

} // namespace

TEST_CASE("list rows: name, definition, status, completions, duration and age as kubectl prints them") {
    const std::vector<json> jobs = {
        job("backup-a", complete_status()), job("backup-b", failed_status()),
        job("backup-c", {{"active", 1}, {"startTime", "2026-11-27T11:58:30Z"}}, "2026-11-27T11:58:29Z"),
        job("backup-d", json::object(), "2026-11-27T11:59:59Z")};
    CHECK(table_text(jobs, {}) == "NAME       DEFINITION   STATUS     COMPLETIONS   DURATION   AGE\n"
                                  "backup-a   backup       Complete   1/1           65s        60m\n"
                                  "backup-b   backup       Failed     0/1           7s         60m\n"
                                  "backup-c   backup       Running    0/1           90s        91s\n"
                                  "backup-d   backup       Pending    0/1                      1s\n");
    CHECK(table_text({jobs[0]}, {}, false) == "backup-a   backup   Complete   1/1   65s   60m\n");
}

TEST_CASE("list rows: -A puts NAMESPACE first, -o wide adds REASON, QUEUE, IMAGES and SCHEDULE") {
    const JobTableColumns columns{.namespaces = true, .wide = true};
    json scheduled = job("backup-b", failed_status());
    scheduled["metadata"]["labels"]["kq.dev/schedule"] = "backup";
    CHECK(table_text({job("backup-a", complete_status()), scheduled}, columns) ==
          "NAMESPACE   NAME       DEFINITION   STATUS     COMPLETIONS   DURATION   AGE   REASON              "
          "   QUEUE    IMAGES               SCHEDULE\n"
          "ops         backup-a   backup       Complete   1/1           65s        60m   <none>              "
          "   <none>   busybox:1.36,envoy   <none>\n"
          "ops         backup-b   backup       Failed     0/1           7s         60m   "
          "BackoffLimitExceeded   <none>   busybox:1.36,envoy   backup\n");
}

TEST_CASE("list rows: a Job waiting in a Kueue queue is Queued:LOCALQUEUE, and -o wide names the queue") {
    json queued = job("backup-q", json::object());
    queued["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] = "batch";
    queued["spec"]["suspend"] = true;
    const auto row = kq::cmd::job_table_row(queued, k_list_now, {.wide = true});
    CHECK(row[2] == "Queued:batch");
    CHECK(row[7] == "batch");
    // Admitted (Kueue unsuspended it): an ordinary Job again.
    queued["spec"]["suspend"] = false;
    queued["status"]["active"] = 1;
    CHECK(kq::cmd::job_table_row(queued, k_list_now, {})[2] == "Running");
    // Suspended without a queue stays Suspended.
    json plain = job("backup-s", json::object());
    plain["spec"]["suspend"] = true;
    CHECK(kq::cmd::job_table_row(plain, k_list_now, {})[2] == "Suspended");
}

TEST_CASE("list rows: a Job without kq's definition label shows <none>") {
    json other = job("other", complete_status());
    other["metadata"]["labels"] = {{"app.kubernetes.io/name", "backup"}};
    CHECK(kq::cmd::job_table_row(other, k_list_now, {})[1] == "<none>");
}

TEST_CASE("the STATUS column is coloured on a terminal, the rest is not") {
    kq::Table table(kq::cmd::job_table_headers({}));
    table.add_row(kq::cmd::job_table_row(job("backup-a", complete_status()), k_list_now, {}));
    table.add_row(kq::cmd::job_table_row(job("backup-b", failed_status()), k_list_now, {}));
    table.add_row(kq::cmd::job_table_row(job("backup-c", {{"active", 1}}), k_list_now, {}));
    std::ostringstream out;
    kq::cmd::print_job_table(table, {}, out, true, 0, true);
    CHECK(out.str() == "NAME       DEFINITION   STATUS     COMPLETIONS   DURATION   AGE\n"
                       "backup-a   backup       \x1b[32mComplete\x1b[0m   1/1           65s        60m\n"
                       "backup-b   backup       \x1b[31mFailed\x1b[0m     0/1           7s         60m\n"
                       "backup-c   backup       Running    0/1                      60m\n");
    std::ostringstream headless;
    kq::cmd::print_job_table(table, {}, headless, false, 0, true);
    CHECK(headless.str().rfind("backup-a   backup       \x1b[32mComplete\x1b[0m", 0) == 0);

    // With NAMESPACE first and a terminal too narrow for the table, NAME stays whole and the column
    // is still found.
    const JobTableColumns namespaces{.namespaces = true, .wide = false};
    kq::Table wide_table(kq::cmd::job_table_headers(namespaces));
    wide_table.add_row(kq::cmd::job_table_row(job("backup-b", failed_status()), k_list_now, namespaces));
    std::ostringstream narrow;
    kq::cmd::print_job_table(wide_table, namespaces, narrow, true, 50, true);
    CHECK(narrow.str() ==
          "NAMESPACE   NAME       DEFINITION   STATUS   COMPLETIONS   DURATION   AGE\n"
          "ops         backup-b   backup       \x1b[31mFailed\x1b[0m   0/1           7s         60m\n");
}

TEST_CASE("status filters: active, succeeded, failed, finished") {
    using kq::kube::JobStateFilter;
    const auto complete = kq::kube::summarize_job(job("a", complete_status()));
    const auto failed = kq::kube::summarize_job(job("b", failed_status()));
    const auto running = kq::kube::summarize_job(job("c", {{"active", 1}}));
    const auto suspended = kq::kube::summarize_job(json{{"spec", {{"suspend", true}}}});
    CHECK(kq::kube::matches_state(running, JobStateFilter::active));
    CHECK(kq::kube::matches_state(suspended, JobStateFilter::active));
    CHECK_FALSE(kq::kube::matches_state(complete, JobStateFilter::active));
    CHECK(kq::kube::matches_state(complete, JobStateFilter::succeeded));
    CHECK_FALSE(kq::kube::matches_state(failed, JobStateFilter::succeeded));
    CHECK(kq::kube::matches_state(failed, JobStateFilter::failed));
    CHECK_FALSE(kq::kube::matches_state(complete, JobStateFilter::failed));
    CHECK(kq::kube::matches_state(complete, JobStateFilter::finished));
    CHECK(kq::kube::matches_state(failed, JobStateFilter::finished));
    CHECK_FALSE(kq::kube::matches_state(running, JobStateFilter::finished));

    CHECK(kq::cmd::parse_state_filter("", "--status") == std::nullopt);
    CHECK(kq::cmd::parse_state_filter("finished", "--status") == JobStateFilter::finished);
    try {
        kq::cmd::parse_state_filter("done", "--status");
        FAIL("accepted");
    } catch (const kq::Error& error) {
        CHECK(std::string(error.what()) ==
              "--status: \"done\" is not a state; use active, succeeded, failed or finished");
        CHECK(error.kind() == kq::ErrorKind::usage);
    }
}

TEST_CASE("-o json writes a v1 List as kubectl prints it, all at once when it is complete") {
    std::ostringstream out;
    kq::cmd::ListWriter writer(out, OutputFormat::json, "job.batch");
    writer.write({{"kind", "Job"}, {"metadata", {{"name", "a"}}}});
    writer.write({{"kind", "Job"}, {"metadata", {{"name", "b"}}}});
    // An interrupt before finish() must leave nothing of the document behind.
    CHECK(out.str().empty());
    writer.finish();
    CHECK(writer.count() == 2);
    CHECK(out.str() == R"({
    "apiVersion": "v1",
    "items": [
        {
            "kind": "Job",
            "metadata": {
                "name": "a"
            }
        },
        {
            "kind": "Job",
            "metadata": {
                "name": "b"
            }
        }
    ],
    "kind": "List",
    "metadata": {
        "resourceVersion": ""
    }
}
)");
    const json parsed = json::parse(out.str());
    CHECK(parsed["items"].size() == 2);

    std::ostringstream empty;
    kq::cmd::ListWriter none(empty, OutputFormat::json, "job.batch");
    none.finish();
    CHECK(json::parse(empty.str()) == json{{"apiVersion", "v1"},
                                           {"items", json::array()},
                                           {"kind", "List"},
                                           {"metadata", {{"resourceVersion", ""}}}});
}

TEST_CASE("-o yaml writes a v1 List when complete; -o name prints job.batch/NAME as it goes") {
    std::ostringstream out;
    kq::cmd::ListWriter writer(out, OutputFormat::yaml, "job.batch");
    writer.write({{"kind", "Job"}, {"metadata", {{"name", "a"}, {"labels", {{"x", "1"}}}}}});
    writer.write({{"kind", "Job"}, {"metadata", {{"name", "b"}}}});
    CHECK(out.str().empty());
    writer.finish();
    CHECK(out.str() == "apiVersion: v1\n"
                       "items:\n"
                       "  - kind: Job\n"
                       "    metadata:\n"
                       "      labels:\n"
                       "        x: \"1\"\n"
                       "      name: a\n"
                       "  - kind: Job\n"
                       "    metadata:\n"
                       "      name: b\n"
                       "kind: List\n"
                       "metadata:\n"
                       "  resourceVersion: \"\"\n");
    std::ostringstream empty;
    kq::cmd::ListWriter none(empty, OutputFormat::yaml, "job.batch");
    none.finish();
    CHECK(empty.str() == "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: \"\"\n");

    std::ostringstream names;
    kq::cmd::ListWriter name_writer(names, OutputFormat::name, "job.batch");
    name_writer.write({{"metadata", {{"name", "a"}}}});
    CHECK(names.str() == "job.batch/a\n");
    name_writer.write({{"metadata", {{"name", "b"}}}});
    name_writer.finish();
    CHECK(names.str() == "job.batch/a\njob.batch/b\n");
}

TEST_CASE("-o values and the empty result's wording") {
    CHECK(kq::cmd::parse_output_format("") == OutputFormat::table);
    CHECK(kq::cmd::parse_output_format("wide") == OutputFormat::wide);
    CHECK(kq::cmd::parse_output_format("name") == OutputFormat::name);
    CHECK_THROWS_AS(kq::cmd::parse_output_format("xml"), kq::Error);
    CHECK(kq::cmd::no_resources_message("ops") == "No resources found in ops namespace.");
    CHECK(kq::cmd::no_resources_message("") == "No resources found");
}

TEST_CASE("kq list checks its flags before reaching a cluster") {
    auto bad_status = kq::testing::run_kq({"list", "--status", "done"});
    CHECK(bad_status.status == kq::k_exit_usage);
    CHECK(bad_status.err.find("--status") != std::string::npos);
    auto bad_definition = kq::testing::run_kq({"list", "a,b"});
    CHECK(bad_definition.status == kq::k_exit_usage);
    CHECK(bad_definition.err ==
          "kq: error: invalid definition name \"a,b\": may hold only letters, digits, \"-\", "
          "\"_\" and \".\"\n");
}

TEST_CASE("a list document past the spool threshold comes out whole, in json and yaml") {
    // 3,000 objects of about 1 KiB each: a few MiB, written through the temporary file.
    const auto object_of = [](int index) {
        return nlohmann::json{{"metadata", {{"name", fmt::format("job-{:04}", index)}}},
                              {"spec", {{"note", std::string(1000, 'x')}}}};
    };
    std::ostringstream json_out;
    kq::cmd::ListWriter json_writer(json_out, OutputFormat::json, "job.batch");
    for (int i = 0; i < 3000; ++i)
        json_writer.write(object_of(i));
    CHECK(json_out.str().empty()); // nothing before finish()
    json_writer.finish();
    CHECK(json_out.str().size() > (2u << 20));
    const nlohmann::json document = nlohmann::json::parse(json_out.str());
    REQUIRE(document["items"].size() == 3000);
    CHECK(document["items"][2999]["metadata"]["name"] == "job-2999");
    CHECK(document["kind"] == "List");

    std::ostringstream yaml_out;
    kq::cmd::ListWriter yaml_writer(yaml_out, OutputFormat::yaml, "job.batch");
    for (int i = 0; i < 3000; ++i)
        yaml_writer.write(object_of(i));
    yaml_writer.finish();
    CHECK(yaml_out.str().starts_with("apiVersion: v1\nitems:\n"));
    CHECK(yaml_out.str().ends_with("kind: List\nmetadata:\n  resourceVersion: \"\"\n"));
    CHECK(yaml_out.str().find("name: job-2999\n") != std::string::npos);
}
