#include "cmd/commands.hpp"
#include "cmd/support/await.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/targets.hpp"
#include "kube/job_logs.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq logs`.
struct LogsOptions {
    std::string name;       // NAME
    std::string definition; // --job
    bool follow = false;    // -f/--follow
    std::string since;      // --since
    long long tail = -1;    // --tail
    bool timestamps = false;
    std::string container; // -c/--container
    bool all_containers = false;
    bool prefix = false;
    bool no_prefix = false;
    std::string timeout;              // --timeout, with -f
    std::vector<std::string> include; // --include REGEX
    std::vector<std::string> exclude; // --exclude REGEX
    std::string output;               // -o json: each line as a JSON object
};

constexpr const char* k_logs_footer = R"(Examples:
  # Print the logs of every pod of a Job, retries and parallel pods included
  kq logs hello-x7k2p

  # Follow the newest Job of the "nightly" definition until it finishes; exit with its result
  kq logs -f --job nightly

  # The last 20 lines of each pod, with timestamps
  kq logs hello-x7k2p --tail 20 --timestamps

Lines carry a [pod/NAME/CONTAINER] prefix when more than one container's logs are shown.)";

void run_logs(const LogsOptions& options, Context& context) {
    const std::vector<std::string> names =
        options.name.empty() ? std::vector<std::string>{} : std::vector{options.name};
    check_selection({names, options.definition, ""}, "logs");
    if (!options.container.empty() && options.all_containers) {
        fail(ErrorKind::usage, "-c and --all-containers: use one of them");
    }
    if (!options.timeout.empty() && !options.follow)
        fail(ErrorKind::usage, "--timeout: only with -f/--follow");
    kube::LogRequest request;
    request.container = options.container;
    request.all_containers = options.all_containers;
    request.timestamps = options.timestamps;
    request.prefix = prefix_choice(options.prefix, options.no_prefix);
    request.color = context.out_is_terminal && context.color();
    if (const auto since = parse_duration_flag("--since", options.since)) {
        request.since_seconds =
            std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(*since).count());
    }
    if (options.tail >= 0) request.tail_lines = options.tail;
    request.include = log_patterns(options.include, "--include");
    request.exclude = log_patterns(options.exclude, "--exclude");
    request.json = options.output == "json";
    const auto timeout = parse_duration_flag("--timeout", options.timeout);

    std::unique_ptr<kube::Client> client = connect(context);
    const std::string namespace_name =
        jobs_namespace(context, client->config(), load_project_if_any(context), options.definition);
    const std::string name = select_jobs(*client, namespace_name, {names, options.definition, ""}).front();
    const nlohmann::json job = client->get(job_path(namespace_name, name));

    if (!options.follow) {
        kube::print_job_logs(
            *client, job, request, [&](std::string_view line) { context.out << line << '\n'; },
            [&](const std::string& note) { context.err << "kq: " << note << '\n'; });
        return;
    }
    jobs::AwaitOptions await;
    await.logs = true;
    await.log_request = request;
    await.timeout = timeout;
    await.timeout_text = options.timeout;
    jobs::throw_if_failed(await_printing(*client, namespace_name, {job}, await, context));
}

} // namespace

void setup_logs(CLI::App& command, Context& context) {
    auto options = std::make_shared<LogsOptions>();
    command.footer(k_logs_footer);
    command.add_option("name", options->name, "The Job whose pods' logs to print");
    command.add_option("--job", options->definition, "The newest Job of this definition")->type_name("DEF");
    command.add_flag("-f,--follow", options->follow,
                     "Stream new lines until the Job finishes, then exit with its result");
    command.add_option("--since", options->since, "Only lines newer than this (e.g. 5m)")
        ->type_name("DURATION");
    command.add_option("--tail", options->tail, "Only the last N lines of each container")->type_name("N");
    command.add_flag("--timestamps", options->timestamps, "Show each line's timestamp");
    command.add_option("-c,--container", options->container, "Only this container of each pod");
    command.add_flag("--all-containers", options->all_containers,
                     "Every container of each pod, init containers and sidecars first");
    command.add_flag("--prefix", options->prefix, "Prefix every line with its pod and container");
    command.add_flag("--no-prefix", options->no_prefix, "Never prefix lines");
    command.add_option("--timeout", options->timeout, "With -f: give up after this long")
        ->type_name("DURATION");
    add_log_filter_flags(command, options->include, options->exclude);
    command
        .add_option("-o,--output", options->output,
                    "Print each line as a JSON object: {job, pod, container, timestamp, message}")
        ->check(CLI::IsMember({"json"}));
    command.callback([options, &context] { run_logs(*options, context); });
}

} // namespace kq::cmd
