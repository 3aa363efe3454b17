#include "project/diagnostics.hpp"

#include "util/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace kq::project {

std::string to_string(const Location& location) { return location.str(); }

std::string to_string(const Diagnostic& diagnostic) {
    return fmt::format("{}: {}", to_string(diagnostic.location), diagnostic.message);
}

void Diagnostics::add(const Location& location, std::string message) {
    if (m_items.size() >= k_max_diagnostics) {
        if (!m_truncated) {
            m_truncated = true;
            m_items.push_back(
                {Location{location.file, 0, 0},
                 fmt::format("more than {} errors; fix these and run again", k_max_diagnostics)});
        }
        return;
    }
    m_items.push_back({location, std::move(message)});
}

std::vector<Diagnostic> Diagnostics::sorted() const {
    std::vector<Diagnostic> result = m_items;
    // A diagnostic without a line (the "more errors" note, a missing key) sorts last.
    std::stable_sort(result.begin(), result.end(), [](const Diagnostic& a, const Diagnostic& b) {
        const auto key = [](const Diagnostic& d) {
            return std::pair(d.location.line <= 0 ? std::numeric_limits<int>::max() : d.location.line,
                             d.location.column);
        };
        return key(a) < key(b);
    });
    return result;
}

void Diagnostics::throw_if_any() const {
    if (m_items.empty()) return;
    throw Error(ErrorKind::usage, to_string(sorted().front()));
}

} // namespace kq::project
