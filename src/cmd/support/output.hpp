#pragma once

#include "cmd/support/context.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdio>
#include <functional>
#include <iosfwd>
#include <memory>
#include <streambuf>
#include <string>
#include <string_view>

namespace kq::cmd {

// What -o/--output asks for.
enum class OutputFormat {
    table, // the default: a kubectl-style table
    wide,  // the table with more columns
    json,  // a v1 List (or one object) as JSON indented by 4, as kubectl writes it
    yaml,  // the same as YAML
    name,  // "job.batch/NAME", one a line
};

// Reads an -o value ("" is the table); throws a usage Error naming -o for anything else.
OutputFormat parse_output_format(const std::string& text);

// True when TERM is "dumb": a terminal that cannot redraw a line or show colours.
bool is_dumb_terminal();

// True unless NO_COLOR (https://no-color.org: set and not empty) or --no-color says no colour.
bool color_allowed(const GlobalOptions& global);

// True when stdout may be coloured: a terminal that is not TERM=dumb, no NO_COLOR, no --no-color.
bool out_color(const Context& context);

// The width tables on stdout are fitted to: the terminal's columns on a terminal, else 0 (no limit).
std::size_t out_width(const Context& context);

// The ANSI sequence that turns text green on a terminal (success).
inline constexpr std::string_view k_green = "\x1b[32m";
// The ANSI sequence that turns text red on a terminal (failure).
inline constexpr std::string_view k_red = "\x1b[31m";
// The ANSI sequence that ends a colour.
inline constexpr std::string_view k_reset = "\x1b[0m";

// Colours the cells of one column (counted from 0) of a printed table whose first line is the header
// row: `color_of` gets each cell's text and returns a colour or an empty view. A column starts where its
// header does (headers being single words), counted in display columns.
std::string color_column(const std::string& table, std::size_t column,
                         const std::function<std::string_view(std::string_view cell)>& color_of);

// Writes objects for -o json, yaml and name: a v1 List as kubectl prints one
// ({"apiVersion":"v1","items":[...],"kind":"List","metadata":{"resourceVersion":""}}) for json and yaml,
// kept (in memory, or in a temporary file past 1 MiB) and written whole by finish(), so that an
// interrupted command leaves no torn document;
// "RESOURCE/NAME" lines for name, written as they arrive.
class ListWriter {
public:
    // A writer of objects of `resource` (e.g. "job.batch", for -o name) in `format` (json, yaml or name).
    ListWriter(std::ostream& out, OutputFormat format, std::string resource);

    // Writes one object.
    void write(const nlohmann::json& object);

    // Ends the list (json and yaml); call once, after the last object.
    void finish();

    // How many objects were written.
    std::size_t count() const { return m_count; }

private:
    std::ostream& m_out;     // where the objects go
    OutputFormat m_format;   // json, yaml or name
    std::string m_resource;  // the "job.batch" of -o name's lines
    std::size_t m_count = 0; // objects written so far
    // Keeps text of the json or yaml document, spilling it to the spool file past k_spool_threshold.
    void append(std::string_view text);
    // Moves the kept text to the spool file.
    void spill();

    // Documents longer than this go to a temporary file until finish(), so memory stays bounded.
    static constexpr std::size_t k_spool_threshold = 1 << 20;
    struct CloseFile {
        void operator()(std::FILE* file) const { std::fclose(file); }
    };
    std::string m_document;                        // the json or yaml text until finish() or a spill
    std::unique_ptr<std::FILE, CloseFile> m_spool; // the spilled text (deleted when closed)
};

// The buffer of kq's stdout and stderr. It writes when a piece of output ends a line (`out << row << '\n'`, a
// whole document ending in a newline) or on an explicit flush, and holds SIGINT and SIGTERM back while it
// writes: what a command printed is out in whole lines even if a signal ends kq by its default action, and
// a piece written in one go (a whole -o json document) is never torn.
class WholeLineBuffer : public std::streambuf {
public:
    // A buffer writing to the file descriptor `fd`.
    explicit WholeLineBuffer(int fd);
    ~WholeLineBuffer() override;
    WholeLineBuffer(const WholeLineBuffer&) = delete;
    WholeLineBuffer& operator=(const WholeLineBuffer&) = delete;

protected:
    int_type overflow(int_type byte) override;
    std::streamsize xsputn(const char* data, std::streamsize size) override;
    int sync() override;

private:
    // Writes the first `size` bytes of the pending text; false on a write error.
    bool write_out(std::size_t size);

    int m_fd;                          // where the output goes
    std::string m_pending;             // text not yet written
    bool m_failed = false;             // a write failed (the reader went away): the rest is dropped
    bool m_whole_small_writes = false; // fd is a pipe or a regular file: a write of PIPE_BUF bytes is whole
};

} // namespace kq::cmd
