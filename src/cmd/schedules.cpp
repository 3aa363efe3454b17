#include "jobs/schedules.hpp"
#include "cmd/commands.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/output.hpp"
#include "util/table.hpp"
#include "util/time.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag of `kq schedules`.
struct SchedulesOptions {
    bool all_namespaces = false; // -A
    std::string output;          // -o wide|json|yaml|name; empty for the table
    bool no_headers = false;     // --no-headers
};

constexpr const char* k_schedules_footer =
    R"(Lists the CronJobs kq apply made: NAME, SCHEDULE (with its time zone), SUSPENDED, ACTIVE (Jobs
running), LAST SCHEDULE (how long ago it last fired), LAST RESULT (Complete or Failed: the newest
finished Job it made), NEXT RUN (computed by kq from the schedule and zone, as the CronJob controller
computes it) and AGE. -A puts NAMESPACE first; -o wide adds the next run's time and the images.

Examples:
  # The schedules of the current namespace
  kq schedules

  # Every namespace's, with the time of each next run
  kq schedules -A -o wide)";

std::string ago_text(const std::optional<TimePoint>& when, TimePoint now) {
    if (!when) return "<none>";
    return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *when));
}

std::string images_text(const nlohmann::json& cronjob) {
    const nlohmann::json::json_pointer containers("/spec/jobTemplate/spec/template/spec/containers");
    std::string images;
    if (!cronjob.contains(containers) || !cronjob[containers].is_array()) return images;
    for (const nlohmann::json& container : cronjob[containers])
        images += (images.empty() ? "" : ",") + container.value("image", std::string());
    return images;
}

void run_schedules(const SchedulesOptions& options, Context& context) {
    const OutputFormat format = parse_output_format(options.output);
    auto client = connect(context);
    const std::string namespace_name = options.all_namespaces ? "" : command_namespace(context, *client);
    const TimePoint now = now_seconds();
    const std::vector<jobs::ScheduleSummary> schedules = jobs::list_schedules(*client, namespace_name, now);

    if (format == OutputFormat::json || format == OutputFormat::yaml || format == OutputFormat::name) {
        ListWriter writer(context.out, format, "cronjob.batch");
        for (const jobs::ScheduleSummary& schedule : schedules) {
            nlohmann::json item = schedule.object;
            item["apiVersion"] = "batch/v1";
            item["kind"] = "CronJob";
            writer.write(item);
        }
        writer.finish();
        return;
    }
    if (schedules.empty()) {
        context.err << no_resources_message(namespace_name) << '\n';
        return;
    }
    const bool wide = format == OutputFormat::wide;
    std::vector<std::string> headers;
    if (options.all_namespaces) headers.push_back("NAMESPACE");
    for (const char* header :
         {"NAME", "SCHEDULE", "SUSPENDED", "ACTIVE", "LAST SCHEDULE", "LAST RESULT", "NEXT RUN", "AGE"})
        headers.push_back(header);
    if (wide) {
        headers.push_back("NEXT RUN AT");
        headers.push_back("IMAGES");
    }
    Table table(headers);
    for (const jobs::ScheduleSummary& schedule : schedules) {
        std::vector<std::string> row;
        if (options.all_namespaces) row.push_back(schedule.namespace_name);
        row.push_back(schedule.name);
        row.push_back(schedule.time_zone.empty()
                          ? schedule.schedule
                          : fmt::format("{} ({})", schedule.schedule, schedule.time_zone));
        row.push_back(schedule.suspended ? "True" : "False");
        row.push_back(std::to_string(schedule.active));
        row.push_back(ago_text(schedule.last_schedule, now));
        row.push_back(schedule.last_result.empty() ? "<none>" : schedule.last_result);
        row.push_back(schedule.next_run
                          ? "in " + human_duration(std::chrono::duration_cast<std::chrono::seconds>(
                                        *schedule.next_run - now))
                          : "<none>");
        row.push_back(ago_text(schedule.created, now));
        if (wide) {
            row.push_back(schedule.next_run ? format_rfc3339(*schedule.next_run) : "<none>");
            row.push_back(images_text(schedule.object));
        }
        table.add_row(std::move(row));
    }
    table.print(context.out, !options.no_headers, out_width(context));
}

} // namespace

void setup_schedules(CLI::App& command, Context& context) {
    auto options = std::make_shared<SchedulesOptions>();
    command.footer(k_schedules_footer);
    command.add_flag("-A,--all-namespaces", options->all_namespaces, "List the schedules of every namespace");
    command
        .add_option("-o,--output", options->output,
                    "Output format: wide, json, yaml or name (default: a table)")
        ->check(CLI::IsMember({"wide", "json", "yaml", "name"}));
    command.add_flag("--no-headers", options->no_headers, "Leave out the table's header row");
    command.callback([options, &context] { run_schedules(*options, context); });
}

} // namespace kq::cmd
