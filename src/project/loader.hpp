#pragma once

#include "project/diagnostics.hpp"
#include "project/project.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace kq::project {

// The largest project file kq reads, in bytes.
inline constexpr std::size_t k_max_project_bytes = 4 * 1024 * 1024;

// Parses and checks a project file held in memory; file is its name in messages and directory the
// folder its relative paths resolve against. Every problem goes to diagnostics; the result holds
// what could be read, and is fit to render only when diagnostics stayed empty.
Project parse_project(std::string_view text, const std::string& file, Diagnostics& diagnostics,
                      const std::filesystem::path& directory = {});

// As parse_project, but throws the first problem as a usage Error.
Project load_project(std::string_view text, const std::string& file,
                     const std::filesystem::path& directory = {});

// Reads a project file from disk, refusing files over k_max_project_bytes; throws a usage Error
// naming display_name when it cannot be read.
std::string read_project_file(const std::filesystem::path& path, const std::string& display_name);

} // namespace kq::project
