#pragma once

#include "cmd/support/context.hpp"

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
void setup_submit(CLI::App& command, Context& context);
void setup_run(CLI::App& command, Context& context);
void setup_wait(CLI::App& command, Context& context);
void setup_logs(CLI::App& command, Context& context);
void setup_list(CLI::App& command, Context& context);
void setup_status(CLI::App& command, Context& context);
void setup_delete(CLI::App& command, Context& context);
void setup_context(CLI::App& command, Context& context);
void setup_completion(CLI::App& command, Context& context);

// The project file `kq init` writes.
const char* starter_project();

// The completion script `kq completion SHELL` prints for bash, zsh or fish; nullptr for another shell.
const char* completion_script(const std::string& shell);

} // namespace kq::cmd
