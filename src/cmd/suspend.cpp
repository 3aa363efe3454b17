#include "jobs/suspend.hpp"
#include "cmd/commands.hpp"
#include "cmd/support/apply_schedules.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/project_loading.hpp"
#include "cmd/support/targets.hpp"
#include "jobs/schedules.hpp"
#include "project/schedule.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq suspend` and `kq resume`.
struct SuspendOptions {
    std::vector<std::string> names; // NAME...
    std::string definition;         // --job DEF: the definition's newest Job
    std::string selector;           // -l/--selector: kq's Jobs matching it
    std::string dry_run = "none";   // --dry-run[=client|server|none], read by dry_run_mode
    std::string output;             // -o name; empty for "job.batch/NAME suspended" lines
    bool suspend = true;            // true for kq suspend, false for kq resume
    std::string schedule;           // --schedule JOB: the scheduled job's CronJob instead of Jobs
};

constexpr const char* k_suspend_footer =
    R"(Sets spec.suspend to true with a patch: the Job controller deletes the Job's running pods
and starts no new one, and the Job's activeDeadlineSeconds clock stops, until kq resume. NAME may be any
Job; --job means the definition's newest Job, -l every Job kq made whose labels match. A Job already
suspended, or finished, is left as it is ("unchanged"). kq list and kq status show it as Suspended.

Examples:
  # Suspend one Job
  kq suspend backup-7x2kq

  # Suspend every Job of the "resize" definition
  kq suspend -l kq.dev/definition=resize

  # See what would be suspended
  kq suspend -l team=data --dry-run

  # Stop a schedule from firing (its CronJob's spec.suspend); kq resume --schedule starts it again
  kq suspend --schedule nightly)";

constexpr const char* k_resume_footer =
    R"(Sets spec.suspend to false with a patch, so the Job controller starts the Job's pods (a Job
created with kq submit --suspend, or suspended with kq suspend). NAME may be any Job; --job means the
definition's newest Job, -l every Job kq made whose labels match. A Job not suspended, or finished, is
left as it is ("unchanged").

Examples:
  # Resume one Job
  kq resume resize-4f7xq

  # Create ten Jobs suspended, then start them all
  kq submit resize --count 10 --suspend
  kq resume -l kq.dev/definition=resize

  # Have the API server check the patch without making it
  kq resume --job resize --dry-run=server)";

// --schedule JOB: sets the CronJob's spec.suspend, which stops or starts its firing (its running Jobs
// are left as they are).
void run_suspend_schedule(const SuspendOptions& options, Context& context) {
    if (!options.names.empty() || !options.definition.empty() || !options.selector.empty()) {
        fail(ErrorKind::usage, "--schedule: names a CronJob; leave out Job names, --job and -l/--selector");
    }
    const project::Project loaded = load_project(context);
    const project::JobDef& job = *project::scheduled_jobs(loaded, {options.schedule}).front();
    auto client = connect(context);
    const std::string namespace_name =
        choose_namespace(context.global.namespace_name, job.namespace_name, loaded.namespace_name,
                         client->config().namespace_name)
            .name;
    const jobs::ScheduleDryRun mode = schedule_dry_run(options.dry_run);
    const bool changed =
        jobs::set_cronjob_suspended(*client, namespace_name, job.name, options.suspend, mode);
    if (options.output == "name") {
        context.out << jobs::cronjob_ref(job.name) << '\n';
        return;
    }
    std::string what = options.suspend ? "suspended" : "resumed";
    if (!changed) what = options.suspend ? "unchanged (already suspended)" : "unchanged (not suspended)";
    context.out << fmt::format("{} {}{}\n", jobs::cronjob_ref(job.name), what, dry_run_suffix(mode));
}

void run_suspend(SuspendOptions options, Context& context) {
    const char* command = options.suspend ? "suspend" : "resume";
    options.dry_run = dry_run_mode(options.dry_run);
    if (!options.schedule.empty()) {
        run_suspend_schedule(options, context);
        return;
    }
    check_selection({options.names, options.definition, options.selector}, command);
    check_definition_name(options.definition);

    auto client = connect(context);
    const std::string namespace_name = command_namespace(context, *client, options.definition);
    const std::vector<std::string> names =
        select_jobs(*client, namespace_name, {options.names, options.definition, options.selector});
    if (names.empty()) {
        context.err << no_resources_message(namespace_name) << '\n';
        return;
    }
    jobs::SuspendOptions how;
    how.suspend = options.suspend;
    how.dry_run = options.dry_run == "client"   ? jobs::SuspendOptions::DryRun::client
                  : options.dry_run == "server" ? jobs::SuspendOptions::DryRun::server
                                                : jobs::SuspendOptions::DryRun::none;
    const std::string suffix = options.dry_run == "client"   ? " (dry run)"
                               : options.dry_run == "server" ? " (server dry run)"
                                                             : "";
    jobs::set_suspended(*client, namespace_name, names, how, [&](const jobs::SuspendOutcome& outcome) {
        if (options.output == "name") {
            context.out << job_ref(outcome.name) << '\n' << std::flush;
            return;
        }
        std::string what = options.suspend ? "suspended" : "resumed";
        if (outcome.finished) {
            what = "unchanged (finished)";
        } else if (!outcome.changed) {
            what = options.suspend ? "unchanged (already suspended)" : "unchanged (not suspended)";
        }
        context.out << fmt::format("{} {}{}\n", job_ref(outcome.name), what, suffix) << std::flush;
    });
}

void add_suspend_flags(CLI::App& command, const std::shared_ptr<SuspendOptions>& options) {
    const char* verb = options->suspend ? "Suspend" : "Resume";
    command.add_option("names", options->names,
                       fmt::format("The Jobs to {}", options->suspend ? "suspend" : "resume"));
    command
        .add_option("--job", options->definition,
                    fmt::format("{} the newest Job of this job definition", verb))
        ->type_name("DEFINITION");
    command.add_option("-l,--selector", options->selector,
                       fmt::format("{} kq's Jobs whose labels match (e.g. team=data)", verb));
    // A plain flag, as delete's, so that `--dry-run NAME` does not take NAME for the mode.
    command.add_flag("--dry-run", options->dry_run,
                     "Only print what would change; --dry-run=server has the API server check each patch "
                     "without making it");
    command.add_option("-o,--output", options->output, "Output format: name (default: lines)")
        ->check(CLI::IsMember({"name"}));
    command
        .add_option("--schedule", options->schedule,
                    fmt::format("{} the CronJob of this scheduled job definition instead", verb))
        ->type_name("JOB");
}

} // namespace

void setup_suspend(CLI::App& command, Context& context) {
    auto options = std::make_shared<SuspendOptions>();
    command.footer(k_suspend_footer);
    add_suspend_flags(command, options);
    command.callback([options, &context] { run_suspend(*options, context); });
}

void setup_resume(CLI::App& command, Context& context) {
    auto options = std::make_shared<SuspendOptions>();
    options->suspend = false;
    command.footer(k_resume_footer);
    add_suspend_flags(command, options);
    command.callback([options, &context] { run_suspend(*options, context); });
}

} // namespace kq::cmd
