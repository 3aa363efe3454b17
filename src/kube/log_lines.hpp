#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace kq::kube {

// Splits one container's log stream (requested with timestamps=true) into lines and remembers where it
// is, so that a stream resumed with sinceTime after a drop shows every line exactly once.
class LogLines {
public:
    // Called once per complete new line: its RFC 3339 timestamp and its text without the newline.
    using LineHandler = std::function<void(std::string_view timestamp, std::string_view text)>;

    explicit LogLines(LineHandler on_line) : m_on_line(std::move(on_line)) {}

    // Feeds bytes as they arrive; complete lines go to the handler.
    void feed(std::string_view bytes);

    // Ends a stream: a last line without a newline is emitted, and the next stream starts afresh (a
    // resumed stream repeats lines from the resume point, which are then skipped).
    void end_of_stream();

    // The sinceTime to resume from ("" before any line): the last line's timestamp, to the second, as
    // the API only accepts whole seconds there.
    std::string resume_since() const;

    // The number of lines emitted so far.
    size_t emitted() const { return m_emitted; }

private:
    void handle_line(std::string_view line);

    LineHandler m_on_line;
    std::string m_partial;
    std::string m_last_timestamp;  // the newest timestamp emitted
    size_t m_seen_at_last = 0;     // how many lines were emitted with exactly that timestamp
    size_t m_replayed_at_last = 0; // in the current stream, lines seen again with that timestamp
    bool m_catching_up = false;    // true from a resume until the stream passes the last timestamp
    size_t m_emitted = 0;
};

} // namespace kq::kube
