#include "cmd/commands.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/job_views.hpp"
#include "cmd/support/output.hpp"
#include "cmd/support/targets.hpp"
#include "kube/job_queries.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq list`.
struct ListOptions {
    std::string definition;      // DEF: only this definition's Jobs
    bool all_namespaces = false; // -A/--all-namespaces
    std::string selector;        // -l/--selector
    std::string status;          // --status active|succeeded|failed|finished
    std::string output;          // -o wide|json|yaml|name; empty for the table
    bool no_headers = false;     // --no-headers
};

constexpr const char* k_list_footer =
    R"(Columns: NAME, DEFINITION, STATUS (Pending, Running, Queued:LOCALQUEUE while Kueue has not
admitted it, Suspended, Complete or Failed), COMPLETIONS (succeeded/wanted pods), DURATION (start to
finish, or to now while it runs) and AGE; -A puts NAMESPACE first; -o wide adds REASON (why it
finished, e.g. BackoffLimitExceeded), QUEUE (its Kueue LocalQueue), IMAGES and SCHEDULE (the CronJob of kq apply that made it). -o json and -o yaml print a v1 List of the Job objects, -o name "job.batch/NAME" lines; all
are written as the API's pages arrive, so any number of Jobs lists in bounded memory.

Examples:
  # List the Jobs kq made in the current namespace
  kq list

  # Only the failed Jobs of the "backup" definition
  kq list backup --status failed

  # Every namespace, with the failure reason and images
  kq list -A -o wide

  # The names of the finished Jobs, for a script
  kq list --status finished -o name)";

void run_list(const ListOptions& options, Context& context) {
    const OutputFormat format = parse_output_format(options.output);
    const std::optional<kube::JobStateFilter> state = parse_state_filter(options.status, "--status");
    check_definition_name(options.definition);

    auto client = connect(context);
    const std::string namespace_name =
        options.all_namespaces ? "" : command_namespace(context, *client, options.definition);
    const JobTableColumns columns{.namespaces = options.all_namespaces, .wide = format == OutputFormat::wide};
    const bool table = format == OutputFormat::table || format == OutputFormat::wide;
    const TimePoint now = now_seconds();

    // A table keeps only its rows' text, -o json and yaml their document's; -o name writes each page out
    // as it arrives.
    Table rows(job_table_headers(columns));
    ListWriter writer(context.out, format, "job.batch");
    std::size_t count = 0;
    kube::ListOptions list_options;
    list_options.label_selector = managed_selector(options.definition, options.selector);
    list_options.limit = list_page_size();
    client->list(jobs_path(namespace_name), list_options, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (nlohmann::json& item : page["items"]) {
            if (state && !kube::matches_state(kube::summarize_job(item), *state)) continue;
            ++count;
            if (table) {
                rows.add_row(job_table_row(item, now, columns));
                continue;
            }
            // List items come without their type, which kubectl's List output names on each.
            item["apiVersion"] = "batch/v1";
            item["kind"] = "Job";
            writer.write(item);
        }
        if (format == OutputFormat::name) context.out.flush();
    });

    if (format == OutputFormat::json || format == OutputFormat::yaml) {
        writer.finish();
        return;
    }
    if (count == 0) {
        context.err << no_resources_message(namespace_name) << '\n';
        return;
    }
    if (table)
        print_job_table(rows, columns, context.out, !options.no_headers, out_width(context),
                        out_color(context));
}

} // namespace

void setup_list(CLI::App& command, Context& context) {
    auto options = std::make_shared<ListOptions>();
    command.footer(k_list_footer);
    command.add_option("definition", options->definition, "Only the Jobs of this job definition");
    command.add_flag("-A,--all-namespaces", options->all_namespaces, "List the Jobs of every namespace");
    command.add_option("-l,--selector", options->selector, "Only Jobs whose labels match (e.g. team=data)");
    command
        .add_option("--status", options->status,
                    "Only Jobs in this state: active, succeeded, failed or finished")
        ->check(CLI::IsMember({"active", "succeeded", "failed", "finished"}));
    command
        .add_option("-o,--output", options->output,
                    "Output format: wide, json, yaml or name (default: a table)")
        ->check(CLI::IsMember({"wide", "json", "yaml", "name"}));
    command.add_flag("--no-headers", options->no_headers, "Leave out the table's header row");
    command.callback([options, &context] { run_list(*options, context); });
}

} // namespace kq::cmd
