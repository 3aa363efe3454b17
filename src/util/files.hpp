#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace kq {

// Reads a whole regular file, refusing one larger than max_bytes; throws a usage Error naming display_name.
std::string read_file(const std::filesystem::path& path, const std::string& display_name,
                      std::size_t max_bytes);

// The first of names found in start or in one of its parent folders, nearest first, as git finds .git.
std::optional<std::filesystem::path> find_upwards(const std::filesystem::path& start,
                                                  std::span<const std::string> names);

// The path as the user would type it from base: relative when that is shorter, else absolute.
std::string display_path(const std::filesystem::path& path, const std::filesystem::path& base);

} // namespace kq
