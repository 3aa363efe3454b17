#include "cmd/support/project_loading.hpp"

#include "project/loader.hpp"

#include <cstdlib>
#include <filesystem>

namespace kq::cmd {

std::optional<std::string> process_env(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
}

project::ProjectFileLocation locate_project_file(const Context& context) {
    return project::find_project_file(context.global.file, process_env("KQ_FILE"),
                                      std::filesystem::current_path());
}

std::string read_project_text(const project::ProjectFileLocation& location) {
    return project::read_project_file(location.path, location.display_name);
}

project::Project load_project(const Context& context) {
    const project::ProjectFileLocation location = locate_project_file(context);
    const std::string text = read_project_text(location);
    return project::load_project(text, location.display_name, location.path.parent_path());
}

} // namespace kq::cmd
