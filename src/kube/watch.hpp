#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace kq::kube {

// Splits a byte stream of JSON objects (the API's watch stream: one object per line) into whole
// objects as they complete, however the bytes were chunked on the way.
class JsonStreamDecoder {
public:
    // Called with the text of each complete top-level object, in order.
    using ValueHandler = std::function<void(std::string_view value)>;

    // The largest object accepted (bytes); a bigger one is a protocol error.
    static constexpr size_t k_max_value = 64 * 1024 * 1024;

    // Feeds the next bytes; complete objects go to the handler. Throws kq::Error (cluster) when the
    // stream holds something other than objects.
    void feed(std::string_view bytes, const ValueHandler& on_value);

    // True when no partial object is buffered (the stream ended cleanly between objects).
    bool idle() const { return m_start == std::string::npos; }

    // Forgets any partial object, to start a new stream.
    void reset();

private:
    std::string m_buffer;               // bytes not yet handed out, from the current object's start
    size_t m_scanned = 0;               // how much of m_buffer has been scanned
    size_t m_start = std::string::npos; // where the current object starts in m_buffer; npos between objects
    int m_depth = 0;
    bool m_in_string = false;
    bool m_escaped = false;
};

// The kinds of watch events.
enum class WatchEventType { added, modified, deleted, bookmark, error };

// One watch event: its type and object (for error, a Status).
struct WatchEvent {
    WatchEventType type = WatchEventType::added;
    nlohmann::json object;
};

// Parses one watch event object; throws kq::Error (cluster) when it is not one: its object must be a
// JSON object, its metadata.resourceVersion (when present) a string, and an ERROR event's code, reason
// and message (when present) a whole number and strings, so that reading them cannot throw.
WatchEvent parse_watch_event(std::string_view text);

// The name of an event type as the API writes it (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR).
const char* to_string(WatchEventType type);

} // namespace kq::kube
