#include "cmd/commands.hpp"
#include "cmd/support/apply_schedules.hpp"
#include "cmd/support/await.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/container_args.hpp"
#include "cmd/support/output.hpp"
#include "cmd/support/project_loading.hpp"
#include "cmd/support/targets.hpp"
#include "jobs/await.hpp"
#include "jobs/queue.hpp"
#include "jobs/schedules.hpp"
#include "jobs/unique.hpp"
#include "project/names.hpp"
#include "project/params.hpp"
#include "project/render.hpp"
#include "project/schedule.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq trigger`.
struct TriggerOptions {
    std::string job;
    std::vector<std::string> params;     // -p NAME=VALUE: over the schedule's params
    std::string name;                    // --name
    std::string idempotency_key;         // --idempotency-key KEY: a retried trigger gets its Job back
    int count = 1;                       // --count N: N Jobs from the template
    bool unique = false;                 // --unique: not while a Job of the definition is unfinished
    std::string output;                  // -o yaml|json|name
    std::string dry_run = "none";        // --dry-run none|client|server
    bool wait = false;                   // --wait
    bool logs = false;                   // --logs/-f
    std::string timeout;                 // --timeout
    std::string cleanup = "never";       // --cleanup never|on-success|always
    bool timestamps = false;             // --timestamps
    bool prefix = false;                 // --prefix
    bool no_prefix = false;              // --no-prefix
    std::vector<std::string> include;    // --include REGEX
    std::vector<std::string> exclude;    // --exclude REGEX
    std::string queue;                   // --queue LQ: Kueue's LocalQueue
    std::string priority;                // --priority CLASS: Kueue's WorkloadPriorityClass
    bool timeout_includes_queue = false; // --timeout-includes-queue
};

constexpr const char* k_trigger_footer =
    R"(Runs a scheduled job now, as kubectl create job --from=cronjob/NAME does: reads the live
CronJob (made by kq apply) and creates a Job from its jobTemplate, with the annotation
cronjob.kubernetes.io/instantiate=manual and the CronJob as its controller, named NAME-manual-xxxxx
unless --name (or --idempotency-key KEY: a name derived from the job and KEY, so that a retried
trigger finds its Job and prints "unchanged"). With -p the template is rendered from the project file
instead, with the schedule's params and these over them. --count N makes N Jobs; --unique refuses
(exit 122) while a Job of the definition, the CronJob's own runs included, is unfinished. --wait and
--logs wait for them and exit with their result, as kq run.

Examples:
  # Run the nightly report now and follow it; exit with its result
  kq trigger nightly --logs

  # Run it for another region, give up after 30 minutes
  kq trigger nightly -p region=us --wait --timeout 30m)";

void run_trigger(TriggerOptions options, Context& context) {
    if (options.logs) options.wait = true;
    if (options.dry_run != "none" && options.wait) {
        fail(ErrorKind::usage, "--dry-run: creates nothing to wait for; drop --wait/--logs");
    }
    (void)prefix_choice(options.prefix, options.no_prefix);
    (void)log_patterns(options.include, "--include");
    (void)log_patterns(options.exclude, "--exclude");
    const std::optional<std::chrono::milliseconds> timeout =
        parse_duration_flag("--timeout", options.timeout);
    if (!options.name.empty() && !options.idempotency_key.empty())
        fail(ErrorKind::usage, "--name and --idempotency-key: use one of them (the key derives the name)");
    if (options.count < 1) fail(ErrorKind::usage, "--count: must be at least 1, not {}", options.count);
    if (options.count > 1 && !options.name.empty())
        fail(ErrorKind::usage, "--name: names one Job; with --count use --idempotency-key");
    if (options.count > 1 && options.unique)
        fail(ErrorKind::usage,
             "--unique: allows one active Job of the definition; it can't be used with --count");
    if (!options.name.empty()) {
        if (auto problem = project::check_dns_label(options.name)) {
            fail(ErrorKind::usage, "--name {}: invalid Job name: {}", quote(options.name), *problem);
        }
    }

    std::optional<std::string> queue;
    std::optional<std::string> priority;
    if (!options.queue.empty()) queue = options.queue;
    if (!options.priority.empty()) priority = options.priority;
    project::check_kueue_flags(queue, priority); // before the cluster is asked

    const project::Project loaded = load_project(context);
    const project::JobDef& job = *project::scheduled_jobs(loaded, {options.job}).front();
    const project::ParamValues given = project::parse_param_flags(options.params);

    auto client = connect(context);
    const std::string namespace_name =
        choose_namespace(context.global.namespace_name, job.namespace_name, loaded.namespace_name,
                         client->config().namespace_name)
            .name;
    nlohmann::json cronjob;
    try {
        cronjob = client->get(jobs::cronjob_path(namespace_name, job.name));
    } catch (const kube::ApiError& error) {
        if (!error.not_found()) throw;
        throw kube::ApiError(fmt::format("{}; create it with kq apply {}", error.what(), job.name),
                             error.code(), error.reason(), error.request_sent(), error.status());
    }
    nlohmann::json job_template = cronjob["spec"]["jobTemplate"];
    if (!given.empty()) {
        project::JobDef with_params = job;
        for (const auto& [name, value] : given)
            with_params.schedule->params[name] = value;
        project::RenderRequest request;
        request.default_namespace = namespace_name;
        request.env = process_env;
        job_template = project::render_cronjob(loaded, with_params, request)["spec"]["jobTemplate"];
    }
    // The Jobs to create: alike, but for the names an idempotency key gives each ("KEY/N" in a fan-out,
    // as kq submit --count names its keys).
    std::vector<nlohmann::json> manifests;
    std::vector<std::string> keys;
    for (int index = 0; index < options.count; ++index) {
        nlohmann::json manifest = jobs::job_from_cronjob(cronjob, job_template, options.name);
        std::string key;
        if (!options.idempotency_key.empty()) {
            key = options.count == 1 ? options.idempotency_key
                                     : fmt::format("{}/{}", options.idempotency_key, index);
            jobs::key_triggered_job(manifest, namespace_name, job.name, key);
        }
        jobs::put_in_queue(manifest, queue, priority);
        manifests.push_back(std::move(manifest));
        keys.push_back(std::move(key));
    }
    // A Job for a Kueue queue that does not exist would wait for ever: refuse before creating it.
    if (options.dry_run != "client")
        jobs::check_queue_target(*client, namespace_name, manifests.front(), false);
    if (options.dry_run == "client") {
        if (manifests.size() == 1) {
            context.out << (options.output == "json" ? project::to_json_text(manifests.front())
                                                     : project::to_yaml(manifests.front()));
            return;
        }
        ListWriter document(context.out, parse_output_format(options.output == "json" ? "json" : "yaml"),
                            "job.batch");
        for (const nlohmann::json& manifest : manifests)
            document.write(manifest);
        document.finish();
        return;
    }
    const std::string dry_run_query = options.dry_run == "server" ? "All" : "";

    // With logs, stdout is theirs; what was created is a diagnostic then.
    std::ostream& created_out = options.logs ? context.err : context.out;
    std::optional<ListWriter> document;
    if (manifests.size() > 1 && (options.output == "json" || options.output == "yaml"))
        document.emplace(created_out, parse_output_format(options.output), "job.batch");
    auto tell = [&](const jobs::Triggered& triggered) {
        const nlohmann::json& object = triggered.job;
        const std::string name = object["metadata"].value("name", std::string());
        if (document) {
            document->write(object);
        } else if (options.output == "name") {
            created_out << job_ref(name) << '\n';
        } else if (options.output == "json") {
            created_out << project::to_json_text(object);
        } else if (options.output == "yaml") {
            created_out << project::to_yaml(object);
        } else {
            created_out << fmt::format("{} {}{}\n", job_ref(name),
                                       triggered.adopted ? "unchanged" : "created",
                                       dry_run_query.empty() ? "" : " (server dry run)");
        }
        created_out.flush();
    };

    std::vector<nlohmann::json> created;
    if (options.unique && !dry_run_query.empty()) {
        jobs::check_unique(*client, namespace_name, job.name, "");
        const jobs::Triggered triggered =
            jobs::create_triggered(*client, namespace_name, manifests.front(), keys.front(), dry_run_query);
        tell(triggered);
        created.push_back(triggered.job);
    } else if (options.unique) {
        // Created suspended as a claim, then settled against the definition's other Jobs (as kq submit
        // --unique): of racing triggers, and beside a run the CronJob started, at most one Job runs.
        catch_interrupts();
        bool adopted = false;
        auto create_claim = [&] {
            nlohmann::json claim = manifests.front();
            jobs::make_claim(claim);
            jobs::Triggered triggered =
                jobs::create_triggered(*client, namespace_name, claim, keys.front(), "");
            adopted = triggered.adopted;
            return std::move(triggered.job);
        };
        jobs::Triggered settled{jobs::submit_unique(*client, namespace_name, job.name, create_claim),
                                adopted};
        tell(settled);
        created.push_back(std::move(settled.job));
    } else {
        // One after another: a trigger makes a few Jobs, not thousands (that is kq submit's fan-out).
        try {
            for (size_t index = 0; index < manifests.size(); ++index) {
                if (interrupted()) fail(ErrorKind::interrupted, "interrupted");
                jobs::Triggered triggered = jobs::create_triggered(*client, namespace_name, manifests[index],
                                                                   keys[index], dry_run_query);
                tell(triggered);
                created.push_back(std::move(triggered.job));
            }
        } catch (const Error&) {
            if (document) document->finish();
            if (manifests.size() > 1)
                context.err << fmt::format(
                    "kq: {} of {} Jobs were created before the error; the rest were not\n", created.size(),
                    manifests.size());
            throw;
        }
    }
    if (document) document->finish();
    if (!options.wait || !dry_run_query.empty()) return;

    jobs::AwaitOptions await;
    await.logs = options.logs;
    await.timeout = timeout;
    await.timeout_text = options.timeout;
    await.timeout_includes_queue = options.timeout_includes_queue;
    await.log_request.timestamps = options.timestamps;
    await.log_request.prefix = prefix_choice(options.prefix, options.no_prefix);
    await.log_request.color = context.out_is_terminal && context.color();
    await.log_request.include = log_patterns(options.include, "--include");
    await.log_request.exclude = log_patterns(options.exclude, "--exclude");
    const jobs::AwaitOutcome outcome = await_printing(*client, namespace_name, created, await, context);
    if (options.cleanup == "always" || (options.cleanup == "on-success" && outcome.exit_code == 0)) {
        for (const nlohmann::json& object : created) {
            const std::string name = object["metadata"].value("name", std::string());
            jobs::delete_job(*client, namespace_name, name);
            created_out << job_ref(name) << " deleted\n";
        }
    }
    jobs::throw_if_failed(outcome);
}

} // namespace

void setup_trigger(CLI::App& command, Context& context) {
    auto options = std::make_shared<TriggerOptions>();
    command.footer(k_trigger_footer);
    command.add_option("job", options->job, "The scheduled job definition to run now")->required();
    add_param_flag(command, options->params);
    command.add_option("--name", options->name,
                       "Name the Job NAME instead of generating \"JOB-manual-xxxxx\"");
    command
        .add_option("--idempotency-key", options->idempotency_key,
                    "Derive the Job's name from the job and KEY: a retried trigger gets the same Job back")
        ->type_name("KEY");
    command.add_option("--count", options->count, "Create N Jobs from the template")->type_name("N");
    command.add_flag(
        "--unique", options->unique,
        "Refuse (exit 122) while an unfinished Job of the definition exists, its schedule's too");
    command
        .add_option("-o,--output", options->output, "Print the created Job as yaml or json, or only its name")
        ->check(CLI::IsMember({"yaml", "json", "name"}));
    command
        .add_option("--dry-run", options->dry_run,
                    "none; client: print the Job, create nothing; server: have the API server check it")
        ->check(CLI::IsMember({"none", "client", "server"}))
        ->capture_default_str();
    command.add_flag("--wait", options->wait, "Wait until the Job finishes; exit with its result");
    command.add_flag("-f,--logs", options->logs, "Stream the logs of the Job's pods (implies --wait)");
    command
        .add_option("--timeout", options->timeout,
                    "Give up waiting after this long (e.g. 10m); default: no limit")
        ->type_name("DURATION");
    command
        .add_option("--cleanup", options->cleanup,
                    "Delete the Job after waiting: never, on-success or always")
        ->check(CLI::IsMember({"never", "on-success", "always"}))
        ->capture_default_str();
    command.add_flag("--timestamps", options->timestamps, "Show each log line's timestamp");
    command.add_flag("--prefix", options->prefix, "Prefix every log line with its pod and container");
    command.add_flag("--no-prefix", options->no_prefix, "Never prefix log lines");
    add_log_filter_flags(command, options->include, options->exclude);
    command
        .add_option("--queue", options->queue,
                    "Submit the Job to this Kueue LocalQueue (default: the template's queue, if any)")
        ->type_name("LOCALQUEUE");
    command
        .add_option("--priority", options->priority,
                    "The Kueue WorkloadPriorityClass of the Job (overrides the template's)")
        ->type_name("CLASS");
    command.add_flag(
        "--timeout-includes-queue", options->timeout_includes_queue,
        "Count the time the Job waits in a Kueue queue against --timeout (default: it does not)");
    command.callback([options, &context] { run_trigger(*options, context); });
}

} // namespace kq::cmd
