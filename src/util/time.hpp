#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kq {

// Wall-clock instants as Kubernetes timestamps carry them: whole seconds since the epoch, in UTC.
using TimePoint = std::chrono::sys_seconds;

// Parses an RFC 3339 timestamp as the API writes them ("2026-11-27T23:00:53Z", fractions and offsets
// allowed); nullopt when the text is not one.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

// Formats an instant as an RFC 3339 timestamp in UTC with a trailing Z.
std::string format_rfc3339(TimePoint when);

// The current wall-clock time, truncated to seconds.
TimePoint now_seconds();

// A duration the way kubectl prints ages and durations: "45s", "5m3s", "3h", "2d4h", "<invalid>" when
// it is negative by more than a second.
std::string human_duration(std::chrono::seconds duration);

} // namespace kq
