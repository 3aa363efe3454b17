#include "jobs/await.hpp"

#include "jobs/paths.hpp"
#include "kube/job_queries.hpp"
#include "kube/job_watch.hpp"
#include "project/labels.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <map>
#include <memory>

namespace kq::jobs {
namespace {

using Clock = std::chrono::steady_clock;

// How long a timed-out wait asks the server whether it is back before saying that it is not.
constexpr auto k_outage_probe = std::chrono::seconds(2);

// How many unfinished Jobs a timeout's message names; it counts the others.
constexpr size_t k_timeout_names = 10;

// How often the status of a wait without logs is told.
constexpr auto k_progress_every = std::chrono::milliseconds(250);

std::string progress_text(const kube::JobWatch& watch, Clock::time_point started) {
    const auto waited = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
    if (watch.names().size() == 1) {
        const kube::JobSummary& job = watch.job(watch.names().front());
        const std::string status =
            job.status == "Queued" ? fmt::format("Queued in {}", job.queue) : job.status;
        return fmt::format("waiting for {}: {} {} ({})", job_ref(job.name), status,
                           kube::completions_text(job), human_duration(waited));
    }
    return fmt::format("waiting for {} Jobs: {} finished ({})", watch.names().size(), watch.finished_count(),
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

// The timeout Error of a wait that ran out of time before every Job (or its logs) had finished; `also`
// ends its message (what a source never made).
[[noreturn]] void timed_out(kube::Client& client, const std::string& namespace_name,
                            const kube::JobWatch& watch, const AwaitOptions& options,
                            const std::string& also) {
    // The first few unfinished Jobs by name and a count of the rest, so that the message stays one
    // readable line with thousands of Jobs.
    std::vector<std::string> waiting;
    size_t unfinished = 0;
    for (const std::string& name : watch.names()) {
        const kube::JobSummary& job = watch.job(name);
        if (job.finished) continue;
        if (++unfinished <= k_timeout_names)
            waiting.push_back(fmt::format("{} ({})", job_ref(name), job.status));
    }
    std::string what = fmt::format("{}", fmt::join(waiting, ", "));
    if (unfinished > k_timeout_names) what += fmt::format(" and {} more Jobs", unfinished - k_timeout_names);
    if (const std::optional<kube::Client::Outage> outage = confirm_outage(client, namespace_name, watch)) {
        // Still a timeout (the Jobs may well be running on), but the state kq last saw is stale.
        const auto away = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - outage->since);
        fail(ErrorKind::timeout,
             "timed out after {} waiting for {}: the cluster has not answered for {} ({}){}",
             options.timeout_text, what, human_duration(away), outage->error.what(), also);
    }
    if (waiting.empty()) {
        fail(ErrorKind::timeout, "timed out after {} reading the logs of {}{}", options.timeout_text,
             fmt::join(watch.names(), ", "), also);
    }
    fail(ErrorKind::timeout, "timed out after {} waiting for {}{}", options.timeout_text, what, also);
}

// Follows the Jobs of Kueue queues through admission and eviction: tells each change, and counts the
// time during which every unfinished Job waited in its queue, which --timeout leaves out unless told
// otherwise. The watch tells it every change as it comes (an admission and an eviction may be a moment
// apart); the notes are told between the wait's turns, where a request for Kueue's reason may be sent.
class QueueTracker {
public:
    QueueTracker(kube::Client& client, std::string namespace_name)
        : m_client(client), m_namespace(std::move(namespace_name)) {}

    // Each change of a followed Job, from the watch.
    void changed(const kube::JobSummary& job) {
        if (job.queue.empty()) return;
        const bool queued = job.status == "Queued";
        auto [seen, first] = m_queued.try_emplace(job.name, queued);
        if (first) {
            if (queued) m_events.push_back({job.name, job.queue, Event::queued});
        } else if (seen->second != queued && !job.finished) {
            m_events.push_back({job.name, job.queue, queued ? Event::evicted : Event::admitted});
        }
        seen->second = queued;
    }

    // Tells what happened since the last look (evictions always; with one Job, also its admission and
    // its wait in the queue); returns how long, since the last look, all unfinished Jobs were queued.
    Clock::duration look(const kube::JobWatch& watch, const std::function<void(const std::string&)>& note) {
        const bool one = watch.names().size() == 1;
        for (const Event& event : m_events) {
            switch (event.kind) {
            case Event::queued:
                if (one)
                    note(fmt::format("{} is queued in {}; it starts when Kueue admits it",
                                     job_ref(event.name), event.queue));
                break;
            case Event::admitted:
                if (one)
                    note(fmt::format("{} was admitted by Kueue from queue {}", job_ref(event.name),
                                     event.queue));
                break;
            case Event::evicted:
                note(fmt::format("{} was evicted by Kueue and waits in queue {} again{}", job_ref(event.name),
                                 event.queue, eviction_reason(event.name)));
                break;
            }
        }
        m_events.clear();
        const auto now = Clock::now();
        const Clock::duration since = m_last ? now - *m_last : Clock::duration::zero();
        m_last = now;
        bool any_unfinished = false;
        for (const std::string& name : watch.names()) {
            const kube::JobSummary& job = watch.job(name);
            if (job.finished) continue;
            any_unfinished = true;
            if (job.status != "Queued") return Clock::duration::zero();
        }
        return any_unfinished ? since : Clock::duration::zero();
    }

private:
    struct Event {
        enum Kind { queued, admitted, evicted };
        std::string name;
        std::string queue;
        Kind kind;
    };

    // ": <Kueue's message>", from the Workload's Preempted or Evicted condition, when it can be read.
    std::string eviction_reason(const std::string& name) {
        try {
            const nlohmann::json object = m_client.get(job_path(m_namespace, name));
            const std::string uid = object.value("/metadata/uid"_json_pointer, std::string());
            if (uid.empty()) return "";
            const std::optional<kube::WorkloadSummary> workload =
                kube::find_workload(m_client, m_namespace, uid);
            if (!workload) return "";
            for (const char* type : {"Preempted", "Evicted"}) {
                const kube::JobCondition* condition = workload->condition(type);
                if (condition != nullptr && condition->status == "True" && !condition->message.empty())
                    return ": " + condition->message;
            }
        } catch (const kube::ApiError&) { // the note is a courtesy; the wait goes on without it
        }
        return "";
    }

    kube::Client& m_client;
    std::string m_namespace;
    std::map<std::string, bool> m_queued;
    std::vector<Event> m_events;
    std::optional<Clock::time_point> m_last;
};

// How long one turn of the wait runs before the queue is looked at again.
constexpr auto k_queue_look_every = std::chrono::milliseconds(250);

// Up to this many log followers are swept after every event; more, at most every k_sweep_every.
constexpr std::size_t k_sweep_always_below = 16;
constexpr auto k_sweep_every = std::chrono::milliseconds(50);

} // namespace

AwaitOutcome await_jobs(kube::Client& client, const std::string& namespace_name,
                        std::vector<nlohmann::json> jobs, const AwaitOptions& options,
                        const AwaitHandlers& handlers, JobSource* source) {
    catch_interrupts();
    const auto started = Clock::now();
    std::optional<Clock::time_point> deadline;
    if (options.timeout) deadline = started + *options.timeout;
    auto note = [&](const std::string& text) {
        if (handlers.note) handlers.note(text);
    };

    std::vector<std::unique_ptr<kube::JobLogFollower>> followers;
    std::map<std::string, kube::JobLogFollower*> follower_of;
    QueueTracker queue(client, namespace_name);
    kube::JobWatch watch(client, namespace_name, [&queue, source](const kube::JobSummary& job) {
        queue.changed(job);
        if (source != nullptr) source->changed(job);
    });
    watch.prefer_labels({std::string(project::k_label_submission), std::string(project::k_label_definition)});
    if (source != nullptr) watch.expect_more(source->selector());
    for (const nlohmann::json& job : jobs)
        watch.add(job);
    watch.start();
    // Many Jobs share one watch of their pods, by the label the Jobs' watch picked them with.
    std::unique_ptr<kube::PodFeed> feed;
    if (options.logs && watch.collection_selector())
        feed = std::make_unique<kube::PodFeed>(client, namespace_name, *watch.collection_selector());
    kube::LogRequest log_request = options.log_request;
    if ((jobs.size() > 1 || source != nullptr) && log_request.prefix == kube::LogPrefix::automatic)
        log_request.prefix = kube::LogPrefix::always;
    auto follow_logs = [&](const nlohmann::json& job) {
        auto follower = std::make_unique<kube::JobLogFollower>(
            client, job, log_request,
            [&handlers](std::string_view line) {
                if (handlers.log_line) handlers.log_line(line);
            },
            note);
        if (feed) feed->add(*follower);
        follower->start();
        follower_of[job.value("/metadata/name"_json_pointer, std::string())] = follower.get();
        followers.push_back(std::move(follower));
    };
    if (options.logs) {
        for (const nlohmann::json& job : jobs)
            follow_logs(job);
        if (feed) feed->start();
    }
    // The watch and the followers keep what they need of each Job: thousands of objects need not stay.
    std::vector<nlohmann::json>().swap(jobs);
    bool queued_jobs = false;
    for (const std::string& name : watch.names())
        queued_jobs = queued_jobs || !watch.job(name).queue.empty();
    // Between turns: the Jobs the source made since are followed like the others.
    auto take_more = [&] {
        if (source == nullptr || interrupted()) return;
        for (const nlohmann::json& job : source->more()) {
            watch.add(job);
            const std::string name = job.value("/metadata/name"_json_pointer, std::string());
            queued_jobs = queued_jobs || !watch.job(name).queue.empty();
            if (options.logs) follow_logs(job);
        }
        if (source->exhausted()) watch.no_more();
    };

    // Followers learn of their Job's end from the watch, then read what is left before they finish.
    // The client asks after every chunk of every stream, and a sweep of the followers costs one poll
    // per Job: with many Jobs it runs at most every k_sweep_every (the client's loop wakes at least
    // every 200 ms), so that the CPU kq spends per log line does not grow with the number of Jobs.
    Clock::time_point last_sweep{};
    auto finished = [&] {
        if (interrupted() || watch.failed()) return true;
        if (followers.size() > k_sweep_always_below) {
            const auto now = Clock::now();
            if (now - last_sweep < k_sweep_every) return false;
            last_sweep = now;
        }
        if (feed) {
            if (feed->failure()) return true;
            feed->poll();
        }
        bool logs_done = true;
        for (const auto& [name, follower] : follower_of) {
            if (follower->failure()) return true;
            follower->job_changed(watch.job(name));
            if (!follower->poll()) logs_done = false;
        }
        return watch.all_finished() && logs_done && (source == nullptr || source->exhausted());
    };
    const bool progress = handlers.progress && !options.logs;
    Clock::time_point last_progress{};
    auto turn = [&] {
        if (progress && Clock::now() - last_progress >= k_progress_every) {
            last_progress = Clock::now();
            std::string text = progress_text(watch, started);
            if (source != nullptr && source->left() > 0)
                text = fmt::format("{}; {} to create", text, source->left());
            handlers.progress(text);
        }
        return finished() || (source != nullptr && source->ready());
    };
    kube::RunOutcome outcome = kube::RunOutcome::done;
    if (!queued_jobs && source == nullptr) {
        outcome = client.run(turn, deadline);
    } else {
        // In turns: the source makes more between them, and the time every unfinished Job spent in its
        // Kueue queue moves the deadline.
        for (;;) {
            take_more();
            std::optional<Clock::time_point> until = deadline;
            if (queued_jobs) {
                const Clock::duration queued = queue.look(watch, note);
                if (deadline && !options.timeout_includes_queue) *deadline += queued;
                until = Clock::now() + k_queue_look_every;
                if (deadline && *deadline < *until) until = deadline;
            }
            outcome = client.run(turn, until);
            if (outcome == kube::RunOutcome::done) {
                if (finished()) break;
                continue; // the source is ready for more
            }
            if (deadline && Clock::now() >= *deadline) break;
            if (outcome != kube::RunOutcome::deadline) break;
        }
    }
    if (progress) handlers.progress("");

    if (interrupted()) {
        std::vector<std::string> running;
        for (const std::string& name : watch.names()) {
            if (!watch.job(name).finished) running.push_back(name);
        }
        if (!running.empty()) note(still_running_hint(running, namespace_name));
        throw Error(ErrorKind::interrupted,
                    source != nullptr ? source->interrupted_message() : "interrupted while waiting");
    }
    if (watch.failed()) throw *watch.failure();
    if (feed && feed->failure()) throw *feed->failure();
    for (auto& follower : followers) {
        if (follower->failure()) throw *follower->failure();
    }
    if (outcome != kube::RunOutcome::done || !watch.all_finished())
        timed_out(client, namespace_name, watch, options,
                  source != nullptr && source->left() > 0
                      ? fmt::format("; {} more Jobs were never created", source->left())
                      : "");

    AwaitOutcome result;
    // The pods of the failed Jobs that no follower read: one list when the Jobs were followed together.
    std::optional<std::map<std::string, std::vector<nlohmann::json>>> pods_of;
    for (const std::string& name : watch.names()) {
        const kube::JobSummary& job = watch.job(name);
        std::vector<nlohmann::json> pods;
        if (!job.succeeded) {
            if (auto found = follower_of.find(name); found != follower_of.end()) {
                pods = found->second->pod_list();
            } else if (watch.collection_selector()) {
                if (!pods_of)
                    pods_of = kube::list_pods_by_job(client, namespace_name, *watch.collection_selector());
                pods = std::move((*pods_of)[name]);
            } else {
                pods = kube::list_pods_by_job(client, namespace_name, watch.pod_selector_of(name))[name];
            }
        }
        kube::JobResult job_result = kube::job_result(job, pods);
        if (handlers.finished) handlers.finished(job, job_result);
        if (!job_result.succeeded) {
            // With one Job the detail becomes the error message; with several, each is told here.
            if (watch.names().size() > 1) note(job_result.detail);
            if (result.exit_code == 0) result.exit_code = job_result.exit_code;
        }
        result.jobs.push_back(job);
        result.results.push_back(std::move(job_result));
    }
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

void delete_job(kube::Client& client, const std::string& namespace_name, const std::string& name) {
    const nlohmann::json options = {
        {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
    try {
        client.remove(job_path(namespace_name, name), {}, options);
    } catch (const kube::ApiError& error) {
        if (!error.not_found()) throw;
    }
}

} // namespace kq::jobs
