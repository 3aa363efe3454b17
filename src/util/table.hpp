#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace kq {

// The number of terminal columns text takes: its count of UTF-8 code points.
std::size_t display_width(std::string_view text);

// A plain-text table as kubectl prints one: columns left-aligned and separated by three spaces,
// the last column not padded, one row a line.
class Table {
public:
    // A table with these column headers.
    explicit Table(std::vector<std::string> headers);

    // Adds a row; newlines and tabs in cells become spaces so each row stays on its line.
    void add_row(std::vector<std::string> cells);

    // Prints the table, with the header row when header is true; when width is not 0, columns other
    // than NAME (or the first, without one) are cut (ending in "…"), widest first and never below
    // their header's width (at least 4), until each line fits in width columns or none can give more.
    void print(std::ostream& out, bool header = true, std::size_t width = 0) const;

private:
    std::vector<std::string> m_headers;
    std::vector<std::vector<std::string>> m_rows;
};

} // namespace kq
