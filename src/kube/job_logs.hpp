#pragma once

#include "kube/client.hpp"
#include "kube/job_status.hpp"
#include "kube/log_lines.hpp"
#include "util/pattern.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kq::kube {

// When log lines carry their pod and container in front.
enum class LogPrefix { automatic, always, never };

// What to read of a Job's logs.
struct LogRequest {
    std::string container;                   // -c; empty: each pod's default container
    bool all_containers = false;             // --all-containers
    bool timestamps = false;                 // --timestamps: show each line's timestamp
    std::optional<long long> since_seconds;  // --since
    std::optional<long long> tail_lines;     // --tail
    LogPrefix prefix = LogPrefix::automatic; // automatic: once more than one container stream shows
    bool color = false;                      // colour the prefixes
    std::vector<Pattern> include;            // --include: only lines matching one of these
    std::vector<Pattern> exclude;            // --exclude: no line matching one of these
    bool json = false; // -o json: each line as {"job","pod","container","timestamp","message"}
};

// Whether a line's text passes a request's --include and --exclude filters. A filter sees the first
// Pattern::k_max_input_length bytes of a line.
bool line_selected(const LogRequest& request, std::string_view text);

// One line as a request prints it: prefixed, with its timestamp, or as a JSON object; nullopt when the
// filters leave it out.
std::optional<std::string> render_log_line(const LogRequest& request, bool prefixed, std::string_view job,
                                           std::string_view pod, std::string_view container,
                                           std::size_t color_index, std::string_view timestamp,
                                           std::string_view text);

// Receives each log line as printed (prefix included, or a JSON object), without its newline.
using LineSink = std::function<void(std::string_view line)>;

// Receives a note for stderr, such as a container that never started.
using NoteSink = std::function<void(const std::string& note)>;

// The containers of a pod a request reads, in the pod's order; throws a usage Error when -c names a
// container the pod does not have.
std::vector<std::string> log_containers(const nlohmann::json& pod, const LogRequest& request);

// Prints the logs that a Job's pods have now, pod after pod in creation order (retries and parallel
// pods included), each container in turn.
void print_job_logs(Client& client, const nlohmann::json& job, const LogRequest& request, const LineSink& out,
                    const NoteSink& note);

class PodFeed;

// Follows the logs of every pod of a Job as they are written, including pods created later, through
// Pending and ContainerCreating, resuming dropped streams without losing or repeating a line. It ends
// on the pods' and the Job's status, never on the end of a stream alone: a stream that stays open
// after its container terminated is closed after a short grace. Runs inside Client::run; the caller
// reports the Job's changes through job_changed() (from a JobWatch) and polls done().
class JobLogFollower {
public:
    JobLogFollower(Client& client, const nlohmann::json& job, LogRequest request, LineSink out,
                   NoteSink note);
    ~JobLogFollower();
    JobLogFollower(const JobLogFollower&) = delete;
    JobLogFollower& operator=(const JobLogFollower&) = delete;

    // Starts watching the Job's pods, through its own watch unless attached to a PodFeed.
    void start();

    // Gets the Job's pods from a feed shared with other followers instead of a watch of its own, and
    // opens log streams only as the feed allows. Call before start().
    void attach(PodFeed& feed) { m_feed = &feed; }

    // The Job followed.
    const std::string& job_name() const { return m_job_name; }

    // Tells the follower the Job's newest state; once it has finished, the follower reads what is
    // left and ends.
    void job_changed(const JobSummary& job);

    // A pod of the Job changed or was deleted (from a PodFeed).
    void pod_event(const nlohmann::json& pod, bool deleted) { pod_changed(pod, deleted); }

    // A list made after the Job finished found these pods of it (from a PodFeed): any other is gone.
    void final_listed(const std::set<std::string>& pods);

    // Moves timers along (retries, grace periods) and tells whether everything has been read.
    bool poll();

    // The newest object of each pod seen, by name.
    const std::map<std::string, nlohmann::json>& pods() const { return m_pods; }

    // The pods as a list, for job_result.
    std::vector<nlohmann::json> pod_list() const;

    // A watch of the pods that failed for good, if any.
    const std::optional<ApiError>& failure() const { return m_failure; }

private:
    struct Stream;

    void pod_changed(const nlohmann::json& pod, bool deleted);
    void connect(Stream& stream);
    void emit(Stream& stream, std::string_view timestamp, std::string_view text);
    void start_pod_watch(const std::string& resource_version);
    void final_list();

    Client& m_client;
    std::string m_namespace;
    std::string m_job_name; // for -o json lines
    std::string m_selector;
    LogRequest m_request;
    LineSink m_out;
    NoteSink m_note;
    std::map<std::string, nlohmann::json> m_pods;
    std::map<std::pair<std::string, std::string>, std::unique_ptr<Stream>> m_streams;
    std::optional<CallId> m_pod_watch;
    std::optional<CallId> m_final_list;
    PodFeed* m_feed = nullptr;
    bool m_final_requested = false; // asked the feed for the final list
    bool m_job_finished = false;
    bool m_final_list_done = false;
    bool m_prefixing = false;
    std::optional<ApiError> m_failure;
    std::string m_pod_version;
};

// What the follower keeps of a pod: the fields that decide which streams to open and when they end,
// and that job_result reads for the exit code: the containers' names (an init container's
// restartPolicy, which tells a native sidecar), the pod's phase, reason and message, and of each
// container's status its name, state, lastState and restartCount. A pod as the API returns it carries
// much more (managedFields, volumes, the containers' whole specs, conditions, images and mounts in
// every container status), and a follow of thousands of Jobs keeps one or more pods of each.
nlohmann::json slim_pod(const nlohmann::json& pod);

// How long a stream may stay open after its container terminated before kq stops reading it: enough
// for the last lines in flight, short enough that a server that never closes it does not hold kq.
inline constexpr auto k_terminated_grace = std::chrono::seconds(5);

// True when a log stream of a terminated container has had its grace: k_terminated_grace since kq saw
// the container end, and since the stream connected, so that a stream that waited for a free slot
// (k_max_log_streams) until long after its container ended still gets the whole grace to deliver what
// the container wrote.
bool terminated_grace_over(std::chrono::steady_clock::time_point now,
                           std::chrono::steady_clock::time_point terminated_at,
                           std::chrono::steady_clock::time_point connected_at);

// The most log streams the followers attached to one PodFeed keep open at once; a container that has
// run waits for a free one, and reads from its start (or where it stopped) when it gets it.
inline constexpr size_t k_max_log_streams = 64;

// The pods of many Jobs through one watch of the namespace's pods by a label selector the Jobs' pods
// share, handed to the follower of the Job that owns each pod; once Jobs finish, one list at a time
// settles the pods of all those waiting for it. Bounds the log streams of its followers to
// k_max_log_streams. Runs inside Client::run.
class PodFeed {
public:
    PodFeed(Client& client, std::string namespace_name, std::string selector);
    ~PodFeed();
    PodFeed(const PodFeed&) = delete;
    PodFeed& operator=(const PodFeed&) = delete;

    // Hands the pods of the follower's Job to it (and attaches it).
    void add(JobLogFollower& follower);

    // Starts watching the pods.
    void start();

    // Starts the list that the followers waiting for one need; call from the run loop.
    void poll();

    // A watch or list of the pods that failed for good, if any.
    const std::optional<ApiError>& failure() const { return m_failure; }

    // Takes one of the log streams allowed, if one is free.
    bool take_stream();

    // Gives a log stream back.
    void return_stream() { --m_open_streams; }

    // The most log streams that were open at once (for tests).
    size_t peak_streams() const { return m_peak_streams; }

    // Asks for a list of the pods once the follower's Job has finished.
    void want_final_list(JobLogFollower& follower) { m_waiting.push_back(&follower); }

private:
    void start_watch(const std::string& resource_version);

    Client& m_client;
    std::string m_namespace;
    std::string m_selector;
    std::map<std::string, JobLogFollower*> m_followers; // by Job name
    std::vector<JobLogFollower*> m_waiting;             // for a final list
    std::optional<CallId> m_watch;
    std::optional<CallId> m_list;
    std::string m_version;
    std::chrono::steady_clock::time_point m_next_list{}; // when the next list may start
    size_t m_open_streams = 0;
    size_t m_peak_streams = 0;
    std::optional<ApiError> m_failure;
};

} // namespace kq::kube
