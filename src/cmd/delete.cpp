#include "cmd/cluster.hpp"
#include "cmd/commands.hpp"
#include "cmd/job_filters.hpp"
#include "cmd/targets.hpp"
#include "kube/job_queries.hpp"
#include "project/render.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <map>
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

constexpr const char* k_footer =
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

// How many deletes are on the wire at once: enough to hide latency, few enough not to crowd out
// others' requests to the API server (kubectl's default client rate is lower still).
constexpr std::size_t k_in_flight = 32;

// The outcome of one delete, kept until its line is due.
struct Outcome {
    bool deleted = false;
    std::optional<kube::ApiError> error;
};

std::string propagation_policy(const std::string& cascade) {
    if (cascade == "foreground") return "Foreground";
    if (cascade == "orphan") return "Orphan";
    return "Background";
}

// kq's Jobs that a bulk selection means, in the API's order.
std::vector<std::string> bulk_names(kube::Client& client, const std::string& namespace_name,
                                    const DeleteSelection& selection) {
    const auto state = parse_state_filter(selection.status, "--status");
    const auto age = parse_age_filter(selection.older_than, "--older-than");
    const TimePoint now = now_seconds();
    auto keep = [&](const nlohmann::json& job) {
        const kube::JobSummary summary = kube::summarize_job(job);
        return (!state || kube::matches_state(summary, *state)) &&
               (!age || kube::older_than(summary, *age, now));
    };
    std::vector<std::string> names;
    if (!selection.definition.empty()) {
        const std::string newest = newest_job(client, namespace_name, selection.definition);
        if (!state && !age) return {newest};
        if (keep(client.get(job_path(namespace_name, newest)))) names.push_back(newest);
        return names;
    }
    kube::ListOptions options;
    options.label_selector = managed_selector("", selection.selector);
    options.limit = list_page_size();
    client.list(jobs_path(namespace_name), options, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (const nlohmann::json& item : page["items"]) {
            if (keep(item)) names.push_back(item["metadata"].value("name", ""));
        }
    });
    return names;
}

// The errors of a delete: the first few, to show, and how many there were.
struct Failures {
    static constexpr std::size_t k_shown = 3; // errors a message quotes
    std::vector<kube::ApiError> first;        // the first k_shown
    std::size_t count = 0;                    // all of them
};

// Deletes (or, for a client dry run, reads) each Job, at most k_in_flight at once, and prints each
// outcome in the names' order as soon as those before it are printed; returns the errors.
Failures delete_jobs(kube::Client& client, const std::string& namespace_name,
                     const std::vector<std::string>& names, const DeleteOptions& options, bool bulk,
                     std::ostream& out, std::vector<std::string>& deleted) {
    const bool client_dry_run = options.dry_run == "client";
    const std::string suffix = client_dry_run                ? " (dry run)"
                               : options.dry_run == "server" ? " (server dry run)"
                                                             : "";
    // A Job gone before its delete is what a bulk delete wanted anyway, as kubectl's -l and --all treat it.
    const bool ignore_not_found = options.ignore_not_found || bulk;
    nlohmann::json delete_options = {{"kind", "DeleteOptions"},
                                     {"apiVersion", "v1"},
                                     {"propagationPolicy", propagation_policy(options.cascade)}};
    // In the body, not the query: the API server reads a DELETE's options from its body when it has one
    // and then ignores ?dryRun=All, which would make a dry run real.
    if (options.dry_run == "server") delete_options["dryRun"] = {"All"};

    Failures failures;
    std::map<std::size_t, Outcome> done; // finished out of order, waiting for the ones before them
    std::size_t next_start = 0;
    std::size_t next_print = 0;
    std::function<void()> start_more = [&] {
        while (next_start < names.size() && next_start < next_print + k_in_flight) {
            const std::size_t index = next_start++;
            kube::ApiRequest request;
            request.path = job_path(namespace_name, names[index]);
            if (client_dry_run) {
                request.method = "GET";
            } else {
                request.method = "DELETE";
                request.body = delete_options;
            }
            client.start(std::move(request), [&, index](kube::ApiResult&& result) {
                Outcome outcome;
                if (result.ok())
                    outcome.deleted = true;
                else if (!(ignore_not_found && result.error->not_found()))
                    outcome.error = std::move(result.error);
                done.emplace(index, std::move(outcome));
                for (auto next = done.find(next_print); next != done.end(); next = done.find(next_print)) {
                    if (next->second.deleted) {
                        if (options.output.empty()) {
                            out << "job.batch/" << names[next_print] << " deleted" << suffix << '\n'
                                << std::flush;
                        } else if (options.output == "name") {
                            out << "job.batch/" << names[next_print] << '\n' << std::flush;
                        } else {
                            deleted.push_back(names[next_print]);
                        }
                    }
                    if (next->second.error && failures.count++ < Failures::k_shown) {
                        failures.first.push_back(std::move(*next->second.error));
                    }
                    done.erase(next);
                    ++next_print;
                }
                start_more();
            });
        }
    };
    start_more();
    client.run([&] { return next_print == names.size(); });
    return failures;
}

// One error for all that went wrong: itself when alone (keeping its exit code), else the first few.
[[noreturn]] void throw_failures(const Failures& failures) {
    if (failures.count == 1) throw failures.first.front();
    std::vector<std::string> messages;
    for (const kube::ApiError& error : failures.first)
        messages.push_back(error.what());
    std::string message = join(messages, "; ");
    if (failures.count > failures.first.size()) {
        const std::size_t more = failures.count - failures.first.size();
        message += fmt::format("; and {}", plural(more, "more error", "more errors"));
    }
    throw Error(ErrorKind::cluster, message);
}

// The --dry-run mode: "none", "client" or "server"; kubectl's older true and false are client and none.
std::string dry_run_mode(const std::string& text) {
    if (text == "true" || text == "client") return "client";
    if (text == "false" || text == "none") return "none";
    if (text == "server") return "server";
    fail(ErrorKind::usage, "--dry-run: \"{}\" is not a mode; use client, server or none", text);
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
    const std::vector<std::string> names =
        bulk ? bulk_names(*client, namespace_name, selection) : selection.names;
    if (names.empty()) {
        context.err << no_resources_message("") << '\n';
        print_document(options, namespace_name, {}, context.out);
        return;
    }
    std::vector<std::string> deleted; // for -o json|yaml
    const Failures failures = delete_jobs(*client, namespace_name, names, options, bulk, context.out, deleted);
    print_document(options, namespace_name, deleted, context.out);
    if (failures.count > 0) throw_failures(failures);
}

} // namespace

void setup_delete(CLI::App& command, Context& context) {
    auto options = std::make_shared<DeleteOptions>();
    DeleteSelection& selection = options->selection;
    command.footer(k_footer);
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
