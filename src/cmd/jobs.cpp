#include "cmd/commands.hpp"
#include "cmd/support/project_loading.hpp"
#include "project/listing.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace kq::cmd {
namespace {

// Every flag of `kq jobs`.
struct JobsOptions {
    std::string output; // -o json; empty for the table
};

constexpr const char* k_jobs_footer = R"(Examples:
  # List the job definitions of the project file
  kq jobs

  # The same as JSON, with every param's default, pattern and enum
  kq jobs -o json)";

void run_jobs(const JobsOptions& options, Context& context) {
    const project::Project loaded = load_project(context);
    const std::string text =
        options.output == "json" ? project::jobs_json(loaded).dump(4) + "\n" : project::jobs_table(loaded);
    context.out << text;
}

} // namespace

void setup_jobs(CLI::App& command, Context& context) {
    auto options = std::make_shared<JobsOptions>();
    command.footer(k_jobs_footer);
    command.add_option("-o,--output", options->output, "Output format: json (default: a table)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"json"}));
    command.callback([options, &context] { run_jobs(*options, context); });
}

} // namespace kq::cmd
