#include "cmd/commands.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/output.hpp"
#include "jobs/queue.hpp"
#include "project/render.hpp"
#include "util/table.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag of `kq queues`.
struct QueuesOptions {
    std::string output;          // -o json; empty for the table
    bool all_namespaces = false; // -A
};

constexpr const char* k_queues_footer =
    R"(Lists the Kueue LocalQueues of the namespace, from their status: CLUSTERQUEUE (where their
quota comes from), PENDING (workloads waiting for quota), RESERVING (holding quota), ADMITTED,
ACTIVE (whether Kueue accepts work in the queue; when not, why) and AGE. -A lists every namespace's.
-o json prints {"items": [{"name", "namespace", "clusterQueue", "pending", "reserving", "admitted",
"active", "reason", "message", "creationTimestamp"}]}.

Submit to a queue with `kq submit JOB --queue NAME` or the definition's `queue` key.

Examples:
  # The queues of the current namespace
  kq queues

  # Every namespace's, as JSON
  kq queues -A -o json)";

void run_queues(const QueuesOptions& options, Context& context) {
    auto client = connect(context);
    const std::string namespace_name = options.all_namespaces ? "" : command_namespace(context, *client, "");
    const std::vector<kube::LocalQueueSummary> queues = jobs::list_local_queues(*client, namespace_name);
    const TimePoint now = now_seconds();
    if (options.output == "json") {
        nlohmann::json items = nlohmann::json::array();
        for (const kube::LocalQueueSummary& queue : queues) {
            items.push_back(
                {{"name", queue.name},
                 {"namespace", queue.namespace_name},
                 {"clusterQueue", queue.cluster_queue},
                 {"pending", queue.pending},
                 {"reserving", queue.reserving},
                 {"admitted", queue.admitted},
                 {"active", queue.active},
                 {"reason", queue.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(queue.reason)},
                 {"message", queue.message.empty() ? nlohmann::json(nullptr) : nlohmann::json(queue.message)},
                 {"creationTimestamp",
                  queue.created ? nlohmann::json(format_rfc3339(*queue.created)) : nlohmann::json(nullptr)}});
        }
        context.out << project::to_json_text({{"items", std::move(items)}});
        return;
    }
    if (queues.empty()) {
        context.err << (namespace_name.empty()
                            ? std::string("No LocalQueues found.")
                            : fmt::format("No LocalQueues found in {} namespace.", namespace_name))
                    << '\n';
        return;
    }
    std::vector<std::string> headers;
    if (options.all_namespaces) headers.emplace_back("NAMESPACE");
    headers.insert(headers.end(),
                   {"NAME", "CLUSTERQUEUE", "PENDING", "RESERVING", "ADMITTED", "ACTIVE", "AGE"});
    Table table(headers);
    for (const kube::LocalQueueSummary& queue : queues) {
        std::vector<std::string> row;
        if (options.all_namespaces) row.push_back(queue.namespace_name);
        std::string active = queue.active ? "True" : "False";
        if (!queue.active && !queue.reason.empty()) active += " (" + queue.reason + ")";
        row.insert(row.end(),
                   {queue.name, queue.cluster_queue, std::to_string(queue.pending),
                    std::to_string(queue.reserving), std::to_string(queue.admitted), active,
                    queue.created ? human_duration(std::chrono::duration_cast<std::chrono::seconds>(
                                        now - *queue.created))
                                  : "<unknown>"});
        table.add_row(row);
    }
    table.print(context.out, true, out_width(context));
}

} // namespace

void setup_queues(CLI::App& command, Context& context) {
    auto options = std::make_shared<QueuesOptions>();
    command.footer(k_queues_footer);
    command.add_option("-o,--output", options->output, "Output format: json (default: a table)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"json"}));
    command.add_flag("-A,--all-namespaces", options->all_namespaces,
                     "List the LocalQueues of every namespace");
    command.callback([options, &context] { run_queues(*options, context); });
}

} // namespace kq::cmd
