#include "cmd/support/output.hpp"

#include "project/render.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/table.hpp"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <ostream>
#include <sstream>

namespace kq::cmd {
namespace {

// Each line of text with prefix before it; the first line gets first_prefix instead.
std::string indent_lines(const std::string& text, std::string_view first_prefix, std::string_view prefix) {
    std::string result;
    std::size_t start = 0;
    bool first = true;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        result += first ? first_prefix : prefix;
        result.append(text, start, end - start);
        result += '\n';
        first = false;
        start = end + 1;
    }
    return result;
}

} // namespace

OutputFormat parse_output_format(const std::string& text) {
    if (text.empty()) return OutputFormat::table;
    if (text == "wide") return OutputFormat::wide;
    if (text == "json") return OutputFormat::json;
    if (text == "yaml") return OutputFormat::yaml;
    if (text == "name") return OutputFormat::name;
    fail(ErrorKind::usage, "-o/--output: \"{}\" is not a format; use wide, json, yaml or name", text);
}

bool is_dumb_terminal() {
    const char* term = std::getenv("TERM");
    return term != nullptr && std::string_view(term) == "dumb";
}

bool color_allowed(const GlobalOptions& global) {
    const char* no_color = std::getenv("NO_COLOR");
    return !global.no_color && (no_color == nullptr || *no_color == '\0');
}

bool out_color(const Context& context) {
    return context.out_is_terminal && !is_dumb_terminal() && color_allowed(context.global);
}

std::size_t out_width(const Context& context) {
    if (!context.out_is_terminal) return 0;
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    // A terminal that does not say its size (some emulators, serial consoles): COLUMNS, else no limit.
    if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
        const long value = std::strtol(columns, nullptr, 10);
        if (value > 0) return static_cast<std::size_t>(value);
    }
    return 0;
}

std::string color_column(const std::string& table, std::size_t column,
                         const std::function<std::string_view(std::string_view)>& color_of) {
    std::istringstream lines(table);
    std::string line;
    std::string result;
    std::size_t start = std::string::npos; // in display columns: a cut cell ends in a three-byte "…"
    bool header = true;
    while (std::getline(lines, line)) {
        if (header) {
            // Each header is one word, so the column-th word's position is where the column starts.
            std::size_t seen = 0;
            for (std::size_t i = 0; i < line.size(); ++i) {
                if (line[i] == ' ' || (i > 0 && line[i - 1] != ' ')) continue;
                if (seen++ == column) {
                    start = display_width(std::string_view(line).substr(0, i));
                    break;
                }
            }
            header = false;
            result += line + '\n';
            continue;
        }
        std::size_t offset = 0;
        for (std::size_t width = 0; offset < line.size() && width < start; ++width) {
            ++offset;
            while (offset < line.size() && (static_cast<unsigned char>(line[offset]) & 0xc0) == 0x80)
                ++offset;
        }
        if (start != std::string::npos && offset < line.size() && line[offset] != ' ') {
            std::size_t end = line.find(' ', offset);
            if (end == std::string::npos) end = line.size();
            const std::string cell = line.substr(offset, end - offset);
            const std::string_view color = color_of(cell);
            if (!color.empty()) {
                line = line.substr(0, offset) + std::string(color) + cell + std::string(k_reset) +
                       line.substr(end);
            }
        }
        result += line + '\n';
    }
    return result;
}

ListWriter::ListWriter(std::ostream& out, OutputFormat format, std::string resource)
    : m_out(out), m_format(format), m_resource(std::move(resource)) {}

void ListWriter::write(const nlohmann::json& object) {
    switch (m_format) {
    case OutputFormat::json: {
        if (m_count == 0)
            append("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n");
        else
            append(",\n");
        // The object's last line is left open: a comma or the closing bracket ends it.
        std::string text = indent_lines(project::to_json_text(object), "        ", "        ");
        text.pop_back();
        append(text);
        break;
    }
    case OutputFormat::yaml:
        if (m_count == 0) append("apiVersion: v1\nitems:\n");
        append(indent_lines(project::to_yaml(object), "  - ", "    "));
        break;
    case OutputFormat::name: {
        std::string name;
        if (const auto metadata = object.find("metadata");
            metadata != object.end() && metadata->is_object()) {
            name = metadata->value("name", "");
        }
        m_out << m_resource << '/' << name << '\n';
        break;
    }
    case OutputFormat::table:
    case OutputFormat::wide: break;
    }
    ++m_count;
}

void ListWriter::finish() {
    switch (m_format) {
    case OutputFormat::json:
        if (m_count == 0)
            append("{\n    \"apiVersion\": \"v1\",\n    \"items\": [],\n");
        else
            append("\n    ],\n");
        m_document +=
            "    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n";
        break;
    case OutputFormat::yaml:
        if (m_count == 0) append("apiVersion: v1\nitems: []\n");
        append("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        break;
    default: break;
    }
    if (m_spool == nullptr) {
        // One write and one flush: on kq's stdout the document goes out in one piece, or not at all.
        m_out.write(m_document.data(), static_cast<std::streamsize>(m_document.size()));
        m_document.clear();
        m_out.flush();
        return;
    }
    // A long document was spooled to a file: copied out with SIGINT and SIGTERM held back, in pieces that
    // end lines (kq's stdout writes whole lines), so it still goes out whole or not at all.
    spill();
    const DeferSignals deferred;
    std::rewind(m_spool.get());
    std::string piece;
    std::array<char, 64 * 1024> chunk{};
    while (const std::size_t got = std::fread(chunk.data(), 1, chunk.size(), m_spool.get())) {
        piece.append(chunk.data(), got);
        const std::size_t end = piece.rfind('\n');
        if (end == std::string::npos) continue;
        m_out.write(piece.data(), static_cast<std::streamsize>(end + 1));
        piece.erase(0, end + 1);
    }
    m_out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    m_out.flush();
    m_spool.reset();
}

void ListWriter::append(std::string_view text) {
    m_document += text;
    if (m_document.size() >= k_spool_threshold) spill();
}

void ListWriter::spill() {
    if (m_spool == nullptr) {
        m_spool.reset(std::tmpfile());
        if (m_spool == nullptr) {
            fail(ErrorKind::usage,
                 "cannot make a temporary file for the output (set TMPDIR to a writable folder): {}",
                 std::strerror(errno));
        }
    }
    if (std::fwrite(m_document.data(), 1, m_document.size(), m_spool.get()) != m_document.size()) {
        fail(ErrorKind::usage, "cannot write a temporary file for the output: {}", std::strerror(errno));
    }
    m_document.clear();
}

namespace {

// Past this much pending text the buffer writes its whole lines without waiting for a line's end.
constexpr std::size_t k_whole_line_buffer_size = 64 * 1024;

} // namespace

WholeLineBuffer::WholeLineBuffer(int fd) : m_fd(fd) {
    struct stat info {};
    m_whole_small_writes = fstat(fd, &info) == 0 && (S_ISFIFO(info.st_mode) || S_ISREG(info.st_mode));
}

WholeLineBuffer::~WholeLineBuffer() { sync(); }

WholeLineBuffer::int_type WholeLineBuffer::overflow(int_type byte) {
    if (traits_type::eq_int_type(byte, traits_type::eof())) return traits_type::not_eof(byte);
    const char c = traits_type::to_char_type(byte);
    return xsputn(&c, 1) == 1 ? byte : traits_type::eof();
}

std::streamsize WholeLineBuffer::xsputn(const char* data, std::streamsize size) {
    m_pending.append(data, static_cast<std::size_t>(size));
    // A piece that ends a line goes out with everything before it: what a command has printed is on
    // stdout even if a signal then ends kq by its default action. A long run of text without a line end
    // waits, up to a bound, for its newline.
    if (size > 0 && data[size - 1] == '\n') {
        if (!write_out(m_pending.size())) return 0;
    } else if (m_pending.size() >= k_whole_line_buffer_size) {
        const std::size_t end = m_pending.rfind('\n');
        if (end != std::string::npos && !write_out(end + 1)) return 0;
    }
    return size;
}

int WholeLineBuffer::sync() { return write_out(m_pending.size()) ? 0 : -1; }

bool WholeLineBuffer::write_out(std::size_t size) {
    if (m_failed) {
        m_pending.clear();
        return false;
    }
    // One write of at most PIPE_BUF bytes to a pipe or a regular file is never cut short by a signal, so
    // the usual line needs no holding back (two system calls fewer per line).
    std::optional<DeferSignals> defer;
    if (!(m_whole_small_writes && size <= PIPE_BUF)) defer.emplace();
    std::size_t written = 0;
    while (written < size) {
        const ssize_t count = ::write(m_fd, m_pending.data() + written, size - written);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) {
            m_failed = true;
            m_pending.clear();
            return false;
        }
        written += static_cast<std::size_t>(count);
    }
    m_pending.erase(0, size);
    return true;
}

} // namespace kq::cmd
