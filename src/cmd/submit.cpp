#include "cmd/await.hpp"
#include "cmd/cluster.hpp"
#include "cmd/commands.hpp"
#include "cmd/container_args.hpp"
#include "cmd/project_loading.hpp"
#include "cmd/output.hpp"
#include "cmd/targets.hpp"
#include "jobs/submission.hpp"
#include "jobs/unique.hpp"
#include "kube/job_status.hpp"
#include "project/labels.hpp"
#include "project/listing.hpp"
#include "project/params.hpp"
#include "project/render.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"
#include "util/time.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <iostream>
#include <ostream>
#include <sstream>

namespace kq::cmd {
namespace {

using Clock = std::chrono::steady_clock;

// Every flag and argument of `kq submit` and `kq run`.
struct SubmitOptions {
    std::string job;
    std::vector<std::string> params; // -p NAME=VALUE
    std::string name;                // --name
    std::string output;              // -o yaml|json|name
    std::string dry_run = "none";    // --dry-run none|client|server
    bool wait = false;               // --wait
    bool logs = false;               // --logs/-f
    std::string timeout;             // --timeout
    std::string idempotency_key;     // --idempotency-key
    bool unique = false;             // --unique
    int count = 1;                   // --count
    std::string params_file;         // --params-file
    std::string cleanup = "never";   // --cleanup never|on-success|always
    bool timestamps = false;         // --timestamps
    bool prefix = false;             // --prefix
    bool no_prefix = false;          // --no-prefix
    std::shared_ptr<ContainerArgs> args = std::make_shared<ContainerArgs>(); // after "--"
    bool is_run = false; // kq run: logs and wait always, the result as the exit status
};

// How many creates may be on the wire at once in a fan-out: enough to fill an HTTP/2 connection,
// few enough not to trip the API server's max-mutating-requests-inflight (200 by default).
constexpr size_t k_create_concurrency = 64;

// The largest --params-file read.
constexpr size_t k_max_params_file = 64 * 1024 * 1024;

std::string label_of(const nlohmann::json& object, std::string_view label) {
    if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return {};
    const nlohmann::json& metadata = object["metadata"];
    if (!metadata.contains("labels") || !metadata["labels"].is_object()) return {};
    const auto found = metadata["labels"].find(std::string(label));
    return found != metadata["labels"].end() && found->is_string() ? found->get<std::string>()
                                                                   : std::string();
}

// One Job of a submission: what its manifest is made from, and what became of it.
struct Planned {
    size_t params = 0;      // its params: an index into Submission::params
    std::string fixed_name; // idempotent or --name
    std::string spec_hash;  // its manifest's, which a 409 on a fixed name compares with the existing Job's
    nlohmann::json created; // the object the server returned (or the existing one)
    bool unchanged = false;
    std::optional<std::string> error;
};

// The Jobs of a submission. plan() renders every manifest once to check it, so that a bad param line
// creates nothing, but keeps none of them: each is rendered again when its create is sent, so a fan-out
// of thousands of Jobs holds only the manifests on the wire. Jobs that render alike (--count without
// fixed names) share one manifest.
struct Submission {
    const project::JobDef* job = nullptr;
    project::RenderRequest base;              // all but the params and the name
    std::vector<project::ParamValues> params; // one set per params-file line, or one set shared by all
    std::vector<Planned> entries;
    nlohmann::json shared; // the one manifest of all entries, when they render alike
    bool claim = false;    // --unique: created as a suspended claim (jobs/unique.hpp)

    nlohmann::json manifest(const Planned& entry) const {
        if (!shared.is_null()) return shared;
        project::RenderRequest request = base;
        request.params = params[entry.params];
        if (!entry.fixed_name.empty()) request.name = entry.fixed_name;
        nlohmann::json rendered = project::render_job(*job, request);
        if (claim) jobs::make_claim(rendered);
        return rendered;
    }
};

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
    if (many && !options.name.empty()) {
        fail(ErrorKind::usage, "--name: names one Job; with --count or --params-file use --idempotency-key");
    }
    if (!options.name.empty() && !options.idempotency_key.empty()) {
        fail(ErrorKind::usage, "--name and --idempotency-key: use one of them (the key derives the name)");
    }
    if (options.dry_run != "none" && (options.wait || options.logs || options.is_run)) {
        fail(ErrorKind::usage, "--dry-run: creates nothing to wait for; drop --wait/--logs or use kq render");
    }
    (void)prefix_choice(options.prefix, options.no_prefix);
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

// Renders every Job of the submission before creating any, so a bad param line creates nothing.
Submission plan(const SubmitOptions& options, const project::JobDef& job, const std::string& namespace_name,
                bool namespace_known = true) {
    const project::ParamValues flags = project::parse_param_flags(options.params);
    std::vector<project::ParamValues> lines;
    if (!options.params_file.empty()) {
        lines = jobs::parse_params_lines(params_file_text(options.params_file),
                                   options.params_file == "-" ? "<stdin>" : options.params_file);
    }
    Submission submission;
    submission.job = &job;
    submission.base.extra_args = options.args->args;
    if (namespace_known) submission.base.namespace_override = namespace_name;
    submission.base.env = process_env;
    // --count repeats one set of params; a params file has one per line.
    submission.params = jobs::submission_params(flags, lines, lines.empty() ? 1 : options.count);
    const size_t total = lines.empty() ? static_cast<size_t>(options.count) : submission.params.size();
    std::vector<Planned>& planned = submission.entries;
    planned.reserve(total);
    const bool alike = lines.empty() && options.idempotency_key.empty() && options.name.empty();
    for (size_t index = 0; index < total; ++index) {
        Planned entry;
        entry.params = lines.empty() ? 0 : index;
        if (!options.idempotency_key.empty()) {
            const std::string key = total == 1 ? options.idempotency_key
                                               : fmt::format("{}/{}", options.idempotency_key, index);
            entry.fixed_name = jobs::idempotent_job_name(namespace_name, job.name, key);
        } else if (!options.name.empty()) {
            entry.fixed_name = options.name;
        }
        if (alike && index > 0) { // the same manifest as the first
            entry.spec_hash = planned.front().spec_hash;
            planned.push_back(std::move(entry));
            continue;
        }
        try {
            nlohmann::json manifest = submission.manifest(entry);
            entry.spec_hash = label_of(manifest, project::k_label_spec_hash);
            if (alike && total > 1) submission.shared = std::move(manifest);
        } catch (const Error& error) {
            if (total == 1) throw;
            const std::string where = lines.empty() ? fmt::format("Job {} of {}", index + 1, total)
                                                    : fmt::format("{}:{}", options.params_file, index + 1);
            throw Error(error.kind(), fmt::format("{}: {}", where, error.what()));
        }
        planned.push_back(std::move(entry));
    }
    return submission;
}

// Handles 409 AlreadyExists for a fixed name: the same rendered spec is this submission's own earlier
// Job (a retried CI step), anything else is a conflict.
void adopt_existing(kube::Client& client, const std::string& namespace_name, Planned& entry,
                    const SubmitOptions& options) {
    nlohmann::json existing = client.get(job_path(namespace_name, entry.fixed_name));
    const std::string& ours = entry.spec_hash;
    const std::string theirs = label_of(existing, project::k_label_spec_hash);
    if (options.idempotency_key.empty()) {
        fail(ErrorKind::cluster, "jobs.batch \"{}\" already exists", entry.fixed_name);
    }
    if (ours != theirs) {
        fail(ErrorKind::usage,
             "--idempotency-key: {} already exists with a different spec (spec-hash {} here, {} there): the "
             "key "
             "\"{}\" was used with other params or another version of definition \"{}\"; use a new key",
             job_ref(entry.fixed_name), ours, theirs.empty() ? "none" : theirs, options.idempotency_key,
             options.job);
    }
    entry.created = std::move(existing);
    entry.unchanged = true;
}

// What to do about a create whose answer never came, when a retry could have made a second Job.
constexpr const char* k_maybe_created_hint =
    "the Job may have been created: look with 'kq list' before submitting again (with --idempotency-key "
    "a repeated submission finds its Job instead of making another)";

// True when a create without a fixed name reached the server but its answer was lost: the server may
// have made the Job, and kq did not try again, as a second create would make a second Job.
bool lost_create(const kube::ApiError& error, const Planned& entry) {
    return entry.fixed_name.empty() && error.unreachable() && error.request_sent();
}

// A progress bar on stderr for a fan-out; only on a terminal.
void show_progress(Context& context, size_t done, size_t total, bool enabled) {
    if (!enabled) return;
    constexpr size_t k_width = 30;
    const size_t filled = total == 0 ? k_width : done * k_width / total;
    context.err << fmt::format("\r\033[Kcreating Jobs [{}{}] {}/{}", std::string(filled, '='),
                               std::string(k_width - filled, ' '), done, total)
                << std::flush;
}

// What a fan-out keeps of each Job the server created: what waiting on it needs (all of it but
// managedFields, which nothing here reads), or without --wait only its name, so that thousands of
// Jobs cost little memory.
nlohmann::json kept_of_created(nlohmann::json object, bool waiting) {
    if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return object;
    if (!waiting) {
        nlohmann::json name_only;
        name_only["metadata"]["name"] = std::move(object["metadata"]["name"]);
        return name_only;
    }
    object["metadata"].erase("managedFields");
    return object;
}

// The create of one planned Job. A fixed name makes a repeat harmless (a second create meets 409 and is
// recognised), so only then may a create whose answer was lost be sent again.
kube::ApiRequest create_request(const std::string& path, const Submission& submission, const Planned& entry,
                                const std::string& dry_run_query) {
    kube::ApiRequest request;
    request.method = "POST";
    request.path = path;
    request.body = submission.manifest(entry);
    if (!dry_run_query.empty()) request.query.emplace_back("dryRun", dry_run_query);
    request.retry_unsafe = !entry.fixed_name.empty();
    return request;
}

// The fan-out's output on stdout: with -o json or yaml one List of the created Jobs (in the order the
// server answered), else a line for each.
void create_all(kube::Client& client, const std::string& namespace_name, Submission& submission,
                const SubmitOptions& options, Context& context, const std::string& dry_run_query,
                std::ostream& created_out) {
    const std::string path = jobs_path(namespace_name);
    std::vector<Planned>& planned = submission.entries;
    if (planned.size() == 1) {
        Planned& entry = planned.front();
        try {
            entry.created = client.call(create_request(path, submission, entry, dry_run_query));
        } catch (const kube::ApiError& error) {
            if (lost_create(error, entry)) {
                throw Error(ErrorKind::cluster, fmt::format("{}; {}", error.what(), k_maybe_created_hint));
            }
            if (!error.already_exists() || entry.fixed_name.empty()) throw;
            adopt_existing(client, namespace_name, entry, options);
        }
        return;
    }

    // Fan-out: keep a bounded number of creates in flight over the one connection. Ctrl-C stops it
    // between answers, so that the summary can say what was created.
    catch_interrupts();
    std::optional<ListWriter> document;
    if (options.output == "json" || options.output == "yaml")
        document.emplace(created_out, parse_output_format(options.output), "job.batch");
    const bool progress = context.live_status();
    const auto started = Clock::now();
    size_t next = 0;
    size_t in_flight = 0;
    size_t finished = 0;
    size_t throttled = 0; // 429s the client waited out
    std::vector<size_t> conflicts;
    std::function<void()> start_more = [&] {
        while (in_flight < k_create_concurrency && next < planned.size()) {
            const size_t index = next++;
            ++in_flight;
            client.start(create_request(path, submission, planned[index], dry_run_query), [&, index](
                                                                                  kube::ApiResult&& result) {
                --in_flight;
                ++finished;
                Planned& done = planned[index];
                if (result.ok()) {
                    if (document) document->write(result.object);
                    done.created = kept_of_created(std::move(result.object), options.wait);
                    const std::string name = done.created["metadata"]["name"].get<std::string>();
                    if (options.output == "name") {
                        created_out << job_ref(name) << '\n';
                    } else if (!document) {
                        created_out << job_ref(name)
                                    << (dry_run_query.empty() ? " created\n" : " created (server dry run)\n");
                    }
                } else if (result.error->already_exists() && !done.fixed_name.empty()) {
                    conflicts.push_back(index);
                } else if (lost_create(*result.error, done)) {
                    done.error = fmt::format("{} (it may have been created)", result.error->what());
                } else {
                    done.error = result.error->what();
                }
                throttled += static_cast<size_t>(result.throttled);
                show_progress(context, finished, planned.size(), progress);
                start_more();
            });
        }
    };
    start_more();
    client.run([&] { return interrupted() || (finished == planned.size()); });
    if (progress) context.err << "\r\033[K" << std::flush;
    for (size_t index : conflicts) {
        try {
            adopt_existing(client, namespace_name, planned[index], options);
            if (document) {
                document->write(planned[index].created);
            } else {
                created_out << job_ref(planned[index].fixed_name)
                            << (options.output == "name" ? "\n" : " unchanged\n");
            }
        } catch (const Error& error) {
            planned[index].error = error.what();
        }
    }
    created_out.flush();
    if (interrupted()) {
        const auto made = std::count_if(planned.begin(), planned.end(),
                                        [](const Planned& entry) { return !entry.created.is_null(); });
        throw Error(ErrorKind::interrupted,
                    fmt::format("interrupted after creating {} of {} Jobs{}", made, planned.size(),
                                in_flight == 0
                                    ? ""
                                    : fmt::format(" ({} more were being created and may exist)", in_flight)));
    }
    // The document lists what was created, also when some creates failed (the error says which).
    if (document) document->finish();
    const auto elapsed = std::chrono::duration<double>(Clock::now() - started).count();
    std::vector<std::string> failures;
    for (size_t index = 0; index < planned.size(); ++index) {
        if (planned[index].error)
            failures.push_back(fmt::format("Job {}: {}", index + 1, *planned[index].error));
    }
    const size_t created = planned.size() - failures.size();
    context.err << fmt::format("kq: {} {} of {} Jobs in {:.1f}s ({:.0f}/s){}\n",
                               dry_run_query.empty() ? "submitted" : "validated", created, planned.size(),
                               elapsed, elapsed > 0 ? static_cast<double>(created) / elapsed : 0.0,
                               throttled > 0 ? fmt::format("; the server throttled {} requests (429), "
                                                           "each retried",
                                                           throttled)
                                             : "");
    if (!failures.empty()) {
        const size_t shown = std::min<size_t>(failures.size(), 10);
        std::vector<std::string> head(failures.begin(),
                                      failures.begin() + static_cast<std::ptrdiff_t>(shown));
        fail(ErrorKind::cluster, "{} of {} Jobs were not created: {}{}", failures.size(), planned.size(),
             fmt::join(head, "; "),
             failures.size() > shown ? fmt::format("; and {} more", failures.size() - shown) : "");
    }
}

void print_object(Context& context, const nlohmann::json& object, const std::string& output) {
    if (output == "json") {
        context.out << project::to_json_text(object);
    } else if (output == "yaml") {
        context.out << project::to_yaml(object);
    }
}

void run_submit(SubmitOptions options, Context& context) {
    if (options.is_run) {
        options.wait = true;
        options.logs = true;
    }
    if (options.logs) options.wait = true;
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
                context.out << job_ref(entry.fixed_name.empty() ? job.name + "-<generated>" : entry.fixed_name)
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
    for (const Planned& entry : planned) {
        if (!entry.error) created.push_back(entry.created);
    }
    jobs::AwaitOptions await;
    await.logs = options.logs;
    await.timeout = timeout;
    await.timeout_text = options.timeout;
    await.log_request.timestamps = options.timestamps;
    await.log_request.prefix = prefix_choice(options.prefix, options.no_prefix);
    await.log_request.color = context.out_is_terminal && context.color();

    auto cleanup = [&](bool succeeded) {
        if (options.cleanup == "always" || (options.cleanup == "on-success" && succeeded)) {
            for (const nlohmann::json& object : created) {
                const std::string name = object["metadata"]["name"].get<std::string>();
                jobs::delete_job(*client, namespace_name, name);
                created_out << job_ref(name) << " deleted\n";
            }
        }
    };
    jobs::AwaitOutcome outcome;
    try {
        outcome = await_printing(*client, namespace_name, created, await, context);
    } catch (const Error& error) {
        if (options.cleanup == "always") {
            const int signal = interrupt_signal();
            clear_interrupt(); // the deletes must still run
            cleanup(false);
            if (error.kind() == ErrorKind::interrupted) {
                throw Error(ErrorKind::interrupted, "interrupted; the Jobs were deleted (--cleanup always)",
                            signal != 0 ? 128 + signal : error.exit_status());
            }
        }
        throw;
    }
    cleanup(outcome.exit_code == 0);
    jobs::throw_if_failed(outcome);
}

void add_submit_flags(CLI::App& command, const std::shared_ptr<SubmitOptions>& options) {
    command.add_option("job", options->job, "The job definition to submit")->required();
    command.add_option("-p,--param", options->params, "Set a param: NAME=VALUE (repeatable)")
        ->allow_extra_args(false)
        ->type_name("NAME=VALUE");
    command.add_option("--name", options->name, "Name the Job NAME instead of generating \"JOB-xxxxx\"");
    command
        .add_option("--timeout", options->timeout,
                    "Give up waiting after this long (e.g. 10m); default: no limit")
        ->type_name("DURATION");
    command
        .add_option(
            "--idempotency-key", options->idempotency_key,
            "Derive the Job's name from the definition and KEY: a retried submission gets the same Job back")
        ->type_name("KEY");
    command.add_flag("--unique", options->unique,
                     "Refuse if an active Job of this definition already runs in the namespace (exit 122)");
    command.add_option("--count", options->count, "Submit N Jobs of the definition")->type_name("N");
    command
        .add_option("--params-file", options->params_file,
                    "Submit one Job per line of FILE, each a JSON object of params (- for stdin)")
        ->type_name("FILE");
    command
        .add_option("--cleanup", options->cleanup,
                    "Delete the Jobs after waiting: never, on-success or always")
        ->check(CLI::IsMember({"never", "on-success", "always"}))
        ->capture_default_str();
    command.add_flag("--timestamps", options->timestamps, "Show each log line's timestamp");
    command.add_flag("--prefix", options->prefix, "Prefix every log line with its pod and container");
    command.add_flag("--no-prefix", options->no_prefix, "Never prefix log lines");
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
    command.callback([options, &context] { run_submit(*options, context); });
}

void setup_run(CLI::App& command, Context& context) {
    auto options = std::make_shared<SubmitOptions>();
    options->is_run = true;
    command.footer(k_run_footer);
    add_submit_flags(command, options);
    command.callback([options, &context] { run_submit(*options, context); });
}

} // namespace kq::cmd
