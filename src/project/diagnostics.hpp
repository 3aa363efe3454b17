#pragma once

#include "yaml/location.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace kq::project {

// A place in a project file: its name as shown to the user, and a 1-based line and column.
using Location = yaml::Location;

// "FILE:LINE:COL", or "FILE" alone when the line is unknown (0).
std::string to_string(const Location& location);

// One problem found in a project file.
struct Diagnostic {
    Location location;
    std::string message;
};

// "FILE:LINE:COL: message", the one-line form of a diagnostic.
std::string to_string(const Diagnostic& diagnostic);

// Collects every problem found while loading a project file, so validate can report them all at once
// while render throws the first.
class Diagnostics {
public:
    // The most problems kept; past it one last diagnostic says that more were dropped.
    static constexpr std::size_t k_max_diagnostics = 500;

    // Records a problem at location.
    void add(const Location& location, std::string message);

    // True when no problem was recorded.
    bool empty() const { return m_items.empty(); }

    // How many problems were recorded.
    std::size_t size() const { return m_items.size(); }

    // The problems ordered by file position, then in the order they were found.
    std::vector<Diagnostic> sorted() const;

    // Throws the first problem (by position) as a usage Error when there is any.
    void throw_if_any() const;

private:
    std::vector<Diagnostic> m_items;
    bool m_truncated = false;
};

} // namespace kq::project
