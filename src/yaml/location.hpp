#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace kq::yaml {

// Where something was written: a file as shown to the user and, when known, a 1-based line and column.
struct Location {
    std::string file;
    int line = 0;
    int column = 0;

    // "file:line:column", or just "file" when the line is not known (0).
    std::string str() const;
};

// The location of the byte at offset in text, counting lines from 1 and columns from 1 in bytes.
Location location_at(const std::string& file, std::string_view text, std::size_t offset);

} // namespace kq::yaml
