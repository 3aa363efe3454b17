#include "project/render.hpp"
#include "cmd/commands.hpp"
#include "cmd/support/container_args.hpp"
#include "cmd/support/project_loading.hpp"
#include "project/listing.hpp"
#include "project/params.hpp"
#include "project/schedule.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq render`.
struct RenderOptions {
    std::string job;
    std::vector<std::string> params;                                         // -p NAME=VALUE, repeatable
    std::string name;                                                        // --name
    std::string queue;                                                       // --queue
    std::string priority;                                                    // --priority
    std::string output = "yaml";                                             // -o yaml|json
    bool schedule = false;                                                   // --schedule
    std::shared_ptr<ContainerArgs> args = std::make_shared<ContainerArgs>(); // after "--"
};

constexpr const char* k_render_footer = R"(Examples:
  # Print the Job the "hello" definition renders to
  kq render hello

  # Set params, and append arguments to the container's args
  kq render pi -p digits=100 -- --verbose

  # Give the Job a fixed name and print JSON
  kq render hello --name hello-1 -o json

  # Print the CronJob `kq apply` makes of a job with a schedule
  kq render nightly --schedule

Params are read as {{ params.NAME }} and environment variables as {{ env.NAME }} in any string of
the job; write a literal "{{" as {{ "{{" }}. Nothing contacts a cluster.)";

void run_render(const RenderOptions& options, Context& context) {
    check_container_args(*options.args, "render", options.job);
    const project::Project loaded = load_project(context);
    const project::JobDef& job = project::require_job(loaded, options.job);
    project::RenderRequest request;
    request.params = project::parse_param_flags(options.params);
    request.extra_args = options.args->args;
    if (!options.name.empty()) request.name = options.name;
    if (!options.queue.empty()) request.queue = options.queue;
    if (!options.priority.empty()) request.priority = options.priority;
    if (!context.global.namespace_name.empty()) request.namespace_override = context.global.namespace_name;
    request.env = process_env;
    if (options.schedule && !options.params.empty()) {
        fail(ErrorKind::usage, "-p: --schedule renders with the schedule's params; set them under "
                               "schedule.params in the project file");
    }
    if (options.schedule && !options.name.empty()) {
        fail(ErrorKind::usage,
             "--name: a CronJob is named after its definition; leave --name out with --schedule");
    }
    const nlohmann::json manifest =
        options.schedule ? project::render_cronjob(loaded, job, request) : project::render_job(job, request);
    // Rendered whole before printing, so a failure leaves stdout empty.
    const std::string text =
        options.output == "json" ? project::to_json_text(manifest) : project::to_yaml(manifest);
    context.out << text;
}

} // namespace

void setup_render(CLI::App& command, Context& context) {
    auto options = std::make_shared<RenderOptions>();
    command.footer(k_render_footer);
    command.add_option("job", options->job, "The job definition to render")->type_name("JOB")->required();
    add_param_flag(command, options->params);
    command.add_option("--name", options->name, "Name the Job NAME instead of generating \"JOB-xxxxx\"")
        ->type_name("NAME");
    command
        .add_option("--queue", options->queue,
                    "Render the Job for this Kueue LocalQueue: labelled and suspended (overrides `queue`)")
        ->type_name("LOCALQUEUE");
    command
        .add_option("--priority", options->priority,
                    "The Kueue WorkloadPriorityClass label (overrides `workloadPriorityClass`)")
        ->type_name("CLASS");
    command.add_option("-o,--output", options->output, "Output format: yaml or json")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"yaml", "json"}))
        ->capture_default_str();
    command.add_flag("--schedule", options->schedule,
                     "Print the job's CronJob (its schedule key) instead of a Job");
    add_container_args(command, options->args);
    command.callback([options, &context] { run_render(*options, context); });
}

} // namespace kq::cmd
