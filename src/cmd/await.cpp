#include "cmd/await.hpp"

#include "cmd/submission.hpp"
#include "cmd/targets.hpp"
#include "kube/job_watch.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

using Clock = std::chrono::steady_clock;

// How long a timed-out wait asks the server whether it is back before saying that it is not.
constexpr auto k_outage_probe = std::chrono::seconds(2);

// A one-line status on stderr while waiting without logs, redrawn in place; only on a terminal.
class ProgressLine {
public:
    explicit ProgressLine(Context& context, bool enabled) : m_context(context), m_enabled(enabled) {}
    ~ProgressLine() { clear(); }

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

std::string progress_text(const kube::JobWatch& watch, Clock::time_point started) {
    const auto waited = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
    if (watch.names().size() == 1) {
        const auto job = kube::summarize_job(watch.jobs().at(watch.names().front()));
        return fmt::format("waiting for {}: {} {} ({})", job_ref(job.name), job.status,
                           kube::completions_text(job), human_duration(waited));
    }
    size_t finished = 0;
    for (const auto& [name, object] : watch.jobs())
        finished += kube::summarize_job(object).finished ? 1 : 0;
    return fmt::format("waiting for {} Jobs: {} finished ({})", watch.names().size(), finished,
                       human_duration(waited));
}

std::string still_running_hint(const std::vector<std::string>& names, const std::string& namespace_name) {
    const std::string ns_flag = fmt::format(" -n {}", namespace_name);
    if (names.size() == 1) {
        return fmt::format(
            "{} keeps running; follow it with 'kq logs -f {}{}', delete it with 'kq delete {}{}'",
            job_ref(names.front()), names.front(), ns_flag, names.front(), ns_flag);
    }
    return fmt::format(
        "{} Jobs keep running; list them with 'kq list{}', delete them with 'kq delete NAME...{}'",
        names.size(), ns_flag, ns_flag);
}

// At the deadline, a server that stopped answering is asked once more (for a moment), so that the
// message says whether it is away now rather than whether a watch happened to be broken.
std::optional<kube::Client::Outage> confirm_outage(kube::Client& client, const std::string& namespace_name,
                                                   const kube::JobWatch& watch) {
    if (!client.outage() || watch.names().empty()) return std::nullopt;
    bool answered = false;
    kube::ApiRequest request;
    request.path = job_path(namespace_name, watch.names().front());
    const kube::CallId probe = client.start(std::move(request), [&](kube::ApiResult&&) { answered = true; });
    client.run([&] { return answered || !client.outage(); }, Clock::now() + k_outage_probe);
    if (!answered) client.cancel(probe);
    return client.outage();
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration_flag(const std::string& flag,
                                                             const std::string& text) {
    if (text.empty()) return std::nullopt;
    const std::optional<std::chrono::milliseconds> duration = parse_duration(text);
    if (!duration || duration->count() < 0) {
        fail(ErrorKind::usage, "{}: \"{}\" is not a duration (e.g. 30s, 5m, 1h30m)", flag, text);
    }
    return duration;
}

kube::LogPrefix prefix_choice(bool prefix, bool no_prefix) {
    if (prefix && no_prefix) fail(ErrorKind::usage, "--prefix and --no-prefix: use one of them");
    if (prefix) return kube::LogPrefix::always;
    if (no_prefix) return kube::LogPrefix::never;
    return kube::LogPrefix::automatic;
}

AwaitOutcome await_jobs(kube::Client& client, const std::string& namespace_name,
                        const std::vector<nlohmann::json>& jobs, const AwaitOptions& options,
                        Context& context) {
    catch_interrupts();
    const auto started = Clock::now();
    std::optional<Clock::time_point> deadline;
    if (options.timeout) deadline = started + *options.timeout;

    std::vector<std::unique_ptr<kube::JobLogFollower>> followers;
    std::map<std::string, kube::JobLogFollower*> follower_of;
    ProgressLine progress(context, context.live_status() && !options.logs);
    kube::JobWatch watch(client, namespace_name);
    for (const nlohmann::json& job : jobs)
        watch.add(job);
    if (options.logs) {
        kube::LogRequest request = options.log_request;
        if (jobs.size() > 1 && request.prefix == kube::LogPrefix::automatic)
            request.prefix = kube::LogPrefix::always;
        for (const nlohmann::json& job : jobs) {
            auto follower = std::make_unique<kube::JobLogFollower>(
                client, job, request,
                [&context](std::string_view line) {
                    context.out << line << '\n';
                    context.out.flush();
                },
                [&context](const std::string& note) { context.err << "kq: " << note << '\n'
                                                                  << std::flush; });
            follower->start();
            follower_of[job.value("/metadata/name"_json_pointer, std::string())] = follower.get();
            followers.push_back(std::move(follower));
        }
    }

    // Followers learn of their Job's end from the watch, then read what is left before they finish.
    auto finished = [&] {
        if (interrupted() || watch.failed()) return true;
        bool logs_done = true;
        for (const auto& [name, follower] : follower_of) {
            if (follower->failure()) return true;
            follower->job_changed(watch.jobs().at(name));
            if (!follower->poll()) logs_done = false;
        }
        return watch.all_finished() && logs_done;
    };
    Clock::time_point last_progress{};
    const kube::RunOutcome outcome = client.run(
        [&] {
            if (Clock::now() - last_progress >= std::chrono::milliseconds(250)) {
                last_progress = Clock::now();
                progress.show(progress_text(watch, started));
            }
            return finished();
        },
        deadline);
    progress.clear();

    if (interrupted()) {
        context.out.flush();
        std::vector<std::string> running;
        for (const std::string& name : watch.names()) {
            if (!kube::summarize_job(watch.jobs().at(name)).finished) running.push_back(name);
        }
        if (!running.empty()) context.err << "kq: " << still_running_hint(running, namespace_name) << '\n';
        throw Error(ErrorKind::interrupted, "interrupted while waiting");
    }
    if (watch.failed()) throw *watch.failure();
    for (auto& follower : followers) {
        if (follower->failure()) throw *follower->failure();
    }
    if (outcome != kube::RunOutcome::done || !watch.all_finished()) {
        std::vector<std::string> waiting;
        for (const std::string& name : watch.names()) {
            const auto job = kube::summarize_job(watch.jobs().at(name));
            if (!job.finished) waiting.push_back(fmt::format("{} ({})", job_ref(name), job.status));
        }
        const std::string what = fmt::format("{}", fmt::join(waiting, ", "));
        if (const std::optional<kube::Client::Outage> outage =
                confirm_outage(client, namespace_name, watch)) {
            // Still a timeout (the Jobs may well be running on), but the state kq last saw is stale.
            const auto away = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - outage->since);
            fail(ErrorKind::timeout,
                 "timed out after {} waiting for {}: the cluster has not answered for {} ({})",
                 options.timeout_text, what, human_duration(away), outage->error.what());
        }
        if (waiting.empty()) {
            fail(ErrorKind::timeout, "timed out after {} reading the logs of {}", options.timeout_text,
                 fmt::join(watch.names(), ", "));
        }
        fail(ErrorKind::timeout, "timed out after {} waiting for {}", options.timeout_text, what);
    }

    AwaitOutcome result;
    for (const std::string& name : watch.names()) {
        const nlohmann::json& object = watch.jobs().at(name);
        const kube::JobSummary job = kube::summarize_job(object);
        std::vector<nlohmann::json> pods;
        if (!job.succeeded) {
            auto found = follower_of.find(name);
            pods =
                found != follower_of.end() ? found->second->pod_list() : kube::list_job_pods(client, object);
        }
        kube::JobResult job_result = kube::job_result(job, pods);
        if (options.print_results) {
            context.out << fmt::format("{} {}\n", job_ref(name), job.succeeded ? "complete" : "failed");
        }
        if (!job_result.succeeded) {
            // With one Job the detail becomes the error message; with several, each is told here.
            if (watch.names().size() > 1) context.err << "kq: " << job_result.detail << '\n';
            if (result.exit_code == 0) result.exit_code = job_result.exit_code;
        }
        result.jobs.push_back(job);
        result.results.push_back(std::move(job_result));
    }
    context.out.flush();
    return result;
}

void throw_if_failed(const AwaitOutcome& outcome) {
    if (outcome.exit_code == 0) return;
    size_t failed = 0;
    const kube::JobResult* first = nullptr;
    for (const kube::JobResult& result : outcome.results) {
        if (result.succeeded) continue;
        ++failed;
        if (first == nullptr) first = &result;
    }
    if (failed == 1) throw Error(ErrorKind::job_failed, first->detail, outcome.exit_code);
    throw Error(ErrorKind::job_failed,
                fmt::format("{} of {} Jobs failed; the first: {}", failed, outcome.results.size(),
                            first != nullptr ? first->detail : ""),
                outcome.exit_code);
}

void delete_job(kube::Client& client, const std::string& namespace_name, const std::string& name,
                std::ostream& out) {
    const nlohmann::json options = {
        {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
    try {
        client.remove(job_path(namespace_name, name), {}, options);
    } catch (const kube::ApiError& error) {
        if (!error.not_found()) throw;
    }
    out << job_ref(name) << " deleted\n";
}

} // namespace kq::cmd
