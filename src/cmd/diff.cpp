#include "cmd/commands.hpp"
#include "cmd/support/apply_schedules.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/external_diff.hpp"
#include "cmd/support/project_loading.hpp"
#include "jobs/schedules.hpp"
#include "project/render.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq diff`.
struct DiffOptions {
    std::vector<std::string> jobs; // JOB...: the scheduled definitions to compare; all when none
};

constexpr const char* k_diff_footer =
    R"(Shows what kq apply would change: for each scheduled job, the live CronJob against the one
a server-side dry-run apply makes, both as YAML without metadata.managedFields, compared by
"diff -u -N" over two folders (or by the command in KQ_EXTERNAL_DIFF, given the two folders). Exits 0
when nothing would change, 1 when something would, and above 1 on an error, as kubectl diff.

Examples:
  # What would kq apply change?
  kq diff

  # One schedule, compared side by side
  KQ_EXTERNAL_DIFF="diff -y" kq diff nightly)";

void run_diff(const DiffOptions& options, Context& context) {
    const project::Project loaded = load_project(context);
    auto client = connect(context);
    const std::vector<nlohmann::json> manifests =
        render_schedules(context, loaded, options.jobs, schedule_default_namespace(context, *client));
    const DiffFolder folder;
    for (const nlohmann::json& manifest : manifests) {
        const jobs::CronJobDiff diff = jobs::diff_cronjob(*client, manifest);
        // kubectl's file names: group.version.Kind.namespace.name.
        const std::string file = fmt::format("batch.v1.CronJob.{}.{}", diff.namespace_name, diff.name);
        if (!diff.live.is_null()) folder.write("LIVE", file, project::to_yaml(diff.live));
        folder.write("MERGED", file, project::to_yaml(diff.merged));
    }
    const int code = run_external_diff(folder, context.out);
    if (code == 0) return;
    // 1: the objects differ; kubectl diff passes it on without a message.
    if (code == 1) throw Error(ErrorKind::usage, "", 1);
    throw Error(ErrorKind::usage, fmt::format("the diff program exited with status {}", code), code);
}

} // namespace

void setup_diff(CLI::App& command, Context& context) {
    auto options = std::make_shared<DiffOptions>();
    command.footer(k_diff_footer);
    command.add_option("jobs", options->jobs, "The scheduled job definitions to compare (default: all)")
        ->type_name("JOB");
    command.callback([options, &context] { run_diff(*options, context); });
}

} // namespace kq::cmd
