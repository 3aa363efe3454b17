#include "cmd/commands.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/job_views.hpp"
#include "cmd/support/targets.hpp"
#include "kube/job_queries.hpp"
#include "project/render.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq status`.
struct StatusOptions {
    std::string name;   // NAME
    std::string job;    // --job DEF: the definition's newest Job
    std::string output; // -o json|yaml; empty for text
};

constexpr const char* k_status_footer =
    R"(Shows the Job's state and conditions, each pod with its phase, node, restarts and
its containers' states, reasons (OOMKilled, ErrImagePull, Error, ...) and exit codes, and the last 10
events of the Job and its pods. The exit status is 0 whatever state the Job is in.

-o json prints one object; every key is always there, null when it does not apply:
  {"job": {"name", "namespace", "definition", "schedule", "status", "reason", "message", "completions",
           "active", "succeeded", "failed", "creationTimestamp", "startTime", "completionTime",
           "duration", "durationSeconds"},
   "conditions": [{"type", "status", "reason", "message", "lastTransitionTime"}],
   "queue": null, or for a Job in a Kueue LocalQueue {"name", "workload": null (not made yet) or
            {"name", "clusterQueue", "quotaReserved", "admitted", "conditions": [...as above]},
            "position": null, or while it waits for quota and Kueue's visibility API tells
            {"localQueue", "clusterQueue", "clusterQueueName"}},
   "payload": null, or for a Job with a payload (kq payload NAME prints it) {"kind": "configmap" or
              "secret", "name", "bytes", "sha256"},
   "pods": [{"name", "phase", "reason", "message", "node", "restarts", "terminating",
             "creationTimestamp", "containers": [{"name", "init", "state", "reason", "message",
             "exitCode", "restarts", "lastReason", "lastExitCode"}]}],
   "events": [{"type", "reason", "object", "message", "count", "firstTimestamp",
               "lastTimestamp", "age"}]}
"status" is Pending, Running, Queued (waiting for Kueue to admit it), Suspended, Complete or Failed; a
container's "state" is waiting, running or terminated; times are RFC 3339 in UTC; "object" is
"job/NAME", "pod/NAME" or "workload/NAME". A queued Job's position counts from 1 (admitted next when
quota frees up); kq shows it only where Kueue serves its visibility API (an aggregated APIService).

Examples:
  # Why did this Job fail?
  kq status backup-7x2kq

  # The newest Job of the "backup" definition
  kq status --job backup

  # The exit code of its first pod's first container, for a script
  kq status --job backup -o json | jq '.pods[0].containers[0].exitCode')";

void run_status(const StatusOptions& options, Context& context) {
    if (options.name.empty() && options.job.empty())
        fail(ErrorKind::usage, "status: name a Job, or use --job DEFINITION");
    if (!options.name.empty() && !options.job.empty())
        fail(ErrorKind::usage, "status: use a Job name or --job, not both");
    check_definition_name(options.job);
    auto client = connect(context);
    const std::string namespace_name = command_namespace(context, *client, options.job);
    const std::string name =
        options.job.empty() ? options.name : newest_job(*client, namespace_name, options.job);
    const kube::JobReport report = kube::fetch_job_report(*client, namespace_name, name);
    const TimePoint now = now_seconds();
    if (options.output == "json") {
        context.out << project::to_json_text(status_json(report, now));
    } else if (options.output == "yaml") {
        context.out << project::to_yaml(status_json(report, now));
    } else {
        context.out << status_text(report, now);
    }
}

} // namespace

void setup_status(CLI::App& command, Context& context) {
    auto options = std::make_shared<StatusOptions>();
    command.footer(k_status_footer);
    command.add_option("name", options->name, "The Job to describe");
    command.add_option("--job", options->job, "Describe the newest Job of this job definition")
        ->type_name("DEFINITION");
    command.add_option("-o,--output", options->output, "Output format: json or yaml (default: text)")
        ->check(CLI::IsMember({"json", "yaml"}));
    command.callback([options, &context] { run_status(*options, context); });
}

} // namespace kq::cmd
