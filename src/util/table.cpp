#include "util/table.hpp"

#include <algorithm>
#include <ostream>

namespace kq {

std::size_t display_width(std::string_view text) {
    // Continuation bytes (10xxxxxx) do not start a code point.
    return static_cast<std::size_t>(std::count_if(
        text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

namespace {

std::string one_line(std::string cell) {
    std::replace_if(
        cell.begin(), cell.end(), [](char c) { return c == '\n' || c == '\t' || c == '\r'; }, ' ');
    return cell;
}

// The first columns code points of text followed by "…".
std::string cut(const std::string& text, std::size_t columns) {
    if (columns == 0) return "";
    std::size_t kept = 0;
    std::size_t end = 0;
    while (end < text.size() && kept < columns - 1) {
        ++end;
        while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
            ++end;
        ++kept;
    }
    return text.substr(0, end) + "\xE2\x80\xA6";
}

} // namespace

Table::Table(std::vector<std::string> headers) : m_headers(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells) {
    for (std::string& cell : cells)
        cell = one_line(std::move(cell));
    cells.resize(std::max(cells.size(), m_headers.size()));
    m_rows.push_back(std::move(cells));
}

void Table::print(std::ostream& out, bool header, std::size_t width) const {
    std::vector<std::vector<std::string>> rows;
    if (header) rows.push_back(m_headers);
    rows.insert(rows.end(), m_rows.begin(), m_rows.end());
    std::size_t columns = m_headers.size();
    for (const auto& row : rows)
        columns = std::max(columns, row.size());
    std::vector<std::size_t> widths(columns, 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i)
            widths[i] = std::max(widths[i], display_width(row[i]));
    }
    if (width > 0 && columns > 1) {
        // The NAME column (else the first) is what the user acts on, so it is never cut; the others are
        // cut widest first, two equally wide ones alike, but never below their header (at least 4
        // columns), so the table stays readable. If that is not enough, lines stay longer than width.
        const auto named = std::find(m_headers.begin(), m_headers.end(), "NAME");
        const std::size_t whole =
            named == m_headers.end() ? 0 : static_cast<std::size_t>(named - m_headers.begin());
        std::vector<std::size_t> floors(columns, 0);
        for (std::size_t i = 0; i < columns; ++i) {
            const std::size_t header_width = i < m_headers.size() ? display_width(m_headers[i]) : 0;
            floors[i] = i == whole ? widths[i] : std::min(widths[i], std::max<std::size_t>(header_width, 4));
        }
        std::size_t total = 3 * (columns - 1);
        for (const std::size_t w : widths)
            total += w;
        while (total > width) {
            std::size_t widest = columns;
            for (std::size_t i = 0; i < columns; ++i) {
                if (widths[i] > floors[i] && (widest == columns || widths[i] > widths[widest])) widest = i;
            }
            if (widest == columns) break;
            // Down to the next widest column at most, so that wide columns end up sharing the cut.
            std::size_t next = floors[widest];
            for (std::size_t i = 0; i < columns; ++i) {
                if (i != widest) next = std::max(next, std::min(widths[i], widths[widest] - 1));
            }
            const std::size_t excess = std::min(total - width, widths[widest] - next);
            widths[widest] -= excess;
            total -= excess;
        }
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            std::string cell = row[i];
            if (display_width(cell) > widths[i]) cell = cut(cell, widths[i]);
            line += cell;
            if (i + 1 < row.size()) line += std::string(widths[i] - display_width(cell) + 3, ' ');
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out << line << '\n';
    }
}

} // namespace kq
