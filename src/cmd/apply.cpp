#include "cmd/commands.hpp"
#include "cmd/support/apply_schedules.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/project_loading.hpp"
#include "cmd/support/targets.hpp"
#include "jobs/schedules.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <ostream>
#include <set>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq apply`.
struct ApplyOptions {
    std::vector<std::string> jobs; // JOB...: the scheduled definitions to apply; all when none
    std::string dry_run = "none";  // --dry-run[=client|server|none], read by dry_run_mode
    bool prune = false;            // --prune
    std::string output;            // -o name; empty for "cronjob.batch/NAME created" lines
};

constexpr const char* k_apply_footer =
    R"(Creates or updates the CronJob of each job with a schedule in the project file, with
server-side apply (field manager "kq", conflicts forced), and prints cronjob.batch/NAME created,
configured or unchanged. The CronJob's Jobs carry kq's labels, so kq list, logs --job, wait --job,
status and delete treat them as kq's. --prune also deletes the CronJobs of this project (label
kq.dev/project, the file's name) whose job is gone or no longer scheduled, in the namespaces of the
project's jobs, and only those.

Examples:
  # Apply every schedule of the project
  kq apply

  # Apply one, and see first what would change
  kq diff nightly
  kq apply nightly

  # Apply all and delete the CronJobs of schedules removed from kq.yaml
  kq apply --prune

  # Have the API server check the CronJobs without changing anything
  kq apply --dry-run=server)";

void run_apply(ApplyOptions options, Context& context) {
    options.dry_run = dry_run_mode(options.dry_run);
    if (options.prune && !options.jobs.empty()) {
        fail(ErrorKind::usage, "--prune: prunes against the whole project file; leave out the JOB arguments");
    }
    const project::Project loaded = load_project(context);
    auto client = connect(context);
    const std::string default_namespace = schedule_default_namespace(context, *client);
    const std::vector<nlohmann::json> manifests =
        render_schedules(context, loaded, options.jobs, default_namespace);
    const jobs::ScheduleDryRun mode = schedule_dry_run(options.dry_run);
    const auto print = [&](const jobs::AppliedCronJob& applied) {
        if (options.output == "name") {
            context.out << jobs::cronjob_ref(applied.name) << '\n' << std::flush;
            return;
        }
        context.out << fmt::format("{} {}{}\n", jobs::cronjob_ref(applied.name),
                                   jobs::apply_action_text(applied.action), dry_run_suffix(mode))
                    << std::flush;
    };
    if (manifests.empty() && !options.prune) {
        context.err << fmt::format("no job of {} has a schedule; nothing to apply\n", loaded.file);
        return;
    }
    for (const nlohmann::json& manifest : manifests)
        print(jobs::apply_cronjob(*client, manifest, mode));
    if (!options.prune) return;

    std::set<std::string> keep;
    std::set<std::string> namespaces;
    for (const project::JobDef& job : loaded.jobs) {
        if (job.schedule) keep.insert(job.name);
        namespaces.insert(job.namespace_name.value_or(default_namespace));
    }
    namespaces.insert(loaded.namespace_name.value_or(default_namespace));
    if (!context.global.namespace_name.empty()) namespaces = {context.global.namespace_name};
    jobs::prune_cronjobs(*client, {namespaces.begin(), namespaces.end()}, loaded.name, keep, mode, print);
}

} // namespace

void setup_apply(CLI::App& command, Context& context) {
    auto options = std::make_shared<ApplyOptions>();
    command.footer(k_apply_footer);
    command.add_option("jobs", options->jobs, "The scheduled job definitions to apply (default: all)")
        ->type_name("JOB");
    // A plain flag, as delete's, so that `--dry-run JOB` does not take JOB for the mode.
    command.add_flag("--dry-run", options->dry_run,
                     "Only print what would change; --dry-run=server has the API server check each CronJob "
                     "without changing it");
    command.add_flag("--prune", options->prune,
                     "Delete this project's CronJobs whose job is gone from the project file or no longer "
                     "scheduled");
    command.add_option("-o,--output", options->output, "Output format: name (default: lines)")
        ->check(CLI::IsMember({"name"}));
    command.callback([options, &context] { run_apply(*options, context); });
}

} // namespace kq::cmd
