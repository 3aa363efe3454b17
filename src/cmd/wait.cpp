// GCC 12 reports a null dereference inside CLI11's option-name splitting once it is inlined here;
// the path it imagines cannot happen (std::vector's reallocation), so the warning is off for this file.
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include "cmd/await.hpp"
#include "cmd/cluster.hpp"
#include "cmd/commands.hpp"
#include "cmd/targets.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq wait`.
struct WaitOptions {
    std::vector<std::string> names; // NAME...
    std::string definition;         // --job
    std::string selector;           // -l/--selector
    std::string timeout;            // --timeout
};

constexpr const char* k_footer = R"(Examples:
  # Wait for a Job; exit 0 if it succeeded, with its container's exit code if it failed
  kq wait hello-x7k2p

  # Wait for the newest Job of the "nightly" definition, at most 30 minutes
  kq wait --job nightly --timeout 30m

  # Wait for every kq Job with a label
  kq wait -l batch=42

Prints "job.batch/NAME complete" or "job.batch/NAME failed" for each Job on stdout.)";

void run_wait(const WaitOptions& options, Context& context) {
    check_selection({options.names, options.definition, options.selector}, "wait");
    const auto timeout = parse_duration_flag("--timeout", options.timeout);
    std::unique_ptr<kube::Client> client = connect(context);
    const std::string namespace_name =
        jobs_namespace(context, client->config(), load_project_if_any(context), options.definition);
    const std::vector<std::string> names =
        select_jobs(*client, namespace_name, {options.names, options.definition, options.selector});
    if (names.empty())
        fail(ErrorKind::usage, "-l: no kq Jobs match \"{}\" in namespace \"{}\"", options.selector,
             namespace_name);
    std::vector<nlohmann::json> jobs;
    for (const std::string& name : names)
        jobs.push_back(client->get(job_path(namespace_name, name)));
    AwaitOptions await;
    await.timeout = timeout;
    await.timeout_text = options.timeout;
    await.print_results = true;
    throw_if_failed(await_jobs(*client, namespace_name, jobs, await, context));
}

} // namespace

void setup_wait(CLI::App& command, Context& context) {
    auto options = std::make_shared<WaitOptions>();
    command.footer(k_footer);
    command.add_option("name", options->names, "The Jobs to wait for");
    command.add_option("--job", options->definition, "Wait for the newest Job of this definition")
        ->type_name("DEF");
    command.add_option("-l,--selector", options->selector,
                       "Wait for the kq Jobs matching this label selector");
    command
        .add_option("--timeout", options->timeout, "Give up after this long (e.g. 10m); default: no limit")
        ->type_name("DURATION");
    command.callback([options, &context] { run_wait(*options, context); });
}

} // namespace kq::cmd
