#include "cmd/commands.hpp"
#include "cmd/support/project_loading.hpp"
#include "project/listing.hpp"
#include "project/loader.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace kq::cmd {
namespace {

// Every flag of `kq validate`.
struct ValidateOptions {
    std::string output; // -o json; empty for lines on stderr
};

constexpr const char* k_validate_footer = R"(Examples:
  # Check the project file; each problem is printed as FILE:LINE:COL: message
  kq validate

  # Check another file and print the problems as a JSON array on stdout
  kq -f ci/kq.yaml validate -o json

Exits 0 when the file has no problems and 125 when it has any.)";

void run_validate(const ValidateOptions& options, Context& context) {
    const project::ProjectFileLocation location = locate_project_file(context);
    const std::string text = read_project_text(location);
    project::Diagnostics diagnostics;
    const project::Project loaded =
        project::parse_project(text, location.display_name, diagnostics, location.path.parent_path());
    const std::vector<project::Diagnostic> problems = diagnostics.sorted();
    if (options.output == "json") {
        context.out << project::diagnostics_json(problems).dump(4) << '\n';
    } else {
        for (const project::Diagnostic& problem : problems)
            context.err << project::to_string(problem) << '\n';
    }
    if (!problems.empty()) {
        fail(ErrorKind::usage, "{}: {}", location.display_name, plural(problems.size(), "error", "errors"));
    }
    if (options.output != "json") {
        context.out << fmt::format("{}: {}, no errors\n", location.display_name,
                                   plural(loaded.jobs.size(), "job", "jobs"));
    }
}

} // namespace

void setup_validate(CLI::App& command, Context& context) {
    auto options = std::make_shared<ValidateOptions>();
    command.footer(k_validate_footer);
    command.add_option("-o,--output", options->output, "Output format: json (default: lines on stderr)")
        ->type_name("FORMAT")
        ->check(CLI::IsMember({"json"}));
    command.callback([options, &context] { run_validate(*options, context); });
}

} // namespace kq::cmd
