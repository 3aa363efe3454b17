#include "kube/watch.hpp"

#include "util/error.hpp"

#include <fmt/format.h>

namespace kq::kube {

void JsonStreamDecoder::reset() {
    m_buffer.clear();
    m_scanned = 0;
    m_start = std::string::npos;
    m_depth = 0;
    m_in_string = false;
    m_escaped = false;
}

void JsonStreamDecoder::feed(std::string_view bytes, const ValueHandler& on_value) {
    m_buffer.append(bytes);
    for (size_t i = m_scanned; i < m_buffer.size(); ++i) {
        const char c = m_buffer[i];
        if (m_start == std::string::npos) {
            // Between objects only whitespace may appear; the API puts a newline after each.
            if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
            if (c != '{') {
                const std::string found = m_buffer.substr(i, 20);
                reset();
                fail(ErrorKind::cluster, "the watch stream holds \"{}\" where a JSON object should start",
                     found);
            }
            m_start = i;
            m_depth = 1;
            continue;
        }
        // Braces inside strings don't count, and a backslash escapes the next character.
        if (m_in_string) {
            if (m_escaped)
                m_escaped = false;
            else if (c == '\\')
                m_escaped = true;
            else if (c == '"')
                m_in_string = false;
            continue;
        }
        if (c == '"') {
            m_in_string = true;
        } else if (c == '{' || c == '[') {
            ++m_depth;
        } else if ((c == '}' || c == ']') && --m_depth == 0) {
            const size_t start = m_start;
            m_start = std::string::npos;
            on_value(std::string_view(m_buffer).substr(start, i + 1 - start));
        }
    }
    // Keep only the partial object, so a long stream of small events never grows the buffer.
    if (m_start == std::string::npos) {
        m_buffer.clear();
        m_scanned = 0;
        return;
    }
    m_buffer.erase(0, m_start);
    m_start = 0;
    m_scanned = m_buffer.size();
    if (m_buffer.size() > k_max_value) {
        reset();
        fail(ErrorKind::cluster, "the watch stream sent an object larger than {} MiB", k_max_value >> 20);
    }
}

namespace {

// The fields a watch's reader takes without checking their type must have it: metadata.resourceVersion
// a string, and an ERROR event's Status code a whole number, reason and message strings.
void check_event_object(const nlohmann::json& object, bool is_error) {
    if (!object.is_object()) {
        fail(ErrorKind::cluster, "the watch stream sent an event whose object is {}, not a JSON object",
             object.type_name());
    }
    const auto require = [](const nlohmann::json& holder, const char* key, bool (nlohmann::json::*is)() const,
                            const char* what) {
        const auto found = holder.find(key);
        if (found != holder.end() && !((*found).*is)()) {
            fail(ErrorKind::cluster, "the watch stream sent an event whose {} is {}, not {}", key,
                 found->type_name(), what);
        }
    };
    if (const auto metadata = object.find("metadata"); metadata != object.end() && metadata->is_object())
        require(*metadata, "resourceVersion", &nlohmann::json::is_string, "a string");
    if (!is_error) return;
    require(object, "code", &nlohmann::json::is_number_integer, "a whole number");
    require(object, "reason", &nlohmann::json::is_string, "a string");
    require(object, "message", &nlohmann::json::is_string, "a string");
}

} // namespace

WatchEvent parse_watch_event(std::string_view text) {
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& error) {
        // Not only parse_error: a number beyond a double's range (1e999) is out_of_range.
        fail(ErrorKind::cluster, "the watch stream sent invalid JSON: {}", error.what());
    }
    const auto type = document.find("type");
    const auto object = document.find("object");
    if (type == document.end() || !type->is_string() || object == document.end()) {
        fail(ErrorKind::cluster, "the watch stream sent an object that is not an event (no type and object)");
    }
    // get_ref, not get<std::string>: GCC 12 sees a null dereference in the inlined copy when a unity
    // batch puts other JSON code beside this.
    const std::string name = type->get_ref<const std::string&>();
    check_event_object(*object, name == "ERROR");
    WatchEvent event;
    if (name == "ADDED")
        event.type = WatchEventType::added;
    else if (name == "MODIFIED")
        event.type = WatchEventType::modified;
    else if (name == "DELETED")
        event.type = WatchEventType::deleted;
    else if (name == "BOOKMARK")
        event.type = WatchEventType::bookmark;
    else if (name == "ERROR")
        event.type = WatchEventType::error;
    else
        fail(ErrorKind::cluster, "the watch stream sent an event of unknown type \"{}\"", name);
    event.object = std::move(*object);
    return event;
}

const char* to_string(WatchEventType type) {
    switch (type) {
    case WatchEventType::added: return "ADDED";
    case WatchEventType::modified: return "MODIFIED";
    case WatchEventType::deleted: return "DELETED";
    case WatchEventType::bookmark: return "BOOKMARK";
    case WatchEventType::error: return "ERROR";
    }
    return "ERROR";
}

} // namespace kq::kube
