#pragma once

#include "cmd/support/context.hpp"
#include "project/discovery.hpp"
#include "project/project.hpp"

#include <optional>
#include <string>

namespace kq::cmd {

// The project file this run uses: -f/--file, else $KQ_FILE, else the nearest kq.yaml from the
// current folder up. Throws a usage Error when there is none.
project::ProjectFileLocation locate_project_file(const Context& context);

// The project file's text, read (at most 4 MiB) from where locate_project_file points.
std::string read_project_text(const project::ProjectFileLocation& location);

// Finds, reads and loads the project file; throws its first problem as a usage Error.
project::Project load_project(const Context& context);

// Reads a variable of kq's own environment, for {{ env.NAME }}.
std::optional<std::string> process_env(const std::string& name);

} // namespace kq::cmd
