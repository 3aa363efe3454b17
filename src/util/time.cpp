#include "util/time.hpp"

#include <fmt/format.h>

#include <charconv>

namespace kq {
namespace {

// Reads exactly `width` digits at `pos`, advancing it; false when they are not all digits.
bool read_digits(std::string_view text, size_t& pos, size_t width, int& value) {
    if (pos + width > text.size()) return false;
    value = 0;
    for (size_t i = 0; i < width; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    pos += width;
    return true;
}

bool expect(std::string_view text, size_t& pos, std::string_view any_of) {
    if (pos >= text.size() || any_of.find(text[pos]) == std::string_view::npos) return false;
    ++pos;
    return true;
}

} // namespace

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
    size_t pos = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!read_digits(text, pos, 4, year) || !expect(text, pos, "-") || !read_digits(text, pos, 2, month) ||
        !expect(text, pos, "-") || !read_digits(text, pos, 2, day) || !expect(text, pos, "Tt ") ||
        !read_digits(text, pos, 2, hour) || !expect(text, pos, ":") || !read_digits(text, pos, 2, minute) ||
        !expect(text, pos, ":") || !read_digits(text, pos, 2, second)) {
        return std::nullopt;
    }
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
            ++pos;
        if (pos == start) return std::nullopt;
    }
    int offset_minutes = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        const int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int offset_hours = 0, offset_mins = 0;
        if (!read_digits(text, pos, 2, offset_hours) || !expect(text, pos, ":") ||
            !read_digits(text, pos, 2, offset_mins)) {
            return std::nullopt;
        }
        offset_minutes = sign * (offset_hours * 60 + offset_mins);
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;

    const std::chrono::year_month_day date{std::chrono::year{year},
                                           std::chrono::month{static_cast<unsigned>(month)},
                                           std::chrono::day{static_cast<unsigned>(day)}};
    if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
    return std::chrono::sys_days{date} + std::chrono::hours{hour} +
           std::chrono::minutes{minute - offset_minutes} + std::chrono::seconds{second};
}

std::string format_rfc3339(TimePoint when) {
    const auto days = std::chrono::floor<std::chrono::days>(when);
    const std::chrono::year_month_day date{days};
    const std::chrono::hh_mm_ss time{when - days};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count());
}

TimePoint now_seconds() { return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()); }

std::string human_duration(std::chrono::seconds duration) {
    // The thresholds follow kubectl's so that kq's AGE and DURATION columns read the same as kubectl's:
    // about two or three significant figures, never more.
    const long long seconds = duration.count();
    if (seconds < -1) return "<invalid>";
    if (seconds < 0) return "0s";
    if (seconds < 120) return fmt::format("{}s", seconds);
    const long long minutes = seconds / 60;
    if (minutes < 10) {
        const long long rest = seconds % 60;
        return rest == 0 ? fmt::format("{}m", minutes) : fmt::format("{}m{}s", minutes, rest);
    }
    if (minutes < 180) return fmt::format("{}m", minutes);
    const long long hours = minutes / 60;
    if (hours < 8) {
        const long long rest = minutes % 60;
        return rest == 0 ? fmt::format("{}h", hours) : fmt::format("{}h{}m", hours, rest);
    }
    if (hours < 48) return fmt::format("{}h", hours);
    const long long days = hours / 24;
    if (hours < 24 * 8) {
        const long long rest = hours % 24;
        return rest == 0 ? fmt::format("{}d", days) : fmt::format("{}d{}h", days, rest);
    }
    if (hours < 24 * 365 * 2) return fmt::format("{}d", days);
    const long long years = days / 365;
    if (hours < 24 * 365 * 8) {
        const long long rest = days % 365;
        return rest == 0 ? fmt::format("{}y", years) : fmt::format("{}y{}d", years, rest);
    }
    return fmt::format("{}y", years);
}

} // namespace kq
