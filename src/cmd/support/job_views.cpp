#include "cmd/support/job_views.hpp"

#include "cmd/support/output.hpp"
#include "jobs/payload.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <ostream>
#include <sstream>

namespace kq::cmd {
namespace {

using nlohmann::json;

// kubectl's words for a value that is not there.
constexpr const char* k_none = "<none>";
constexpr const char* k_unknown = "<unknown>";

std::string age_text(const std::optional<TimePoint>& when, TimePoint now) {
    if (!when) return k_unknown;
    return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *when));
}

std::string or_none(const std::string& text) { return text.empty() ? k_none : text; }

// "2026-11-27T10:00:01Z (35s ago)"
std::string when_text(TimePoint when, TimePoint now) {
    return fmt::format("{} ({} ago)", format_rfc3339(when), age_text(when, now));
}

// "terminated (Error, exit code 3)", "waiting (ErrImagePull)", "running"
std::string container_text(const kube::ContainerSummary& container) {
    std::vector<std::string> details;
    if (!container.reason.empty()) details.push_back(container.reason);
    if (container.exit_code) details.push_back(fmt::format("exit code {}", *container.exit_code));
    std::string text =
        fmt::format("{}{}: {}", container.init ? "init:" : "", container.name, container.state);
    if (!details.empty()) text += fmt::format(" ({})", join(details, ", "));
    if (!container.last_reason.empty() || container.last_exit_code) {
        std::vector<std::string> last;
        if (!container.last_reason.empty()) last.push_back(container.last_reason);
        if (container.last_exit_code) last.push_back(fmt::format("exit code {}", *container.last_exit_code));
        text += fmt::format(", last terminated ({})", join(last, ", "));
    }
    return text;
}

std::string phase_text(const kube::PodSummary& pod) {
    std::string phase = pod.phase.empty() ? "Unknown" : pod.phase;
    if (!pod.reason.empty()) phase += fmt::format(" ({})", pod.reason);
    if (pod.deleting) phase += ", Terminating";
    return phase;
}

// A section of `kq status`: its title, then the table indented by two spaces, or "<none>" on the title's
// line.
void section(std::ostream& out, const char* title, const Table& table, bool empty) {
    out << '\n' << title << ':';
    if (empty) {
        out << "  " << k_none << '\n';
        return;
    }
    out << '\n';
    std::ostringstream text;
    table.print(text);
    std::istringstream lines(text.str());
    for (std::string line; std::getline(lines, line);)
        out << "  " << line << '\n';
}

json optional_time(const std::optional<TimePoint>& when) {
    return when ? json(format_rfc3339(*when)) : json(nullptr);
}

json optional_int(const std::optional<int>& value) { return value ? json(*value) : json(nullptr); }

json optional_text(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

} // namespace

std::vector<std::string> job_table_headers(const JobTableColumns& columns) {
    std::vector<std::string> headers;
    if (columns.namespaces) headers.push_back("NAMESPACE");
    for (const char* header : {"NAME", "DEFINITION", "STATUS", "COMPLETIONS", "DURATION", "AGE"}) {
        headers.push_back(header);
    }
    if (columns.wide) {
        headers.push_back("REASON");
        headers.push_back("QUEUE");
        headers.push_back("IMAGES");
        headers.push_back("SCHEDULE");
    }
    return headers;
}

std::vector<std::string> job_table_row(const json& job, TimePoint now, const JobTableColumns& columns) {
    const kube::JobSummary summary = kube::summarize_job(job);
    std::vector<std::string> row;
    if (columns.namespaces) row.push_back(summary.namespace_name);
    row.push_back(summary.name);
    row.push_back(or_none(kube::job_definition(job)));
    // A Job waiting for Kueue shows where, as kubectl shows "Init:0/1".
    row.push_back(summary.status == "Queued" ? "Queued:" + summary.queue : summary.status);
    row.push_back(kube::completions_text(summary));
    // Blank before the Job started, as kubectl's DURATION column.
    const auto duration = kube::job_duration(summary, now);
    row.push_back(duration ? human_duration(*duration) : "");
    row.push_back(age_text(summary.created, now));
    if (columns.wide) {
        row.push_back(or_none(summary.reason));
        row.push_back(or_none(summary.queue));
        row.push_back(or_none(join(kube::job_images(job), ",")));
        row.push_back(or_none(kube::job_schedule(job)));
    }
    return row;
}

std::string_view status_color(std::string_view status) {
    if (status == "Complete") return k_green;
    if (status == "Failed") return k_red;
    return {};
}

void print_job_table(const Table& table, const JobTableColumns& columns, std::ostream& out, bool headers,
                     std::size_t width, bool color) {
    if (!color) {
        table.print(out, headers, width);
        return;
    }
    // The header row locates the STATUS column, so it is printed even when it is then left out.
    std::ostringstream plain;
    table.print(plain, true, width);
    std::string text = color_column(plain.str(), columns.namespaces ? 3 : 2, status_color);
    if (!headers) text.erase(0, text.find('\n') + 1);
    out << text;
}

std::string status_text(const kube::JobReport& report, TimePoint now) {
    const kube::JobSummary& job = report.summary;
    std::ostringstream out;
    Table fields({"", ""});
    fields.add_row({"Name:", job.name});
    fields.add_row({"Namespace:", job.namespace_name});
    fields.add_row({"Definition:", or_none(report.definition)});
    if (!report.schedule.empty()) fields.add_row({"Schedule:", report.schedule});
    fields.add_row({"Status:", job.status});
    if (!job.queue.empty()) {
        std::string queue = job.queue;
        if (report.workload) {
            queue += fmt::format(" (Kueue workload {}", report.workload->name);
            if (!report.workload->cluster_queue.empty())
                queue += fmt::format(", ClusterQueue {}", report.workload->cluster_queue);
            queue += ")";
        }
        fields.add_row({"Queue:", queue});
        if (const auto& position = report.queue_position) {
            const std::string cluster_queue = position->cluster_queue.empty()
                                                  ? std::string("its ClusterQueue")
                                                  : "ClusterQueue " + position->cluster_queue;
            fields.add_row(
                {"Position:", fmt::format("{} in LocalQueue {} ({} in {})", position->in_local_queue,
                                          job.queue, position->in_cluster_queue, cluster_queue)});
        }
    }
    if (!job.reason.empty()) fields.add_row({"Reason:", job.reason});
    if (!job.message.empty()) fields.add_row({"Message:", job.message});
    fields.add_row(
        {"Completions:", fmt::format("{} ({} active, {} succeeded, {} failed)", kube::completions_text(job),
                                     job.active, job.succeeded_pods, job.failed_pods)});
    fields.add_row({"Created:", job.created ? when_text(*job.created, now) : k_unknown});
    if (job.started) fields.add_row({"Started:", when_text(*job.started, now)});
    if (job.completed) fields.add_row({"Finished:", when_text(*job.completed, now)});
    if (const auto duration = kube::job_duration(job, now))
        fields.add_row({"Duration:", human_duration(*duration)});
    if (const auto payload = jobs::payload_ref({{"metadata", {{"annotations", report.annotations}}}})) {
        fields.add_row(
            {"Payload:", fmt::format("{} bytes ({}/{})", payload->bytes, payload->kind, payload->name)});
    }
    // The fields' table has no header; Table pads the labels into one column.
    std::ostringstream field_text;
    fields.print(field_text, false);
    out << field_text.str();

    Table conditions({"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"});
    for (const kube::JobCondition& condition : report.conditions) {
        conditions.add_row({condition.type, condition.status, or_none(condition.reason),
                            age_text(condition.last_transition, now), condition.message});
    }
    section(out, "Conditions", conditions, report.conditions.empty());

    if (!job.queue.empty()) {
        // Where the Job stands in Kueue: QuotaReserved, Admitted, Evicted, Preempted, with Kueue's words.
        Table workload({"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"});
        if (report.workload) {
            for (const kube::JobCondition& condition : report.workload->conditions) {
                workload.add_row({condition.type, condition.status, or_none(condition.reason),
                                  age_text(condition.last_transition, now), condition.message});
            }
        }
        section(out, "Workload Conditions", workload,
                !report.workload || report.workload->conditions.empty());
    }

    Table pods({"NAME", "PHASE", "NODE", "RESTARTS", "AGE", "CONTAINERS"});
    for (const kube::PodSummary& pod : report.pods) {
        std::vector<std::string> containers;
        for (const kube::ContainerSummary& container : pod.containers)
            containers.push_back(container_text(container));
        pods.add_row({pod.name, phase_text(pod), or_none(pod.node), std::to_string(pod.restarts),
                      age_text(pod.created, now), join(containers, "; ")});
    }
    section(out, "Pods", pods, report.pods.empty());

    Table events({"TYPE", "REASON", "AGE", "OBJECT", "MESSAGE"});
    for (const kube::EventSummary& event : report.events) {
        std::string age = age_text(event.last, now);
        // kubectl describe's "(x3 over 2m)" for an event seen several times.
        if (event.count > 1) age += fmt::format(" (x{} over {})", event.count, age_text(event.first, now));
        events.add_row({event.type, event.reason, age, event.object, event.message});
    }
    section(out, "Events", events, report.events.empty());
    return out.str();
}

json status_json(const kube::JobReport& report, TimePoint now) {
    const kube::JobSummary& job = report.summary;
    const auto duration = kube::job_duration(job, now);
    json document;
    document["job"] = {
        {"name", job.name},
        {"namespace", job.namespace_name},
        {"definition", optional_text(report.definition)},
        {"schedule", optional_text(report.schedule)},
        {"status", job.status},
        {"reason", optional_text(job.reason)},
        {"message", optional_text(job.message)},
        {"completions", kube::completions_text(job)},
        {"active", job.active},
        {"succeeded", job.succeeded_pods},
        {"failed", job.failed_pods},
        {"creationTimestamp", optional_time(job.created)},
        {"startTime", optional_time(job.started)},
        {"completionTime", optional_time(job.completed)},
        {"duration", duration ? json(human_duration(*duration)) : json(nullptr)},
        {"durationSeconds", duration ? json(duration->count()) : json(nullptr)},
    };
    document["conditions"] = json::array();
    for (const kube::JobCondition& condition : report.conditions) {
        document["conditions"].push_back({{"type", condition.type},
                                          {"status", condition.status},
                                          {"reason", optional_text(condition.reason)},
                                          {"message", optional_text(condition.message)},
                                          {"lastTransitionTime", optional_time(condition.last_transition)}});
    }
    document["queue"] = nullptr;
    if (!job.queue.empty()) {
        json workload = nullptr;
        if (report.workload) {
            json conditions = json::array();
            for (const kube::JobCondition& condition : report.workload->conditions) {
                conditions.push_back({{"type", condition.type},
                                      {"status", condition.status},
                                      {"reason", optional_text(condition.reason)},
                                      {"message", optional_text(condition.message)},
                                      {"lastTransitionTime", optional_time(condition.last_transition)}});
            }
            workload = {{"name", report.workload->name},
                        {"clusterQueue", optional_text(report.workload->cluster_queue)},
                        {"quotaReserved", report.workload->quota_reserved},
                        {"admitted", report.workload->admitted},
                        {"conditions", std::move(conditions)}};
        }
        json position = nullptr;
        if (report.queue_position) {
            position = {{"localQueue", report.queue_position->in_local_queue},
                        {"clusterQueue", report.queue_position->in_cluster_queue},
                        {"clusterQueueName", optional_text(report.queue_position->cluster_queue)}};
        }
        document["queue"] = {
            {"name", job.queue}, {"workload", std::move(workload)}, {"position", std::move(position)}};
    }
    document["payload"] = nullptr;
    if (const auto payload = jobs::payload_ref({{"metadata", {{"annotations", report.annotations}}}})) {
        document["payload"] = {{"kind", payload->kind},
                               {"name", payload->name},
                               {"bytes", payload->bytes},
                               {"sha256", optional_text(payload->sha256)}};
    }
    document["pods"] = json::array();
    for (const kube::PodSummary& pod : report.pods) {
        json containers = json::array();
        for (const kube::ContainerSummary& container : pod.containers) {
            containers.push_back({{"name", container.name},
                                  {"init", container.init},
                                  {"state", container.state},
                                  {"reason", optional_text(container.reason)},
                                  {"message", optional_text(container.message)},
                                  {"exitCode", optional_int(container.exit_code)},
                                  {"restarts", container.restarts},
                                  {"lastReason", optional_text(container.last_reason)},
                                  {"lastExitCode", optional_int(container.last_exit_code)}});
        }
        document["pods"].push_back({{"name", pod.name},
                                    {"phase", optional_text(pod.phase)},
                                    {"reason", optional_text(pod.reason)},
                                    {"message", optional_text(pod.message)},
                                    {"node", optional_text(pod.node)},
                                    {"restarts", pod.restarts},
                                    {"terminating", pod.deleting},
                                    {"creationTimestamp", optional_time(pod.created)},
                                    {"containers", std::move(containers)}});
    }
    document["events"] = json::array();
    for (const kube::EventSummary& event : report.events) {
        document["events"].push_back({{"type", optional_text(event.type)},
                                      {"reason", optional_text(event.reason)},
                                      {"object", event.object},
                                      {"message", event.message},
                                      {"count", event.count},
                                      {"firstTimestamp", optional_time(event.first)},
                                      {"lastTimestamp", optional_time(event.last)},
                                      {"age", event.last ? json(age_text(event.last, now)) : json(nullptr)}});
    }
    return document;
}

} // namespace kq::cmd
