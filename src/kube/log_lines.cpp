#include "kube/log_lines.hpp"

namespace kq::kube {

void LogLines::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        const size_t newline = bytes.find('\n');
        if (newline == std::string_view::npos) {
            m_partial.append(bytes);
            return;
        }
        if (m_partial.empty()) {
            handle_line(bytes.substr(0, newline));
        } else {
            m_partial.append(bytes.substr(0, newline));
            handle_line(m_partial);
            m_partial.clear();
        }
        bytes.remove_prefix(newline + 1);
    }
}

void LogLines::end_of_stream() {
    if (!m_partial.empty()) {
        handle_line(m_partial);
        m_partial.clear();
    }
    m_catching_up = !m_last_timestamp.empty();
    m_replayed_at_last = 0;
}

std::string LogLines::resume_since() const {
    // "2026-11-27T10:00:01.123456789Z" -> "2026-11-27T10:00:01Z"
    if (m_last_timestamp.size() < 19) return m_last_timestamp;
    std::string since(m_last_timestamp, 0, 19);
    since.push_back('Z');
    return since;
}

void LogLines::handle_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::string_view timestamp;
    std::string_view text = line;
    const size_t space = line.find(' ');
    // The API prefixes each line with an RFC 3339 timestamp with nanoseconds; anything else is text.
    if (space != std::string_view::npos && space >= 20 && line[4] == '-' && line[10] == 'T') {
        timestamp = line.substr(0, space);
        text = line.substr(space + 1);
    }
    if (m_catching_up && !timestamp.empty()) {
        // Timestamps of one container's stream are in order and share one format, so comparing the
        // text compares the instants; lines older than the last one shown were shown already.
        if (timestamp < m_last_timestamp) return;
        if (timestamp == m_last_timestamp) {
            if (++m_replayed_at_last <= m_seen_at_last) return;
        } else {
            m_catching_up = false;
        }
    }
    if (!timestamp.empty()) {
        if (timestamp == m_last_timestamp) {
            ++m_seen_at_last;
        } else {
            m_last_timestamp = timestamp;
            m_seen_at_last = 1;
        }
        if (m_catching_up) m_replayed_at_last = m_seen_at_last;
    }
    ++m_emitted;
    m_on_line(timestamp, text);
}

} // namespace kq::kube
