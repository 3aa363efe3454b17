#include "cmd/commands.hpp"
#include "project/json_schema.hpp"

#include <CLI/CLI.hpp>

#include <memory>

namespace kq::cmd {
namespace {

// `kq schema` takes no flags.
struct SchemaOptions {};

constexpr const char* k_schema_footer = R"(Examples:
  # Save the schema where an editor can read it
  kq schema > kq.schema.json

Editors that use the YAML language server complete and check kq.yaml once its first line names the
schema, for example the installed copy:
  # yaml-language-server: $schema=/usr/share/kq/kq.schema.json
The schema describes kq.yaml(5); `kq validate` checks what a schema cannot, such as requests above
their limits. Nothing contacts a cluster.)";

void run_schema(const SchemaOptions& /*options*/, Context& context) {
    context.out << project::project_json_schema().dump(2) << '\n';
}

} // namespace

void setup_schema(CLI::App& command, Context& context) {
    auto options = std::make_shared<SchemaOptions>();
    command.footer(k_schema_footer);
    command.callback([options, &context] { run_schema(*options, context); });
}

} // namespace kq::cmd
