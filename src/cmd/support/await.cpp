#include "cmd/support/await.hpp"

#include "jobs/paths.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <ostream>

namespace kq::cmd {
namespace {

// A one-line status on stderr while waiting without logs, redrawn in place; only on a terminal.
class ProgressLine {
public:
    explicit ProgressLine(Context& context, bool enabled) : m_context(context), m_enabled(enabled) {}
    ~ProgressLine() { clear(); }
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void show(const std::string& text) {
        if (!m_enabled) return;
        static constexpr const char* k_frames[] = {"|", "/", "-", "\\"};
        m_context.err << "\r\033[K" << k_frames[m_frame++ % 4] << ' ' << text << std::flush;
        m_shown = true;
    }

    void clear() {
        if (!m_shown) return;
        m_context.err << "\r\033[K" << std::flush;
        m_shown = false;
    }

private:
    Context& m_context;
    bool m_enabled;
    bool m_shown = false;
    size_t m_frame = 0;
};

} // namespace

jobs::AwaitOutcome await_printing(kube::Client& client, const std::string& namespace_name,
                                  std::vector<nlohmann::json> jobs, const jobs::AwaitOptions& options,
                                  Context& context, bool print_results, jobs::JobSource* source) {
    ProgressLine progress(context, context.live_status());
    jobs::AwaitHandlers handlers;
    handlers.log_line = [&context](std::string_view line) {
        context.out << line << '\n';
        context.out.flush();
    };
    handlers.note = [&context](const std::string& note) {
        context.out.flush(); // what came before the note is out first
        context.err << "kq: " << note << '\n' << std::flush;
    };
    handlers.progress = [&progress](const std::string& status) {
        if (status.empty()) {
            progress.clear();
        } else {
            progress.show(status);
        }
    };
    if (print_results) {
        handlers.finished = [&context](const kube::JobSummary& job, const kube::JobResult&) {
            context.out << fmt::format("{} {}\n", jobs::job_ref(job.name),
                                       job.succeeded ? "complete" : "failed");
        };
    }
    jobs::AwaitOutcome outcome =
        jobs::await_jobs(client, namespace_name, std::move(jobs), options, handlers, source);
    context.out.flush();
    return outcome;
}

std::optional<std::chrono::milliseconds> parse_duration_flag(const std::string& flag,
                                                             const std::string& text) {
    if (text.empty()) return std::nullopt;
    const std::optional<std::chrono::milliseconds> duration = parse_duration(text);
    if (!duration || duration->count() < 0) {
        fail(ErrorKind::usage, "{}: \"{}\" is not a duration (e.g. 30s, 5m, 1h30m)", flag, text);
    }
    return duration;
}

std::vector<Pattern> log_patterns(const std::vector<std::string>& sources, const char* flag) {
    std::vector<Pattern> patterns;
    for (const std::string& source : sources) {
        Pattern pattern = Pattern::compile(source);
        if (!pattern.valid())
            fail(ErrorKind::usage, "{}: \"{}\" is not a regular expression: {}", flag, source,
                 pattern.error());
        patterns.push_back(std::move(pattern));
    }
    return patterns;
}

void add_log_filter_flags(CLI::App& command, std::vector<std::string>& include,
                          std::vector<std::string>& exclude) {
    command
        .add_option("--include", include,
                    "Print only log lines matching this regular expression (repeatable: any of them)")
        ->allow_extra_args(false)
        ->type_name("REGEX");
    command
        .add_option("--exclude", exclude, "Leave out log lines matching this regular expression (repeatable)")
        ->allow_extra_args(false)
        ->type_name("REGEX");
}

kube::LogPrefix prefix_choice(bool prefix, bool no_prefix) {
    if (prefix && no_prefix) fail(ErrorKind::usage, "--prefix and --no-prefix: use one of them");
    if (prefix) return kube::LogPrefix::always;
    if (no_prefix) return kube::LogPrefix::never;
    return kube::LogPrefix::automatic;
}

} // namespace kq::cmd
