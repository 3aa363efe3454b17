#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace kq::project {

// The project file a command uses: its path, and its name as messages show it.
struct ProjectFileLocation {
    std::filesystem::path path;
    std::string display_name;
};

// Finds the project file: flag (-f) when not empty, else env_value ($KQ_FILE) when set and not empty,
// else the nearest kq.yaml (or kq.yml) in cwd or a parent folder, as git finds .git. Relative paths
// resolve against cwd. Throws a usage Error when no file is found; does not read the file.
ProjectFileLocation find_project_file(const std::string& flag, const std::optional<std::string>& env_value,
                                      const std::filesystem::path& cwd);

} // namespace kq::project
