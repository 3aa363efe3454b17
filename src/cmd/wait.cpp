#include "cmd/commands.hpp"
#include "cmd/support/await.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/targets.hpp"
#include "project/render.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq wait`.
struct WaitOptions {
    std::vector<std::string> names;      // NAME...
    std::string definition;              // --job
    std::string selector;                // -l/--selector
    std::string timeout;                 // --timeout
    bool timeout_includes_queue = false; // --timeout-includes-queue
    std::string output; // -o json|yaml|name; empty for "job.batch/NAME complete|failed" lines
};

constexpr const char* k_wait_footer = R"(Examples:
  # Wait for a Job; exit 0 if it succeeded, with its container's exit code if it failed
  kq wait hello-x7k2p

  # Wait for the newest Job of the "nightly" definition, at most 30 minutes
  kq wait --job nightly --timeout 30m

  # Wait for every kq Job with a label
  kq wait -l batch=42

Prints "job.batch/NAME complete" or "job.batch/NAME failed" for each Job on stdout, once all have
finished. -o name prints "job.batch/NAME" lines; -o json (or yaml) one document:
  {"jobs": [{"name", "namespace", "definition", "result", "exitCode", "reason", "message",
             "pod", "container"}],
   "exitCode"}
"result" is complete or failed; "exitCode" is the Job's (0, its container's exit code, or 121) and,
at the top, kq's own exit status; "definition", "reason", "message", "pod" and "container" are null
when they do not apply. A wait that times out or is interrupted prints no document.)";

// The -o json|yaml document of a finished wait.
nlohmann::json wait_document(const jobs::AwaitOutcome& outcome, const std::string& namespace_name) {
    auto text_or_null = [](const std::string& text) {
        return text.empty() ? nlohmann::json() : nlohmann::json(text);
    };
    nlohmann::json items = nlohmann::json::array();
    for (std::size_t index = 0; index < outcome.jobs.size(); ++index) {
        const kube::JobSummary& job = outcome.jobs[index];
        const kube::JobResult& result = outcome.results[index];
        items.push_back({{"name", job.name},
                         {"namespace", job.namespace_name.empty() ? namespace_name : job.namespace_name},
                         {"definition", text_or_null(job.definition)},
                         {"result", result.succeeded ? "complete" : "failed"},
                         {"exitCode", result.exit_code},
                         {"reason", text_or_null(result.reason)},
                         {"message", text_or_null(result.succeeded ? std::string() : job.message)},
                         {"pod", text_or_null(result.pod)},
                         {"container", text_or_null(result.container)}});
    }
    return {{"jobs", std::move(items)}, {"exitCode", outcome.exit_code}};
}

void run_wait(const WaitOptions& options, Context& context) {
    check_selection({options.names, options.definition, options.selector}, "wait");
    const auto timeout = parse_duration_flag("--timeout", options.timeout);
    std::unique_ptr<kube::Client> client = connect(context);
    const std::string namespace_name =
        jobs_namespace(context, client->config(), load_project_if_any(context), options.definition);
    std::vector<nlohmann::json> objects =
        select_job_objects(*client, namespace_name, {options.names, options.definition, options.selector});
    if (objects.empty())
        fail(ErrorKind::usage, "-l: no kq Jobs match \"{}\" in namespace \"{}\"", options.selector,
             namespace_name);
    jobs::AwaitOptions await;
    await.timeout = timeout;
    await.timeout_text = options.timeout;
    await.timeout_includes_queue = options.timeout_includes_queue;
    const jobs::AwaitOutcome outcome =
        await_printing(*client, namespace_name, std::move(objects), await, context, options.output.empty());
    if (options.output == "name") {
        for (const kube::JobSummary& job : outcome.jobs)
            context.out << job_ref(job.name) << '\n';
    } else if (options.output == "json") {
        context.out << project::to_json_text(wait_document(outcome, namespace_name));
    } else if (options.output == "yaml") {
        context.out << project::to_yaml(wait_document(outcome, namespace_name));
    }
    context.out.flush();
    jobs::throw_if_failed(outcome);
}

} // namespace

void setup_wait(CLI::App& command, Context& context) {
    auto options = std::make_shared<WaitOptions>();
    command.footer(k_wait_footer);
    command.add_option("name", options->names, "The Jobs to wait for");
    command.add_option("--job", options->definition, "Wait for the newest Job of this definition")
        ->type_name("DEF");
    command.add_option("-l,--selector", options->selector,
                       "Wait for the kq Jobs matching this label selector");
    command
        .add_option("--timeout", options->timeout, "Give up after this long (e.g. 10m); default: no limit")
        ->type_name("DURATION");
    command.add_flag("--timeout-includes-queue", options->timeout_includes_queue,
                     "Count the time Jobs wait in a Kueue queue against --timeout (default: it does not)");
    command.add_option("-o,--output", options->output, "Output format: json, yaml or name (default: lines)")
        ->check(CLI::IsMember({"json", "yaml", "name"}));
    command.callback([options, &context] { run_wait(*options, context); });
}

} // namespace kq::cmd
