#include "jobs/rerun.hpp"
#include "cmd/commands.hpp"
#include "cmd/support/await.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/container_args.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/output.hpp"
#include "cmd/support/project_loading.hpp"
#include "cmd/support/targets.hpp"
#include "jobs/paths.hpp"
#include "jobs/queue.hpp"
#include "project/params.hpp"
#include "project/render.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <ostream>
#include <set>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq rerun`.
struct RerunOptions {
    std::string name;                    // NAME: the Job to re-run
    std::vector<std::string> params;     // -p NAME=VALUE, with --from-definition
    bool from_definition = false;        // --from-definition
    bool failed = false;                 // --failed: every failed Job of --job not re-run yet
    std::string job;                     // --job DEF, with --failed
    bool suspend = false;                // --suspend
    bool dry_run = false;                // --dry-run
    std::string output;                  // -o name|yaml|json
    bool wait = false;                   // --wait
    bool logs = false;                   // -f/--logs
    std::string timeout;                 // --timeout
    bool timeout_includes_queue = false; // --timeout-includes-queue
    std::string queue;                   // --queue LQ: Kueue's LocalQueue, over the old Job's
    std::string priority;                // --priority CLASS: Kueue's WorkloadPriorityClass
};

constexpr const char* k_rerun_footer =
    R"(Makes a new Job from an old one and prints "job.batch/NEW created". By default the old Job's
spec is copied (as argo resubmit does), without the selector and labels the Job controller added and
without its suspension, in the old Job's Kueue queue if it had one; --from-definition renders the definition again from today's project file
with the params recorded on the old Job (annotation kq.dev/params), -p overriding them. The new Job
is named from the definition with a fresh suffix, labelled kq.dev/rerun-of=OLD, and gets a copy of
the old Job's payload in a ConfigMap or Secret of its own.

--failed --job DEF re-runs each failed Job of the definition that no Job re-runs yet: of a chain of
re-runs only the newest attempt, and only when it failed. With --dry-run it lists them.

Exit codes as for kq submit: with --wait or --logs the Job's result.

Examples:
  # Run a failed Job again, exactly as it ran
  kq rerun nightly-x7k2p --logs

  # Again from today's kq.yaml, with one param changed
  kq rerun nightly-x7k2p --from-definition -p date=2024-05-02

  # After a bad deploy: which of last night's failures would be re-run, then re-run them
  kq rerun --failed --job nightly --dry-run
  kq rerun --failed --job nightly --from-definition)";

void check_rerun_flags(const RerunOptions& options) {
    if (options.failed && !options.name.empty())
        fail(ErrorKind::usage, "rerun: name a Job or use --failed --job DEFINITION, not both");
    if (!options.failed && options.name.empty())
        fail(ErrorKind::usage, "rerun: name a Job, or use --failed --job DEFINITION");
    if (options.failed && options.job.empty())
        fail(ErrorKind::usage, "--failed: name the definition with --job DEFINITION");
    if (!options.failed && !options.job.empty())
        fail(ErrorKind::usage, "--job: selects the failed Jobs to re-run; add --failed");
    if (!options.params.empty() && !options.from_definition) {
        fail(ErrorKind::usage,
             "-p: a copied Job keeps its params; add --from-definition to render it again with new ones");
    }
    if (options.dry_run && (options.wait || options.logs)) {
        fail(ErrorKind::usage, "--dry-run: creates nothing to wait for; drop --wait/--logs");
    }
}

void run_rerun(RerunOptions options, Context& context) {
    if (options.logs) options.wait = true;
    check_rerun_flags(options);
    check_definition_name(options.job);
    const std::optional<std::chrono::milliseconds> timeout =
        parse_duration_flag("--timeout", options.timeout);

    std::optional<project::Project> loaded;
    jobs::RerunOptions rerun;
    if (options.from_definition) {
        loaded = load_project(context);
        rerun.from_definition = true;
        rerun.project = &*loaded;
        rerun.params = project::parse_param_flags(options.params);
        rerun.env = process_env;
    }
    rerun.suspend = options.suspend;
    if (!options.queue.empty()) rerun.queue = options.queue;
    if (!options.priority.empty()) rerun.priority = options.priority;
    project::check_kueue_flags(rerun.queue, rerun.priority); // before the cluster is asked

    auto client = connect(context);
    const std::string namespace_name = command_namespace(context, *client, options.job);
    std::vector<nlohmann::json> old_jobs;
    if (options.failed) {
        old_jobs = jobs::failed_not_rerun(*client, namespace_name, options.job);
    } else {
        old_jobs.push_back(client->get(jobs::job_path(namespace_name, options.name)));
    }

    if (options.failed && options.dry_run) {
        // Which Jobs would be re-run: their names, as kubectl's -o name prints them.
        for (const nlohmann::json& old : old_jobs)
            context.out << jobs::job_ref(old["metadata"]["name"].get<std::string>()) << '\n';
        context.out.flush();
        context.err << fmt::format("kq: {} failed Jobs of definition \"{}\" would be re-run (dry run)\n",
                                   old_jobs.size(), options.job);
        return;
    }
    // Planned before any is created, so that a bad -p or a missing payload creates nothing.
    std::vector<jobs::RerunPlan> plans;
    for (const nlohmann::json& old : old_jobs)
        plans.push_back(jobs::plan_rerun(*client, namespace_name, old, rerun));
    // A Job for a Kueue queue that does not exist would wait for ever: refuse before creating anything.
    std::set<std::string> queues;
    for (const jobs::RerunPlan& plan : plans) {
        if (queues.insert(jobs::queue_of(plan.manifest)).second)
            jobs::check_queue_target(*client, namespace_name, plan.manifest, options.suspend);
    }
    if (options.dry_run) {
        for (const jobs::RerunPlan& plan : plans) {
            if (options.output == "name") {
                context.out << jobs::job_ref(plan.manifest["metadata"]["name"].get<std::string>()) << '\n';
            } else if (options.output == "json") {
                context.out << project::to_json_text(plan.manifest);
            } else {
                context.out << project::to_yaml(plan.manifest);
            }
        }
        return;
    }

    std::vector<nlohmann::json> created;
    for (const jobs::RerunPlan& plan : plans) {
        nlohmann::json job = jobs::create_rerun(*client, namespace_name, plan, "");
        const std::string name = job["metadata"]["name"].get<std::string>();
        if (options.output == "name") {
            context.out << jobs::job_ref(name) << '\n';
        } else if (options.output == "json") {
            context.out << project::to_json_text(job);
        } else if (options.output == "yaml") {
            context.out << project::to_yaml(job);
        } else {
            context.out << fmt::format("{} created (re-run of {})\n", jobs::job_ref(name),
                                       jobs::job_ref(plan.old_name));
        }
        context.out.flush();
        created.push_back(std::move(job));
    }
    if (options.failed && created.empty())
        context.err << fmt::format("kq: no failed Job of definition \"{}\" to re-run\n", options.job);
    if (!options.wait || created.empty()) return;
    jobs::AwaitOptions await;
    await.logs = options.logs;
    await.timeout = timeout;
    await.timeout_text = options.timeout;
    await.timeout_includes_queue = options.timeout_includes_queue;
    await.log_request.color = context.out_is_terminal && context.color();
    const jobs::AwaitOutcome outcome =
        await_printing(*client, namespace_name, std::move(created), await, context);
    jobs::throw_if_failed(outcome);
}

} // namespace

void setup_rerun(CLI::App& command, Context& context) {
    auto options = std::make_shared<RerunOptions>();
    command.footer(k_rerun_footer);
    command.add_option("name", options->name, "The Job to run again");
    add_param_flag(command, options->params);
    command.add_flag("--from-definition", options->from_definition,
                     "Render the Job again from the project file, with its recorded params and -p");
    command.add_flag("--failed", options->failed, "Re-run every failed Job of --job that no Job re-runs yet");
    command
        .add_option("--job", options->job, "With --failed: the job definition whose failed Jobs to re-run")
        ->type_name("DEFINITION");
    command.add_flag("--suspend", options->suspend,
                     "Create the new Jobs suspended: no pod starts until kq resume");
    command.add_flag("--dry-run", options->dry_run,
                     "Print the new Jobs (with --failed: the Jobs that would be re-run), create nothing");
    command
        .add_option("-o,--output", options->output,
                    "Print the created objects as yaml or json, or only their names")
        ->check(CLI::IsMember({"yaml", "json", "name"}));
    command.add_flag("--wait", options->wait, "Wait until the new Jobs finish; exit with their result");
    command.add_flag("-f,--logs", options->logs, "Stream the logs of the new Jobs' pods (implies --wait)");
    command
        .add_option("--timeout", options->timeout,
                    "Give up waiting after this long (e.g. 10m); default: no limit")
        ->type_name("DURATION");
    command.add_flag(
        "--timeout-includes-queue", options->timeout_includes_queue,
        "Count the time the Jobs wait in a Kueue queue against --timeout (default: it does not)");
    command
        .add_option("--queue", options->queue,
                    "Submit the new Jobs to this Kueue LocalQueue (default: the old Job's queue, if any)")
        ->type_name("LOCALQUEUE");
    command
        .add_option("--priority", options->priority,
                    "The Kueue WorkloadPriorityClass of the new Jobs (default: the old Job's)")
        ->type_name("CLASS");
    command.callback([options, &context] { run_rerun(*options, context); });
}

} // namespace kq::cmd
