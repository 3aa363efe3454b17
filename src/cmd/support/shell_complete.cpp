#include "cmd/support/shell_complete.hpp"

#include "cmd/support/cluster.hpp"
#include "cmd/support/project_loading.hpp"
#include "cmd/support/targets.hpp"
#include "jobs/queue.hpp"
#include "kube/client.hpp"
#include "kube/job_status.hpp"
#include "kube/kubeconfig.hpp"
#include "project/project.hpp"
#include "util/text.hpp"
#include "util/time.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <functional>
#include <optional>
#include <ostream>
#include <set>

namespace kq::cmd {
namespace {

// Where the values of a flag or an argument come from, besides an IsMember validator's set.
enum class ValueSource {
    none,        // free text: nothing to offer
    files,       // file names, completed by the shell
    definitions, // job definitions of the project file
    params,      // NAME= of the definition's params, then NAME=VALUE of an enum param
    contexts,    // contexts of the kubeconfig
    namespaces,  // namespaces of the cluster
    job_names,   // kq's Jobs in the namespace
    queues,      // Kueue LocalQueues in the namespace
    commands,    // kq's commands
};

// Flags whose values have a source of their own, by long name; every command shares the meaning.
struct FlagSource {
    std::string_view name;
    ValueSource source;
};
constexpr std::array k_flag_sources = {
    FlagSource{"file", ValueSource::files},       FlagSource{"kubeconfig", ValueSource::files},
    FlagSource{"context", ValueSource::contexts}, FlagSource{"namespace", ValueSource::namespaces},
    FlagSource{"job", ValueSource::definitions},  FlagSource{"param", ValueSource::params},
    FlagSource{"queue", ValueSource::queues},     FlagSource{"schedule", ValueSource::definitions},
};

// Values of flags that declare no IsMember set, by long name: a flag that takes a value only after
// "=" (`kq delete --dry-run=server`) can't check it with CLI11, but the shell should still offer it.
struct FlagValues {
    std::string_view name;
    std::array<std::string_view, 3> values;
};
constexpr std::array k_flag_values = {
    FlagValues{"dry-run", {"none", "client", "server"}},
};

// What the arguments of a command are; only the first argument when `first_only` (the rest of
// `kq run DEF -- ARGS` are the container's).
struct ArgumentSource {
    std::string_view command;
    ValueSource source;
    bool first_only;
};
constexpr std::array k_argument_sources = {
    ArgumentSource{"render", ValueSource::definitions, true},
    ArgumentSource{"submit", ValueSource::definitions, true},
    ArgumentSource{"run", ValueSource::definitions, true},
    ArgumentSource{"list", ValueSource::definitions, true},
    ArgumentSource{"logs", ValueSource::job_names, false},
    ArgumentSource{"wait", ValueSource::job_names, false},
    ArgumentSource{"status", ValueSource::job_names, false},
    ArgumentSource{"delete", ValueSource::job_names, false},
    ArgumentSource{"suspend", ValueSource::job_names, false},
    ArgumentSource{"resume", ValueSource::job_names, false},
    ArgumentSource{"help", ValueSource::commands, true},
    ArgumentSource{"init", ValueSource::files, true},
    ArgumentSource{"apply", ValueSource::definitions, false},
    ArgumentSource{"diff", ValueSource::definitions, false},
    ArgumentSource{"trigger", ValueSource::definitions, true},
};

// What the words before the cursor say: the command, its arguments, and the flags that change where
// candidates come from.
struct LineState {
    const CLI::App* app = nullptr;
    std::vector<std::string> arguments;
    bool after_dashdash = false;
    bool unknown_command = false; // a word at the root that names no command: nothing to offer after it
    GlobalOptions global;
    std::string job_flag;                 // --job DEF, for the namespace of Job names
    const CLI::Option* pending = nullptr; // the flag whose value is the word under the cursor
};

bool is_visible(const CLI::Option* option) { return !option->get_group().empty(); }

bool takes_value(const CLI::Option* option) { return option->get_expected_max() != 0; }

const CLI::Option* find_long(const CLI::App& app, std::string_view name) {
    for (const CLI::Option* option : app.get_options()) {
        const std::vector<std::string>& names = option->get_lnames();
        if (std::find(names.begin(), names.end(), name) != names.end()) return option;
    }
    return nullptr;
}

const CLI::Option* find_short(const CLI::App& app, char name) {
    for (const CLI::Option* option : app.get_options()) {
        const std::vector<std::string>& names = option->get_snames();
        if (std::find(names.begin(), names.end(), std::string(1, name)) != names.end()) return option;
    }
    return nullptr;
}

const CLI::App* find_command(const CLI::App& root, std::string_view name) {
    for (const CLI::App* command : root.get_subcommands([](const CLI::App*) { return true; })) {
        if (command->get_name() == name) return command;
    }
    return nullptr;
}

std::string_view long_name(const CLI::Option* option) {
    return option->get_lnames().empty() ? std::string_view() : std::string_view(option->get_lnames().front());
}

// Remembers a flag's value when it decides where candidates come from.
void record(LineState& state, const CLI::Option* option, const std::string& value) {
    const std::string_view name = long_name(option);
    if (name == "file") state.global.file = value;
    if (name == "kubeconfig") state.global.kubeconfig = value;
    if (name == "context") state.global.context = value;
    if (name == "namespace") state.global.namespace_name = value;
    if (name == "job") state.job_flag = value;
}

// Reads the words before the cursor as CLI11 would, without failing on anything.
LineState read_line(const CLI::App& root, const std::vector<std::string>& before) {
    LineState state;
    state.app = &root;
    for (std::size_t i = 0; i < before.size(); ++i) {
        const std::string& word = before[i];
        const bool last = i + 1 == before.size();
        if (state.after_dashdash) {
            state.arguments.push_back(word);
        } else if (word == "--") {
            state.after_dashdash = true;
        } else if (starts_with(word, "--")) {
            const std::size_t equals = word.find('=');
            const std::string name =
                equals == std::string::npos ? word.substr(2) : word.substr(2, equals - 2);
            const CLI::Option* option = find_long(*state.app, name);
            if (option == nullptr || !takes_value(option)) continue;
            if (equals != std::string::npos) {
                record(state, option, word.substr(equals + 1));
            } else if (last) {
                state.pending = option;
            } else {
                record(state, option, before[++i]);
            }
        } else if (word.size() > 1 && word[0] == '-') {
            // A cluster of short flags (-vv), possibly ending in one that takes a value (-ojson, -o json).
            for (std::size_t j = 1; j < word.size(); ++j) {
                const CLI::Option* option = find_short(*state.app, word[j]);
                if (option == nullptr) break;
                if (!takes_value(option)) continue;
                std::string rest = word.substr(j + 1);
                if (starts_with(rest, "=")) rest.erase(0, 1);
                if (!rest.empty()) {
                    record(state, option, rest);
                } else if (last) {
                    state.pending = option;
                } else {
                    record(state, option, before[++i]);
                }
                break;
            }
        } else if (state.app == &root) {
            state.app = find_command(root, word);
            if (state.app == nullptr) {
                state.unknown_command = true;
                return state;
            }
        } else {
            state.arguments.push_back(word);
        }
    }
    return state;
}

// The values an IsMember validator allows, read from the type name CLI11 shows in --help
// ("TEXT:{yaml,json}"), so that a command gets completions just by declaring its choices; else those
// of k_flag_values.
std::vector<std::string> member_values(const CLI::Option* option) {
    for (const FlagValues& entry : k_flag_values) {
        if (option->get_lnames().empty() || entry.name != option->get_lnames().front()) continue;
        if (option->get_type_name().find(":{") != std::string::npos) break;
        std::vector<std::string> values;
        for (const std::string_view value : entry.values)
            values.emplace_back(value);
        return values;
    }
    const std::string type = option->get_type_name();
    const std::size_t open = type.find(":{");
    const std::size_t close = open == std::string::npos ? open : type.find('}', open);
    if (close == std::string::npos) return {};
    std::vector<std::string> values;
    std::string value;
    for (std::size_t i = open + 2; i <= close; ++i) {
        if (type[i] == ',' || i == close) {
            if (!value.empty()) values.push_back(value);
            value.clear();
        } else {
            value += type[i];
        }
    }
    return values;
}

ValueSource flag_source(const CLI::Option* option) {
    const std::string_view name = long_name(option);
    for (const FlagSource& entry : k_flag_sources) {
        if (entry.name == name) return entry.source;
    }
    // CLI11's file validators name their type FILE, DIR or PATH.
    const std::string type = option->get_type_name();
    for (const char* file_type : {"FILE", "DIR", "PATH"}) {
        if (type.find(file_type) != std::string::npos) return ValueSource::files;
    }
    return ValueSource::none;
}

std::optional<ArgumentSource> argument_source(const CLI::App& command) {
    for (const ArgumentSource& entry : k_argument_sources) {
        if (entry.command == command.get_name()) return entry;
    }
    return std::nullopt;
}

// The positional option that the argument at `index` fills, as CLI11 assigns them in order.
const CLI::Option* positional_at(const CLI::App& command, std::size_t index) {
    std::size_t first = 0;
    for (const CLI::Option* option : command.get_options()) {
        if (option->nonpositional() || !option->get_positional()) continue;
        const auto count = static_cast<std::size_t>(std::max(option->get_expected_max(), 1));
        if (index < first + count) return option;
        first += count;
    }
    return nullptr;
}

Completion offer(std::vector<Candidate> candidates, std::string_view current,
                 CompletionMode mode = CompletionMode::words) {
    Completion completion;
    completion.mode = mode;
    std::set<std::string> seen;
    for (Candidate& candidate : candidates) {
        if (!starts_with(candidate.value, current) || !seen.insert(candidate.value).second) continue;
        completion.candidates.push_back(std::move(candidate));
    }
    return completion;
}

std::vector<Candidate> plain(const std::vector<std::string>& values) {
    std::vector<Candidate> candidates;
    for (const std::string& value : values)
        candidates.push_back({value, ""});
    return candidates;
}

// A client for completions: a short timeout, no retries and nothing on stderr, so that a slow or absent
// cluster costs the shell little.
std::unique_ptr<kube::Client> completion_client(const Context& context) {
    kube::ClientOptions options;
    options.request_timeout = k_complete_request_timeout;
    options.connect_timeout = k_complete_request_timeout;
    options.retry.max_attempts = 1;
    options.log = [](const std::string&) {};
    options.warn = [](const std::string&) {};
    return std::make_unique<kube::Client>(load_cluster_config(context), std::move(options));
}

std::vector<Candidate> definitions(const Context& context) {
    std::vector<Candidate> candidates;
    for (const project::JobDef& job : load_project(context).jobs)
        candidates.push_back({job.name, job.description});
    return candidates;
}

// NAME= for each param of the definition, or NAME=VALUE for an enum param once "NAME=" is typed.
Completion params(const Context& context, const std::string& definition, const std::string& current) {
    const project::Project loaded = load_project(context);
    const project::JobDef* job = loaded.find_job(definition);
    if (job == nullptr) return {};
    std::vector<Candidate> candidates;
    const std::size_t equals = current.find('=');
    if (equals != std::string::npos) {
        const project::ParamDef* param = job->find_param(current.substr(0, equals));
        if (param == nullptr) return {};
        for (const std::string& choice : param->choices)
            candidates.push_back({param->name + "=" + choice, ""});
        return offer(std::move(candidates), current);
    }
    for (const project::ParamDef& param : job->params) {
        std::string description = param.description;
        const std::string note = param.required ? std::string("required")
                                 : param.default_value
                                     ? fmt::format("default {}", quote(*param.default_value))
                                     : std::string();
        if (!note.empty()) description += description.empty() ? note : " (" + note + ")";
        candidates.push_back({param.name + "=", description});
    }
    return offer(std::move(candidates), current, CompletionMode::no_space);
}

std::vector<Candidate> contexts(const Context& context) {
    kube::KubeconfigSearch search;
    search.explicit_path = context.global.kubeconfig;
    search.kubeconfig_env = process_env("KUBECONFIG");
    search.home = process_env("HOME").value_or("");
    const std::optional<kube::Kubeconfig> kubeconfig = kube::load_kubeconfig(search);
    if (!kubeconfig) return {};
    std::vector<Candidate> candidates;
    for (const auto& [name, entry] : kubeconfig->contexts) {
        std::string description = fmt::format("cluster {}", entry.cluster);
        if (!entry.namespace_name.empty()) description += fmt::format(", namespace {}", entry.namespace_name);
        if (name == kubeconfig->current_context) description += " (current)";
        candidates.push_back({name, description});
    }
    return candidates;
}

std::vector<Candidate> namespaces(const Context& context) {
    const std::unique_ptr<kube::Client> client = completion_client(context);
    std::vector<Candidate> candidates;
    client->list("/api/v1/namespaces", {}, [&](nlohmann::json& page) {
        for (const nlohmann::json& item : page.value("items", nlohmann::json::array())) {
            candidates.push_back({item["metadata"].value("name", ""), ""});
        }
    });
    return candidates;
}

// The namespace the command on the line would use: its -n, the project's (when the project file
// loads), else the context's.
std::string completion_namespace(const Context& context, const kube::Client& client, const LineState& state) {
    std::optional<project::Project> project;
    try {
        project = load_project_if_any(context);
    } catch (const std::exception&) {
        // A broken project file only loses its namespace; the context's still applies.
    }
    return jobs_namespace(context, client.config(), project, state.job_flag);
}

// The Kueue LocalQueues of the namespace the command would use, each with its ClusterQueue.
std::vector<Candidate> local_queues(const Context& context, const LineState& state) {
    const std::unique_ptr<kube::Client> client = completion_client(context);
    const std::string namespace_name = completion_namespace(context, *client, state);
    std::vector<Candidate> candidates;
    for (const kube::LocalQueueSummary& queue : jobs::list_local_queues(*client, namespace_name))
        candidates.push_back({queue.name, "ClusterQueue " + queue.cluster_queue});
    return candidates;
}

// kq's Jobs in the namespace the command would use, newest first, without those already on the line.
std::vector<Candidate> job_names(const Context& context, const LineState& state) {
    const std::unique_ptr<kube::Client> client = completion_client(context);
    const std::string namespace_name = completion_namespace(context, *client, state);
    std::vector<kube::JobSummary> jobs;
    kube::ListOptions options;
    options.label_selector = managed_selector(state.job_flag);
    client->list(jobs_path(namespace_name), options, [&](nlohmann::json& page) {
        for (const nlohmann::json& item : page.value("items", nlohmann::json::array())) {
            jobs.push_back(kube::summarize_job(item));
        }
    });
    std::sort(jobs.begin(), jobs.end(), [](const kube::JobSummary& a, const kube::JobSummary& b) {
        if (a.created != b.created) return a.created > b.created;
        return a.name < b.name;
    });
    const TimePoint now = now_seconds();
    std::vector<Candidate> candidates;
    for (const kube::JobSummary& job : jobs) {
        if (std::find(state.arguments.begin(), state.arguments.end(), job.name) != state.arguments.end())
            continue;
        std::string description =
            job.definition.empty() ? job.status : fmt::format("{}, {}", job.definition, job.status);
        if (job.created) {
            description += fmt::format(
                ", {} ago",
                human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *job.created)));
        }
        candidates.push_back({job.name, description});
    }
    return candidates;
}

std::vector<Candidate> commands(const CLI::App& root) {
    std::vector<Candidate> candidates;
    for (const CLI::App* command : root.get_subcommands([](const CLI::App*) { return true; })) {
        if (command->get_group().empty() || command->get_name().empty()) continue;
        candidates.push_back({command->get_name(), command->get_description()});
    }
    return candidates;
}

// Runs a source that may fail (no project file, no kubeconfig, no cluster): a failure offers nothing.
Completion guarded(const std::function<Completion()>& source) {
    try {
        return source();
    } catch (const std::exception&) {
        return {};
    }
}

Completion complete_source(ValueSource source, const std::string& current, const Context& context,
                           const LineState& state, const CLI::App& root) {
    switch (source) {
    case ValueSource::none: return {};
    case ValueSource::files: return {{}, CompletionMode::files};
    case ValueSource::definitions: return guarded([&] { return offer(definitions(context), current); });
    case ValueSource::params: {
        const std::string definition = state.arguments.empty() ? std::string() : state.arguments.front();
        return guarded([&] { return params(context, definition, current); });
    }
    case ValueSource::contexts: return guarded([&] { return offer(contexts(context), current); });
    case ValueSource::namespaces: return guarded([&] { return offer(namespaces(context), current); });
    case ValueSource::job_names: return guarded([&] { return offer(job_names(context, state), current); });
    case ValueSource::queues: return guarded([&] { return offer(local_queues(context, state), current); });
    case ValueSource::commands: return offer(commands(root), current);
    }
    return {};
}

// The value of a flag: its IsMember set, else its source. `prefix` is what precedes the value in the
// word under the cursor ("--output=" or "-o"), kept in each candidate so the shell can match it.
Completion complete_value(const CLI::Option* option, const std::string& prefix, const std::string& current,
                          const Context& context, const LineState& state, const CLI::App& root) {
    const std::vector<std::string> members = member_values(option);
    Completion completion = members.empty()
                                ? complete_source(flag_source(option), current, context, state, root)
                                : offer(plain(members), current);
    for (Candidate& candidate : completion.candidates)
        candidate.value.insert(0, prefix);
    return completion;
}

Completion complete_flags(const CLI::App& app, const std::string& current) {
    std::vector<Candidate> candidates;
    for (const CLI::Option* option : app.get_options()) {
        if (!option->nonpositional() || !is_visible(option)) continue;
        for (const std::string& name : option->get_lnames())
            candidates.push_back({"--" + name, option->get_description()});
        // Short names only when one is typed in full ("-o"), so "-<TAB>" lists each flag once.
        if (current.size() == 2 && current[1] != '-') {
            for (const std::string& name : option->get_snames())
                candidates.push_back({"-" + name, option->get_description()});
        }
    }
    return offer(std::move(candidates), current);
}

Completion complete_argument(const LineState& state, const std::string& current, const Context& context,
                             const CLI::App& root) {
    const CLI::App& command = *state.app;
    const std::optional<ArgumentSource> source = argument_source(command);
    const std::size_t index = state.arguments.size();
    // Past its last argument (`kq logs NAME <TAB>`) a command takes nothing more.
    const CLI::Option* positional = positional_at(command, index);
    if (positional == nullptr) return {};
    if (source && (!source->first_only || index == 0)) {
        return complete_source(source->source, current, context, state, root);
    }
    const std::vector<std::string> members = member_values(positional);
    if (!members.empty()) return offer(plain(members), current);
    return complete_source(flag_source(positional), current, context, state, root);
}

} // namespace

Completion complete_words(const CLI::App& root, const std::vector<std::string>& words) {
    const std::string current = words.empty() ? std::string() : words.back();
    const std::vector<std::string> before(words.begin(), words.end() - (words.empty() ? 0 : 1));
    const LineState state = read_line(root, before);
    if (state.unknown_command) return {};

    // Sources see the flags typed on the line, and nothing they print reaches the shell.
    static std::ostream null_stream(nullptr);
    Context source_context{.global = state.global, .out = null_stream, .err = null_stream};

    if (state.pending != nullptr)
        return complete_value(state.pending, "", current, source_context, state, root);
    if (!state.after_dashdash && starts_with(current, "-")) {
        if (starts_with(current, "--")) {
            const std::size_t equals = current.find('=');
            if (equals != std::string::npos) {
                // A flag may take a value after "=" only (--dry-run=server): its IsMember set says which.
                const CLI::Option* option = find_long(*state.app, current.substr(2, equals - 2));
                if (option == nullptr || (!takes_value(option) && member_values(option).empty())) return {};
                return complete_value(option, current.substr(0, equals + 1), current.substr(equals + 1),
                                      source_context, state, root);
            }
        } else if (current.size() > 2) {
            const CLI::Option* option = find_short(*state.app, current[1]);
            if (option == nullptr || !takes_value(option)) return {};
            return complete_value(option, current.substr(0, 2), current.substr(2), source_context, state,
                                  root);
        }
        return complete_flags(*state.app, current);
    }
    if (state.app == &root) return offer(commands(root), current);
    return complete_argument(state, current, source_context, root);
}

std::string format_completion(const Completion& completion) {
    std::string text;
    for (const Candidate& candidate : completion.candidates) {
        text += candidate.value;
        if (!candidate.description.empty()) {
            // A description is one line; tabs and newlines would break the protocol.
            std::string description = candidate.description;
            std::replace_if(
                description.begin(), description.end(), [](char c) { return c == '\t' || c == '\n'; }, ' ');
            text += '\t' + description;
        }
        text += '\n';
    }
    switch (completion.mode) {
    case CompletionMode::words: text += ":words\n"; break;
    case CompletionMode::no_space: text += ":nospace\n"; break;
    case CompletionMode::files: text += ":files\n"; break;
    }
    return text;
}

namespace {

// An exec credential plugin has no timeout of its own, so a whole completion request gets one: the
// shell waits for kq, and an empty answer beats a hung prompt.
void give_up(int) { _exit(0); }

} // namespace

int run_complete(const CLI::App& root, const std::vector<std::string>& words, Context& context) {
    struct sigaction action {};
    struct sigaction previous {};
    action.sa_handler = give_up;
    sigemptyset(&action.sa_mask);
    sigaction(SIGALRM, &action, &previous);
    alarm(static_cast<unsigned>(k_complete_deadline.count()));
    const std::string text = format_completion(complete_words(root, words));
    alarm(0);
    sigaction(SIGALRM, &previous, nullptr);
    context.out << text;
    return 0;
}

} // namespace kq::cmd
