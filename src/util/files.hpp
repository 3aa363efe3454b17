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

// What read_text found: the whole content, or why there is none (errno's text, or too_large).
struct FileText {
    std::optional<std::string> text;
    std::string error;      // when text is empty and the file could not be read
    bool too_large = false; // when it holds more than the limit
};

// Reads a file to its end, a pipe or a device too (KUBECONFIG=<(...), a certificate in /dev/fd/N),
// stopping once it holds more than max_bytes; never throws for the file's sake.
FileText read_text(const std::string& path, std::size_t max_bytes);

// The first of names found in start or in one of its parent folders, nearest first, as git finds .git.
std::optional<std::filesystem::path> find_upwards(const std::filesystem::path& start,
                                                  std::span<const std::string> names);

// The path as the user would type it from base: relative when that is shorter, else absolute.
std::string display_path(const std::filesystem::path& path, const std::filesystem::path& base);

} // namespace kq
