#pragma once

#include "cmd/support/context.hpp"

#include <string>

namespace CLI {
class App;
}

namespace kq::cmd {

// One entry of the command table: the command's name, a one-line summary, and the function that
// adds its flags to a CLI11 subcommand and sets the callback that runs it.
struct CommandSpec {
    const char* name;
    const char* summary;
    void (*setup)(CLI::App& command, Context& context);
};

// Each command lives in src/cmd/<name>.cpp and exports one setup function; `run`, which is `submit`
// with its logs followed and its result as the exit status, is set up in submit.cpp beside it.
void setup_render(CLI::App& command, Context& context);
void setup_jobs(CLI::App& command, Context& context);
void setup_validate(CLI::App& command, Context& context);
void setup_init(CLI::App& command, Context& context);
void setup_schema(CLI::App& command, Context& context);
void setup_submit(CLI::App& command, Context& context);
void setup_run(CLI::App& command, Context& context);
void setup_wait(CLI::App& command, Context& context);
void setup_logs(CLI::App& command, Context& context);
void setup_list(CLI::App& command, Context& context);
void setup_status(CLI::App& command, Context& context);
void setup_delete(CLI::App& command, Context& context);
// `resume`, which is `suspend` the other way round, is set up in suspend.cpp beside it.
void setup_suspend(CLI::App& command, Context& context);
void setup_resume(CLI::App& command, Context& context);
void setup_queues(CLI::App& command, Context& context);
void setup_context(CLI::App& command, Context& context);
void setup_completion(CLI::App& command, Context& context);
void setup_apply(CLI::App& command, Context& context);
void setup_diff(CLI::App& command, Context& context);
void setup_schedules(CLI::App& command, Context& context);
void setup_trigger(CLI::App& command, Context& context);
void setup_payload(CLI::App& command, Context& context);
void setup_rerun(CLI::App& command, Context& context);

// The project file `kq init` writes; its first line names schema_path for editors, unless it is empty.
std::string starter_project(const std::string& schema_path);

// The JSON Schema of kq.yaml installed beside this kq (PREFIX/share/kq/kq.schema.json for
// PREFIX/bin/kq), or empty when there is none.
std::string installed_schema_path();

// The completion script `kq completion SHELL` prints for bash, zsh or fish; nullptr for another shell.
const char* completion_script(const std::string& shell);

} // namespace kq::cmd
