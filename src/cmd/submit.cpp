#include "jobs/submit.hpp"
#include "cmd/commands.hpp"
#include "cmd/support/await.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/container_args.hpp"
#include "cmd/support/output.hpp"
#include "cmd/support/project_loading.hpp"
#include "cmd/support/targets.hpp"
#include "jobs/max_active.hpp"
#include "jobs/queue.hpp"
#include "jobs/unique.hpp"
#include "project/listing.hpp"
#include "project/params.hpp"
#include "project/render.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq submit` and `kq run`.
struct SubmitOptions {
    std::string job;
    std::vector<std::string> params;     // -p NAME=VALUE
    std::string name;                    // --name
    std::string output;                  // -o yaml|json|name
    std::string dry_run = "none";        // --dry-run none|client|server
    bool wait = false;                   // --wait
    bool logs = false;                   // --logs/-f
    std::string timeout;                 // --timeout
    bool timeout_includes_queue = false; // --timeout-includes-queue
    std::string idempotency_key;         // --idempotency-key
    bool unique = false;                 // --unique
    bool suspend = false;                // --suspend (submit only)
    std::string queue;                   // --queue LQ: Kueue's LocalQueue
    std::string priority;                // --priority CLASS: Kueue's WorkloadPriorityClass
    int count = 1;                       // --count
    std::string params_file;             // --params-file
    std::string cleanup = "never";       // --cleanup never|on-success|always
    bool timestamps = false;             // --timestamps
    bool prefix = false;                 // --prefix
    bool no_prefix = false;              // --no-prefix
    std::vector<std::string> include;    // --include REGEX: only log lines matching one
    std::vector<std::string> exclude;    // --exclude REGEX: no log line matching one
    std::string log_output;              // kq run -o json: log lines as JSON objects
    std::shared_ptr<ContainerArgs> args = std::make_shared<ContainerArgs>(); // after "--"
    bool is_run = false;         // kq run: logs and wait always, the result as the exit status
    std::string payload;         // --payload FILE ("-" for stdin)
    std::string payload_file;    // --payload-file FILE: JSON Lines, one payload per Job
    bool payload_secret = false; // --payload-secret
    int max_active = 0;          // --max-active K: at most K of the fan-out's Jobs unfinished at once
    bool max_active_given = false;
    bool all_containers = false; // --all-containers: the logs of every container of each pod
};

// The largest --params-file read.
constexpr size_t k_max_params_file = 64 * 1024 * 1024;

using jobs::Planned;
using jobs::Submission;

void check_flags(const SubmitOptions& options) {
    check_container_args(*options.args, options.is_run ? "run" : "submit", options.job);
    if (options.count < 1) fail(ErrorKind::usage, "--count: must be at least 1, not {}", options.count);
    if (options.count > 1 && !options.params_file.empty()) {
        fail(ErrorKind::usage,
             "--count and --params-file: use one of them (a params file makes one Job per line)");
    }
    const bool many = options.count > 1 || !options.params_file.empty();
    if (many && options.unique) {
        fail(ErrorKind::usage, "--unique: allows one active Job of the definition; it can't be used with {}",
             options.count > 1 ? "--count" : "--params-file");
    }
    if (options.suspend && options.unique) {
        fail(ErrorKind::usage,
             "--suspend and --unique: --unique resumes its Job once it is alone; use one of them");
    }
    if (many && !options.name.empty()) {
        fail(ErrorKind::usage, "--name: names one Job; with --count or --params-file use --idempotency-key");
    }
    if (!options.name.empty() && !options.idempotency_key.empty()) {
        fail(ErrorKind::usage, "--name and --idempotency-key: use one of them (the key derives the name)");
    }
    if (options.max_active < 0 || (options.max_active == 0 && options.max_active_given)) {
        fail(ErrorKind::usage, "--max-active: must be at least 1, not {}", options.max_active);
    }
    if (options.max_active_given && options.dry_run != "none") {
        fail(ErrorKind::usage, "--max-active: waits for the Jobs to create the rest; it can't be used with "
                               "--dry-run");
    }
    if (options.max_active_given && options.suspend) {
        fail(ErrorKind::usage,
             "--max-active and --suspend: a suspended Job never finishes, so the rest would "
             "never be created; use one of them");
    }
    if (options.all_containers && !options.logs) {
        fail(ErrorKind::usage, "--all-containers: follows the logs of every container; use it with --logs");
    }
    if (options.dry_run != "none" && (options.wait || options.logs || options.is_run)) {
        fail(ErrorKind::usage, "--dry-run: creates nothing to wait for; drop --wait/--logs or use kq render");
    }
    if (!options.payload.empty() && !options.payload_file.empty()) {
        fail(ErrorKind::usage,
             "--payload and --payload-file: use one of them (a payload file has one payload per Job)");
    }
    if (!options.payload_file.empty() && options.count > 1) {
        fail(ErrorKind::usage,
             "--count and --payload-file: use one of them (a payload file makes one Job per line)");
    }
    if (options.payload == "-" && options.params_file == "-") {
        fail(ErrorKind::usage, "--payload and --params-file: only one of them can read stdin (-)");
    }
    if (options.payload_file == "-" && options.params_file == "-") {
        fail(ErrorKind::usage, "--payload-file and --params-file: only one of them can read stdin (-)");
    }
    if (options.payload_secret && options.payload.empty() && options.payload_file.empty()) {
        fail(ErrorKind::usage,
             "--payload-secret: stores a payload in a Secret; give --payload or --payload-file");
    }
    (void)prefix_choice(options.prefix, options.no_prefix);
    (void)log_patterns(options.include, "--include");
    (void)log_patterns(options.exclude, "--exclude");
}

std::string params_file_text(const std::string& path) {
    if (path == "-") {
        // Through the stream's buffer as a whole: GCC 12 sees a null dereference in an inlined
        // istreambuf_iterator loop over std::cin, as rdbuf() may be null.
        std::ostringstream text;
        if (std::cin.rdbuf() != nullptr) text << std::cin.rdbuf();
        return text.str();
    }
    return read_file(path, path, k_max_params_file);
}

// Reads --payload: a file or stdin, any bytes, refused past kq's limit before anything is created.
std::string payload_bytes(const std::string& path) {
    const FileText read = read_text(path == "-" ? "/dev/stdin" : path, project::k_max_payload_bytes);
    const std::string shown = path == "-" ? "<stdin>" : path;
    if (read.too_large) {
        fail(ErrorKind::usage,
             "--payload {}: the payload is more than the {} bytes a payload may hold (one ConfigMap or "
             "Secret)",
             shown, project::k_max_payload_bytes);
    }
    if (!read.text) fail(ErrorKind::usage, "--payload {}: {}", shown, read.error);
    return *read.text;
}

// Renders every Job of the submission before creating any, so a bad param line creates nothing.
Submission plan(const SubmitOptions& options, const project::JobDef& job, const std::string& namespace_name,
                bool namespace_known = true) {
    jobs::PlanOptions plan;
    plan.params = project::parse_param_flags(options.params);
    if (!options.params_file.empty()) plan.params_text = params_file_text(options.params_file);
    plan.params_file = options.params_file;
    plan.count = options.count;
    plan.name = options.name;
    plan.idempotency_key = options.idempotency_key;
    plan.extra_args = options.args->args;
    plan.namespace_known = namespace_known;
    plan.suspend = options.suspend;
    if (!options.queue.empty()) plan.queue = options.queue;
    if (!options.priority.empty()) plan.priority = options.priority;
    plan.env = process_env;
    if (!options.payload.empty()) {
        plan.payload = payload_bytes(options.payload);
        plan.payload_source =
            fmt::format("--payload {}", options.payload == "-" ? "<stdin>" : options.payload);
    }
    if (!options.payload_file.empty()) plan.payload_text = params_file_text(options.payload_file);
    plan.payload_file = options.payload_file;
    plan.payload_secret = options.payload_secret;
    return jobs::plan(job, namespace_name, plan);
}

// A progress bar on stderr for a fan-out; only on a terminal.
void show_progress(Context& context, size_t done, size_t total) {
    constexpr size_t k_width = 30;
    const size_t filled = total == 0 ? k_width : done * k_width / total;
    context.err << fmt::format("\r\033[Kcreating Jobs [{}{}] {}/{}", std::string(filled, '='),
                               std::string(k_width - filled, ' '), done, total)
                << std::flush;
}

// Prints each Job of a fan-out as the server answers: into the List `document` (-o json or yaml), else
// a line for each.
std::function<void(const nlohmann::json&, bool)> created_printer(std::optional<ListWriter>& document,
                                                                 const std::string& output,
                                                                 const std::string& dry_run_query,
                                                                 std::ostream& created_out) {
    return [&document, output, dry_run_query, &created_out](const nlohmann::json& object, bool unchanged) {
        if (document) {
            document->write(object);
            return;
        }
        const std::string name = object["metadata"]["name"].get<std::string>();
        if (output == "name") {
            created_out << job_ref(name) << '\n';
        } else if (unchanged) {
            created_out << job_ref(name) << " unchanged\n";
        } else {
            created_out << job_ref(name)
                        << (dry_run_query.empty() ? " created\n" : " created (server dry run)\n");
        }
    };
}

// Creates the submission's Jobs. A fan-out's output on stdout (or stderr for kq run) comes as the
// server answers: with -o json or yaml one List of the created Jobs, else a line for each; then a
// summary on stderr.
void create_all(kube::Client& client, const std::string& namespace_name, Submission& submission,
                const SubmitOptions& options, Context& context, const std::string& dry_run_query,
                std::ostream& created_out) {
    jobs::CreateOptions create;
    create.dry_run_query = dry_run_query;
    create.keep_objects = options.wait;
    if (submission.entries.size() == 1) {
        (void)jobs::create_all(client, namespace_name, submission, create);
        return;
    }
    std::optional<ListWriter> document;
    if (options.output == "json" || options.output == "yaml")
        document.emplace(created_out, parse_output_format(options.output), "job.batch");
    jobs::CreateHandlers handlers;
    handlers.created = created_printer(document, options.output, dry_run_query, created_out);
    if (context.live_status()) {
        handlers.progress = [&context](size_t done, size_t total) { show_progress(context, done, total); };
        handlers.progress_end = [&context] { context.err << "\r\033[K" << std::flush; };
    }
    jobs::CreateReport report;
    try {
        report = jobs::create_all(client, namespace_name, submission, create, handlers);
    } catch (const Error&) {
        created_out.flush();
        throw;
    }
    created_out.flush();
    // The document lists what was created, also when some creates failed (the error says which).
    if (document) document->finish();
    context.err << fmt::format(
        "kq: {} {} of {} Jobs in {:.1f}s ({:.0f}/s){}\n", dry_run_query.empty() ? "submitted" : "validated",
        report.created, report.total, report.seconds,
        report.seconds > 0 ? static_cast<double>(report.created) / report.seconds : 0.0,
        report.throttled > 0 ? fmt::format("; the server throttled {} requests (429), "
                                           "each retried",
                                           report.throttled)
                             : "");
    jobs::throw_if_not_created(report);
}

void print_object(Context& context, const nlohmann::json& object, const std::string& output) {
    if (output == "json") {
        context.out << project::to_json_text(object);
    } else if (output == "yaml") {
        context.out << project::to_yaml(object);
    }
}

// How the Jobs are waited for: --timeout, --logs and what the logs show.
jobs::AwaitOptions await_options(const SubmitOptions& options,
                                 const std::optional<std::chrono::milliseconds>& timeout, Context& context) {
    jobs::AwaitOptions await;
    await.logs = options.logs;
    await.timeout = timeout;
    await.timeout_text = options.timeout;
    await.timeout_includes_queue = options.timeout_includes_queue;
    await.log_request.all_containers = options.all_containers;
    await.log_request.timestamps = options.timestamps;
    await.log_request.prefix = prefix_choice(options.prefix, options.no_prefix);
    await.log_request.color = context.out_is_terminal && context.color();
    await.log_request.include = log_patterns(options.include, "--include");
    await.log_request.exclude = log_patterns(options.exclude, "--exclude");
    await.log_request.json = options.log_output == "json";
    return await;
}

// --cleanup: deletes the Jobs waited for, after the wait or when it ended in an error.
struct Cleanup {
    kube::Client& client;
    const std::string& namespace_name;
    const std::string& when; // never, on-success or always
    std::ostream& out;

    // Deletes them as --cleanup says, once the wait ended.
    void after(bool succeeded, const std::vector<std::string>& names) const {
        if (when != "always" && (when != "on-success" || !succeeded)) return;
        for (const std::string& name : names) {
            jobs::delete_job(client, namespace_name, name);
            out << job_ref(name) << " deleted\n";
        }
    }

    // Deletes them (--cleanup always) when the wait ended in an error; an interrupt's message, `interrupted`,
    // then says so.
    void after_error(const Error& error, const std::vector<std::string>& names,
                     const std::string& interrupted) const {
        if (when != "always") return;
        const int signal = interrupt_signal();
        clear_interrupt(); // the deletes must still run
        after(false, names);
        if (error.kind() == ErrorKind::interrupted) {
            throw Error(ErrorKind::interrupted,
                        fmt::format("{}; the Jobs were deleted (--cleanup always)", interrupted),
                        signal != 0 ? 128 + signal : error.exit_status());
        }
    }
};

// --max-active K below the Jobs' count: creates K of them, then one more as each finishes, following
// them all through one watch; exits as --wait does, or with the error of the creates that failed.
void submit_capped(kube::Client& client, const std::string& namespace_name, Submission& submission,
                   const SubmitOptions& options, const jobs::AwaitOptions& await, Context& context,
                   std::ostream& created_out) {
    std::optional<ListWriter> document;
    if (options.output == "json" || options.output == "yaml")
        document.emplace(created_out, parse_output_format(options.output), "job.batch");
    jobs::CreateHandlers handlers;
    auto print = created_printer(document, options.output, "", created_out);
    // Each line as it comes: the creates are spread over the whole wait.
    handlers.created = [&print, &created_out](const nlohmann::json& object, bool unchanged) {
        print(object, unchanged);
        created_out.flush();
    };
    jobs::CappedSubmission source(client, namespace_name, submission, static_cast<size_t>(options.max_active),
                                  handlers);
    const Cleanup cleanup{client, namespace_name, options.cleanup, created_out};
    const auto started = std::chrono::steady_clock::now();
    jobs::AwaitOutcome outcome;
    try {
        outcome = await_printing(client, namespace_name, {}, await, context, false, &source);
    } catch (const Error& error) {
        if (document) document->finish();
        cleanup.after_error(error, source.names(), error.what());
        throw;
    }
    if (document) document->finish();
    const jobs::CreateReport report = source.report();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    context.err << fmt::format("kq: submitted {} of {} Jobs in {:.1f}s, at most {} unfinished at once{}\n",
                               report.created, report.total, seconds, options.max_active,
                               report.throttled > 0 ? fmt::format("; the server throttled {} requests (429), "
                                                                  "each retried",
                                                                  report.throttled)
                                                    : "");
    cleanup.after(outcome.exit_code == 0 && report.failures.empty(), source.names());
    jobs::throw_if_not_created(report);
    jobs::throw_if_failed(outcome);
}

void run_submit(SubmitOptions options, Context& context) {
    if (options.is_run) {
        options.wait = true;
        options.logs = true;
    }
    if (options.logs || options.max_active_given) options.wait = true;
    check_flags(options);
    const std::optional<std::chrono::milliseconds> timeout =
        parse_duration_flag("--timeout", options.timeout);

    const project::Project loaded = load_project(context);
    const project::JobDef& job = project::require_job(loaded, options.job);

    if (options.dry_run == "client") {
        // No cluster needed: the namespace falls back as far as the project says, like kq render.
        const NamespaceChoice choice =
            choose_namespace(context.global.namespace_name, job.namespace_name, loaded.namespace_name, "");
        const Submission submission = plan(options, job, choice.name, choice.source != "default");
        if (options.output == "name") {
            for (const Planned& entry : submission.entries) {
                context.out << job_ref(entry.fixed_name.empty() ? job.name + "-<generated>"
                                                                : entry.fixed_name)
                            << '\n';
            }
            return;
        }
        const std::string format = options.output == "json" ? "json" : "yaml";
        if (submission.entries.size() == 1) {
            print_object(context, submission.manifest(submission.entries.front()), format);
            return;
        }
        // Several manifests are one document: a v1 List, as kubectl prints several objects.
        ListWriter document(context.out, parse_output_format(format), "job.batch");
        for (const Planned& entry : submission.entries)
            document.write(submission.manifest(entry));
        document.finish();
        return;
    }

    std::unique_ptr<kube::Client> client = connect(context);
    const std::string namespace_name =
        choose_namespace(context.global.namespace_name, job.namespace_name, loaded.namespace_name,
                         client->config().namespace_name)
            .name;
    Submission submission = plan(options, job, namespace_name);
    std::vector<Planned>& planned = submission.entries;
    // A Job for a Kueue queue that does not exist would wait for ever: refuse before creating anything.
    jobs::check_queue_target(*client, namespace_name, submission.manifest(planned.front()), options.suspend);
    const std::string dry_run_query = options.dry_run == "server" ? "All" : "";
    if (options.unique && !dry_run_query.empty()) {
        jobs::check_unique(*client, namespace_name, job.name, planned.front().fixed_name);
    } else if (options.unique) {
        // Created suspended, then settled against its rivals: of racing submits exactly one runs.
        submission.claim = true;
        catch_interrupts();
    }

    // kq run keeps stdout for the logs; what it created is a diagnostic there.
    std::ostream& created_out = options.is_run ? context.err : context.out;
    const jobs::AwaitOptions await = await_options(options, timeout, context);
    // --max-active below the Jobs' count: created as earlier ones finish, while waiting.
    if (options.max_active > 0 && planned.size() > static_cast<size_t>(options.max_active)) {
        submit_capped(*client, namespace_name, submission, options, await, context, created_out);
        return;
    }
    if (submission.claim) {
        auto create_claim = [&] {
            planned.front().created = nullptr;
            create_all(*client, namespace_name, submission, options, context, dry_run_query, created_out);
            return planned.front().created;
        };
        planned.front().created = jobs::submit_unique(*client, namespace_name, job.name, create_claim);
    } else {
        create_all(*client, namespace_name, submission, options, context, dry_run_query, created_out);
    }

    if (planned.size() == 1) {
        const Planned& entry = planned.front();
        const std::string name = entry.created["metadata"]["name"].get<std::string>();
        if (options.output == "name") {
            created_out << job_ref(name) << '\n';
        } else if (options.output == "json" || options.output == "yaml") {
            print_object(context, entry.created, options.output);
        } else {
            const char* what = entry.unchanged ? "unchanged" : "created";
            created_out << fmt::format("{} {}{}\n", job_ref(name), what,
                                       dry_run_query.empty() ? "" : " (server dry run)");
        }
        created_out.flush();
    }
    if (!options.wait || !dry_run_query.empty()) return;

    std::vector<nlohmann::json> created;
    std::vector<std::string> names;
    for (Planned& entry : planned) {
        if (entry.error) continue;
        names.push_back(entry.created["metadata"]["name"].get<std::string>());
        created.push_back(std::move(entry.created));
    }
    const Cleanup cleanup{*client, namespace_name, options.cleanup, created_out};
    jobs::AwaitOutcome outcome;
    try {
        outcome = await_printing(*client, namespace_name, std::move(created), await, context);
    } catch (const Error& error) {
        cleanup.after_error(error, names, "interrupted");
        throw;
    }
    cleanup.after(outcome.exit_code == 0, names);
    jobs::throw_if_failed(outcome);
}

void add_submit_flags(CLI::App& command, const std::shared_ptr<SubmitOptions>& options) {
    command.add_option("job", options->job, "The job definition to submit")->required();
    add_param_flag(command, options->params);
    command.add_option("--name", options->name, "Name the Job NAME instead of generating \"JOB-xxxxx\"");
    command
        .add_option("--timeout", options->timeout,
                    "Give up waiting after this long (e.g. 10m); default: no limit")
        ->type_name("DURATION");
    command.add_flag(
        "--timeout-includes-queue", options->timeout_includes_queue,
        "Count the time the Jobs wait in a Kueue queue against --timeout (default: it does not)");
    command
        .add_option(
            "--idempotency-key", options->idempotency_key,
            "Derive the Job's name from the definition and KEY: a retried submission gets the same Job back")
        ->type_name("KEY");
    command.add_flag("--unique", options->unique,
                     "Refuse if an active Job of this definition already runs in the namespace (exit 122)");
    command.add_option("--count", options->count, "Submit N Jobs of the definition")->type_name("N");
    command
        .add_option("--max-active", options->max_active,
                    "With --count or --params-file: at most K of the Jobs unfinished at once; the rest are "
                    "created as earlier ones finish (implies --wait)")
        ->type_name("K");
    command
        .add_option("--params-file", options->params_file,
                    "Submit one Job per line of FILE, each a JSON object of params (- for stdin)")
        ->type_name("FILE");
    command
        .add_option("--cleanup", options->cleanup,
                    "Delete the Jobs after waiting: never, on-success or always")
        ->check(CLI::IsMember({"never", "on-success", "always"}))
        ->capture_default_str();
    command
        .add_option("--queue", options->queue,
                    "Submit to this Kueue LocalQueue: the Job is created suspended and runs when Kueue "
                    "admits it (overrides the definition's queue)")
        ->type_name("LOCALQUEUE");
    command
        .add_option("--priority", options->priority,
                    "The Kueue WorkloadPriorityClass of the Jobs (overrides workloadPriorityClass)")
        ->type_name("CLASS");
    command.add_flag("--timestamps", options->timestamps, "Show each log line's timestamp");
    command.add_flag("--prefix", options->prefix, "Prefix every log line with its pod and container");
    command.add_flag("--no-prefix", options->no_prefix, "Never prefix log lines");
    command.add_flag("--all-containers", options->all_containers,
                     "Follow the logs of every container of each pod, init containers and sidecars first "
                     "(the exit status stays the main container's)");
    add_log_filter_flags(command, options->include, options->exclude);
    command
        .add_option("--payload", options->payload,
                    "Give the Job FILE's bytes (- for stdin, at most 1 MiB) at /var/run/kq/payload")
        ->type_name("FILE");
    command
        .add_option("--payload-file", options->payload_file,
                    "Give each Job one line of FILE, JSON Lines, as its payload (- for stdin)")
        ->type_name("FILE");
    command.add_flag("--payload-secret", options->payload_secret,
                     "Store the payload in a Secret instead of a ConfigMap");
    add_container_args(command, options->args);
}

constexpr const char* k_submit_footer = R"(Examples:
  # Create a Job from the "hello" definition and print its name
  kq submit hello

  # Create it, stream its logs, and exit with the Job's result
  kq submit hello -p who=team --logs

  # A CI step that may be retried: the same key gets the same Job back
  kq submit migrate --idempotency-key "$CI_PIPELINE_ID" --wait --timeout 30m

  # From cron: refuse to start while the previous run is still active
  kq submit nightly-report --unique

  # Fan out: one Job per line of a JSON Lines file
  kq submit resize --params-file images.jsonl --wait

  # Hand the Job a JSON document, read by the container from $KQ_PAYLOAD_FILE
  kq submit process-order --payload order.json

  # Fan out with one payload per Job
  kq submit resize --payload-file images.jsonl

  # At most 4 running at once, the next created as one finishes (re-run with the key to go on)
  kq submit resize --params-file images.jsonl --max-active 4 --idempotency-key batch-7

  # Create ten Jobs that start no pod until resumed (kq resume -l kq.dev/definition=resize)
  kq submit resize --count 10 --suspend

  # See what would be created
  kq submit pi -p digits=50 --dry-run=client)";

constexpr const char* k_run_footer = R"(Examples:
  # Run the "hello" definition: stream its logs, exit with its result
  kq run hello

  # Set a param, append arguments to the container's args, give up after 10 minutes
  kq run pi -p digits=100 --timeout 10m -- --verbose

  # Delete the Job once it succeeded
  kq run hello --cleanup on-success

The exit status is 0 when the Job succeeded, the container's own exit code when it failed because
its container exited non-zero, and 121 to 125 for kq's own outcomes (see kq(1), EXIT STATUS).)";

} // namespace

void setup_submit(CLI::App& command, Context& context) {
    auto options = std::make_shared<SubmitOptions>();
    command.footer(k_submit_footer);
    add_submit_flags(command, options);
    command
        .add_option("-o,--output", options->output,
                    "Print the created object as yaml or json, or only its name")
        ->check(CLI::IsMember({"yaml", "json", "name"}));
    command
        .add_option(
            "--dry-run", options->dry_run,
            "none; client: print the manifests, create nothing; server: have the API server check them")
        ->check(CLI::IsMember({"none", "client", "server"}))
        ->capture_default_str();
    command.add_flag("--wait", options->wait, "Wait until the Jobs finish; exit with their result");
    command.add_flag("-f,--logs", options->logs, "Stream the logs of every pod of the Jobs (implies --wait)");
    command.add_flag("--suspend", options->suspend,
                     "Create the Jobs suspended (spec.suspend): no pod starts until kq resume");
    command.callback([options, &context, &command] {
        options->max_active_given = command.count("--max-active") > 0;
        run_submit(*options, context);
    });
}

void setup_run(CLI::App& command, Context& context) {
    auto options = std::make_shared<SubmitOptions>();
    options->is_run = true;
    command.footer(k_run_footer);
    add_submit_flags(command, options);
    command
        .add_option("-o,--output", options->log_output,
                    "Print each log line as a JSON object: {job, pod, container, timestamp, message}")
        ->check(CLI::IsMember({"json"}));
    command.callback([options, &context, &command] {
        options->max_active_given = command.count("--max-active") > 0;
        run_submit(*options, context);
    });
}

} // namespace kq::cmd
