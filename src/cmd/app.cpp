#include "cmd/app.hpp"

#include "cmd/commands.hpp"
#include "cmd/support/output.hpp"
#include "cmd/support/shell_complete.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"
#include "util/version.hpp"

#include <CLI/CLI.hpp>
#include <fmt/ostream.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

namespace kq::cmd {
namespace {

// The command table: adding a command means adding its file and one line here.
constexpr CommandSpec k_commands[] = {
    {"render", "Print the Job manifest a definition renders to", setup_render},
    {"validate", "Check the project file and report every error", setup_validate},
    {"jobs", "List the job definitions of the project file", setup_jobs},
    {"init", "Write a commented starter kq.yaml", setup_init},
    {"schema", "Print the JSON Schema of kq.yaml, for editors", setup_schema},
    {"submit", "Create Jobs from a definition; optionally wait and stream their logs", setup_submit},
    {"run", "Run a definition: create the Job, stream its logs, exit with its result", setup_run},
    {"wait", "Wait until Jobs finish; exit with their result", setup_wait},
    {"logs", "Print or follow the logs of every pod of a Job", setup_logs},
    {"list", "List the Jobs kq made, with their status, completions, duration and age", setup_list},
    {"status", "Show a Job's conditions, pods, exit codes and recent events", setup_status},
    {"delete", "Delete Jobs and their pods: by name, definition, label, state or age", setup_delete},
    {"suspend", "Suspend Jobs (spec.suspend): their running pods stop, no new pod starts", setup_suspend},
    {"resume", "Resume suspended Jobs: their pods start again", setup_resume},
    {"queues", "List the namespace's Kueue LocalQueues with their pending and admitted counts", setup_queues},
    {"context", "Show the cluster, user and namespace kq would use", setup_context},
    {"completion", "Print the shell completion script for bash, zsh or fish", setup_completion},
    {"apply", "Create or update the CronJobs of the scheduled definitions (server-side apply)", setup_apply},
    {"diff", "Show what kq apply would change against the live CronJobs", setup_diff},
    {"schedules", "List kq's CronJobs: schedule, last run and result, next run", setup_schedules},
    {"trigger", "Run a scheduled definition now from its CronJob's template", setup_trigger},
    {"payload", "Print the payload a Job was given, byte for byte", setup_payload},
    {"rerun", "Create a new Job from an old one: its spec, or its definition again", setup_rerun},
};

constexpr const char* k_description =
    "kq runs one-off Kubernetes Jobs defined in a project file (kq.yaml).\n\n"
    "The project file is -f/--file, else $KQ_FILE, else the nearest kq.yaml or kq.yml\n"
    "found from the current folder upwards.";

// Flags that reach the cluster: accepted before the command and after it, as kubectl accepts them.
void add_cluster_flags(CLI::App& app, GlobalOptions& global) {
    app.add_option("--kubeconfig", global.kubeconfig, "Path to the kubeconfig file to use")
        ->group("Cluster flags");
    app.add_option("--context", global.context, "The kubeconfig context to use")->group("Cluster flags");
    app.add_option("-n,--namespace", global.namespace_name, "The namespace to use")->group("Cluster flags");
    app.add_option("--request-timeout", global.request_timeout,
                   "How long to wait for one API request (e.g. 30s); 0 waits forever")
        ->group("Cluster flags");
    app.add_flag("-v,--verbose", global.verbosity, "Log each API request to stderr (repeat for more)")
        ->group("Cluster flags");
}

std::string usage_hint(const CLI::App& failed) {
    std::string path;
    for (const CLI::App* app = &failed; app != nullptr; app = app->get_parent()) {
        path = path.empty() ? app->get_name() : app->get_name() + " " + path;
    }
    return fmt::format("run '{} --help' for usage", path);
}

} // namespace

bool Context::color() const { return err_is_terminal && !is_dumb_terminal() && color_allowed(global); }

bool Context::live_status() const { return color(); }

static int run_with_context(const std::vector<std::string>& args, Context& context,
                            const std::string& program) {
    CLI::App app(k_description, program);
    app.set_version_flag("--version", fmt::format("kq {}", k_version), "Print the version and exit");
    app.set_help_flag("-h,--help", "Print this help and exit");
    app.require_subcommand(1);
    app.get_formatter()->column_width(32);
    app.add_option("-f,--file", context.global.file, "The project file (default: nearest kq.yaml)")
        ->group("Global flags");
    app.add_flag("--no-color", context.global.no_color, "Never colour the output")->group("Global flags");
    add_cluster_flags(app, context.global);

    // Only the commands named among the words get their flags, which is every command CLI11 could pick:
    // registering all of them cost more than rendering a Job. The rest are there by name and summary,
    // for kq --help; completion walks them all, so it gets them all.
    const bool completing = !args.empty() && args.front() == k_complete_command;
    for (const CommandSpec& spec : k_commands) {
        CLI::App* command = app.add_subcommand(spec.name, spec.summary);
        if (!completing && std::find(args.begin(), args.end(), spec.name) == args.end()) continue;
        command->set_help_flag("-h,--help", "Print this help and exit");

        add_cluster_flags(*command, context.global);
        spec.setup(*command, context);
    }

    std::string help_topic;
    CLI::App* help = app.add_subcommand("help", "Print the help of kq or of one command");
    help->add_option("command", help_topic, "The command to describe");
    help->callback([&] {
        if (help_topic.empty()) {
            context.out << app.help();
            return;
        }
        CLI::App* command = nullptr;
        for (CLI::App* candidate : app.get_subcommands({})) {
            if (candidate->get_name() == help_topic) command = candidate;
        }
        if (command == nullptr)
            fail(ErrorKind::usage, "unknown command \"{}\"; run '{} --help' for the list", help_topic,
                 program);
        context.out << command->help(program);
    });

    // The shells' entry point reads the words itself: CLI11 would reject the half-typed line.
    if (completing) {
        return run_complete(app, {args.begin() + 1, args.end()}, context);
    }

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        // The root's help passes on to the command named, whose usage line then reads "kq wait ...".
        context.out << app.help();
        return k_exit_ok;
    } catch (const CLI::CallForVersion& version) {
        context.out << version.what() << '\n';
        return k_exit_ok;
    } catch (const CLI::ParseError& error) {
        const CLI::App* target = &app;
        for (const CLI::App* command : app.get_subcommands())
            target = command;
        // CLI11 reports an unknown command as "a subcommand is required"; name the word instead.
        if (target == &app && !app.remaining().empty()) {
            context.err << fmt::format("kq: error: unknown command \"{}\"; run '{} --help' for the list\n",
                                       app.remaining().front(), program);
            return k_exit_usage;
        }
        const std::string message = lower_first(error.what());
        context.err << fmt::format("kq: error: {}; {}\n", message, usage_hint(*target));
        return k_exit_usage;
    }
    return k_exit_ok;
}

namespace {

// kq's completion answer in the format of cobra's __complete, which kubectl reads from a plugin's
// kubectl_complete-NAME: the same candidate lines, then ":N" with cobra's directive bits (2: no space
// after the word, 4: no file names; 0 lets the shell complete file names).
std::string cobra_completion(const std::string& answer) {
    std::string body = answer;
    if (!body.empty() && body.back() == '\n') body.pop_back();
    const std::size_t last = body.rfind('\n');
    const std::string mode = last == std::string::npos ? body : body.substr(last + 1);
    body.erase(last == std::string::npos ? 0 : last + 1);
    const char* directive = mode == ":files" ? ":0" : mode == ":nospace" ? ":6" : ":4";
    return body + directive + "\n";
}

} // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool out_is_terminal,
        bool err_is_terminal, const std::string& program) {
    if (program == k_kubectl_completer) {
        // kubectl hands its plugin's completer the words after "kubectl kq", the last one being completed.
        std::ostringstream answer;
        std::vector<std::string> words = {k_complete_command};
        words.insert(words.end(), args.begin(), args.end());
        const int status = run(words, answer, err, false, false, "kq");
        out << cobra_completion(answer.str()) << std::flush;
        return status;
    }
    Context context{.global = {},
                    .out = out,
                    .err = err,
                    .out_is_terminal = out_is_terminal,
                    .err_is_terminal = err_is_terminal};
    try {
        return run_with_context(args, context, program);
    } catch (const Error& error) {
        context.out.flush();
        // One write per message, so that a signal can't cut it in two.
        if (*error.what() != '\0') context.err << fmt::format("kq: error: {}\n", error.what()) << std::flush;
        // A caught SIGINT or SIGTERM decides the status, whatever error the interrupted work ended in.
        return interrupted() ? 128 + interrupt_signal() : error.exit_status();
    } catch (const std::exception& error) {
        context.out.flush();
        context.err << fmt::format("kq: error: internal error: {}\n", error.what()) << std::flush;
        return interrupted() ? 128 + interrupt_signal() : k_exit_usage;
    }
}

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args(argv + 1, argv + argc);
    // libcurl would append the TLS session keys to this file, which decrypt a capture of kq's traffic
    // (tokens included); kubectl has no such switch, and a variable set for a browser must not reach kq.
    unsetenv("SSLKEYLOGFILE");
    // Whole lines and whole documents only, even when a signal ends kq (see WholeLineBuffer). stderr loses
    // its flush after every insertion, which would write half lines; progress lines flush themselves.
    WholeLineBuffer stdout_buffer(STDOUT_FILENO);
    WholeLineBuffer stderr_buffer(STDERR_FILENO);
    std::streambuf* const original_out = std::cout.rdbuf(&stdout_buffer);
    std::streambuf* const original_err = std::cerr.rdbuf(&stderr_buffer);
    std::cerr.unsetf(std::ios::unitbuf);
    // Installed as kubectl-kq too, kq is a kubectl plugin ("kubectl kq ..."), and as kubectl_complete-kq
    // its completer; its help then names it as kubectl does.
    const std::string called = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "kq";
    const std::string program = called == k_kubectl_plugin      ? "kubectl kq"
                                : called == k_kubectl_completer ? called
                                                                : "kq";
    const int status =
        run(args, std::cout, std::cerr, isatty(STDOUT_FILENO) == 1, isatty(STDERR_FILENO) == 1, program);
    std::cout.flush();
    std::cerr.flush();
    std::cout.rdbuf(original_out);
    std::cerr.rdbuf(original_err);
    std::cerr.setf(std::ios::unitbuf);
    return status;
}

} // namespace kq::cmd
