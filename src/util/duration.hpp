#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace kq {

// Parses a duration as Go's time.ParseDuration writes them ("30s", "1m30s", "1.5h", "500ms"); a bare
// number counts seconds, as kubectl's --request-timeout accepts; nullopt when the text is not one or
// is negative.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

} // namespace kq
