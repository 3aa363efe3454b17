#include "cmd/commands.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/targets.hpp"
#include "jobs/select.hpp"
#include "project/render.hpp"
#include "util/error.hpp"
#include "util/time.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq delete`.
struct DeleteOptions {
    DeleteSelection selection;
    std::string cascade = "background"; // --cascade background|foreground|orphan
    std::string dry_run = "none";       // --dry-run[=client|server|none], read by dry_run_mode
    bool ignore_not_found = false;      // --ignore-not-found
    std::string output;                 // -o json|yaml|name; empty for "job.batch/NAME deleted" lines
};

constexpr const char* k_delete_footer =
    R"(NAME deletes those Jobs, whoever made them, as kubectl does. --job, -l, --status,
--older-than and --all delete only Jobs kq made (label app.kubernetes.io/managed-by=kq); --status and
--older-than (age since creation, as the AGE column) narrow the others and each other, and alone
mean every Job kq made in the namespace that matches. The pods go too unless --cascade=orphan.
Many Jobs are deleted concurrently over one connection; the lines come out in the order listed.

Examples:
  # Delete one Job and its pods
  kq delete backup-7x2kq

  # Delete the finished Jobs kq made that are older than a week
  kq delete --status finished --older-than 7d

  # See what deleting the failed Jobs of "backup" would delete
  kq delete -l kq.dev/definition=backup --status failed --dry-run

  # Delete the newest Job of "backup", leaving its pods
  kq delete --job backup --cascade orphan

-o name prints "job.batch/NAME" for each deleted Job; -o json (or yaml) prints one document once every
delete has been answered, also when some failed (kq then exits 123):
  {"deleted": [{"name", "namespace"}], "dryRun"}
"dryRun" is null, "client" or "server"; with a dry run "deleted" lists what would be deleted.)";

std::string propagation_policy(const std::string& cascade) {
    if (cascade == "foreground") return "Foreground";
    if (cascade == "orphan") return "Orphan";
    return "Background";
}

// The -o json|yaml document: what was deleted (or, with a dry run, would be); nothing for other formats.
void print_document(const DeleteOptions& options, const std::string& namespace_name,
                    const std::vector<std::string>& deleted, std::ostream& out) {
    if (options.output != "json" && options.output != "yaml") return;
    nlohmann::json items = nlohmann::json::array();
    for (const std::string& name : deleted)
        items.push_back({{"name", name}, {"namespace", namespace_name}});
    const nlohmann::json document = {
        {"deleted", std::move(items)},
        {"dryRun", options.dry_run == "none" ? nlohmann::json() : nlohmann::json(options.dry_run)}};
    out << (options.output == "json" ? project::to_json_text(document) : project::to_yaml(document));
    out.flush();
}

void run_delete(DeleteOptions options, Context& context) {
    options.dry_run = dry_run_mode(options.dry_run);
    const DeleteSelection& selection = options.selection;
    check_delete_selection(selection);
    check_definition_name(selection.definition);
    // Checked before connecting, so that a bad value is reported as such even without a cluster.
    (void)parse_state_filter(selection.status, "--status");
    (void)parse_age_filter(selection.older_than, "--older-than");

    auto client = connect(context);
    const std::string namespace_name = command_namespace(context, *client, selection.definition);
    const bool bulk = selection.names.empty();
    std::vector<std::string> names = selection.names;
    if (bulk) {
        jobs::BulkSelection wanted;
        wanted.definition = selection.definition;
        wanted.selector = selection.selector;
        wanted.state = parse_state_filter(selection.status, "--status");
        wanted.age = parse_age_filter(selection.older_than, "--older-than");
        wanted.now = now_seconds();
        wanted.page_size = list_page_size();
        names = jobs::bulk_names(*client, namespace_name, wanted);
    }
    if (names.empty()) {
        context.err << no_resources_message("") << '\n';
        print_document(options, namespace_name, {}, context.out);
        return;
    }
    jobs::DeleteOptions how;
    how.propagation_policy = propagation_policy(options.cascade);
    how.dry_run = options.dry_run == "client"   ? jobs::DeleteOptions::DryRun::client
                  : options.dry_run == "server" ? jobs::DeleteOptions::DryRun::server
                                                : jobs::DeleteOptions::DryRun::none;
    // A Job gone before its delete is what a bulk delete wanted anyway, as kubectl's -l and --all treat it.
    how.ignore_not_found = options.ignore_not_found || bulk;
    const std::string suffix = options.dry_run == "client"   ? " (dry run)"
                               : options.dry_run == "server" ? " (server dry run)"
                                                             : "";
    std::vector<std::string> deleted; // for -o json|yaml
    auto tell = [&](const std::string& name) {
        if (options.output.empty()) {
            context.out << "job.batch/" << name << " deleted" << suffix << '\n' << std::flush;
        } else if (options.output == "name") {
            context.out << "job.batch/" << name << '\n' << std::flush;
        } else {
            deleted.push_back(name);
        }
    };
    const jobs::DeleteFailures failures = jobs::delete_jobs(*client, namespace_name, names, how, tell);
    print_document(options, namespace_name, deleted, context.out);
    if (failures.count > 0) jobs::throw_delete_failures(failures);
}

} // namespace

void setup_delete(CLI::App& command, Context& context) {
    auto options = std::make_shared<DeleteOptions>();
    DeleteSelection& selection = options->selection;
    command.footer(k_delete_footer);
    command.add_option("names", selection.names, "The Jobs to delete");
    command.add_option("--job", selection.definition, "Delete the newest Job of this job definition")
        ->type_name("DEFINITION");
    command.add_option("-l,--selector", selection.selector,
                       "Delete kq's Jobs whose labels match (e.g. team=data)");
    command
        .add_option("--status", selection.status,
                    "Delete kq's Jobs in this state: succeeded, failed or finished")
        ->check(CLI::IsMember({"succeeded", "failed", "finished"}));
    command
        .add_option("--older-than", selection.older_than,
                    "Delete kq's Jobs created longer ago than this (e.g. 36h, 7d)")
        ->type_name("DURATION");
    command.add_flag("--all", selection.all, "Delete every Job kq made in the namespace");
    command
        .add_option("--cascade", options->cascade,
                    "What happens to the pods: background (deleted after the Job), foreground (before it) "
                    "or orphan (left)")
        ->check(CLI::IsMember({"background", "foreground", "orphan"}))
        ->capture_default_str();
    // A plain flag, so that `--dry-run NAME` does not take NAME for the mode; CLI11 gives a bare
    // --dry-run the value "true", which kubectl also accepts and reads as client.
    command.add_flag(
        "--dry-run", options->dry_run,
        "Only print what would be deleted; --dry-run=server has the API server check each delete "
        "without doing it");
    command.add_flag("--ignore-not-found", options->ignore_not_found,
                     "A Job NAME that does not exist is no error");
    command.add_option("-o,--output", options->output, "Output format: json, yaml or name (default: lines)")
        ->check(CLI::IsMember({"json", "yaml", "name"}));
    command.callback([options, &context] { run_delete(*options, context); });
}

} // namespace kq::cmd
