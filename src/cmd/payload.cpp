#include "jobs/payload.hpp"
#include "cmd/commands.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/job_filters.hpp"
#include "cmd/support/targets.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag and argument of `kq payload`.
struct PayloadOptions {
    std::string name; // NAME
    std::string job;  // --job DEF: the definition's newest Job
};

constexpr const char* k_payload_footer =
    R"(Prints the payload a Job was given (kq submit --payload or --payload-file) to stdout, byte for
byte, from the ConfigMap or Secret the Job owns. A Job without a payload, or whose payload object is
gone, is an error (exit 123).

Examples:
  # The payload of a Job
  kq payload process-order-x7k2p > order.json

  # The payload of the newest Job of a definition
  kq payload --job process-order | jq .)";

void run_payload(const PayloadOptions& options, Context& context) {
    if (options.name.empty() && options.job.empty())
        fail(ErrorKind::usage, "payload: name a Job, or use --job DEFINITION");
    if (!options.name.empty() && !options.job.empty())
        fail(ErrorKind::usage, "payload: use a Job name or --job, not both");
    check_definition_name(options.job);
    auto client = connect(context);
    const std::string namespace_name = command_namespace(context, *client, options.job);
    const std::string name =
        options.job.empty() ? options.name : newest_job(*client, namespace_name, options.job);
    const std::string bytes = jobs::read_payload(*client, namespace_name, name);
    context.out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    context.out.flush();
}

} // namespace

void setup_payload(CLI::App& command, Context& context) {
    auto options = std::make_shared<PayloadOptions>();
    command.footer(k_payload_footer);
    command.add_option("name", options->name, "The Job whose payload to print");
    command.add_option("--job", options->job, "Print the payload of the newest Job of this job definition")
        ->type_name("DEFINITION");
    command.callback([options, &context] { run_payload(*options, context); });
}

} // namespace kq::cmd
