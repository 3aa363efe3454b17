#include "util/duration.hpp"

#include <charconv>
#include <cmath>

#include "util/text.hpp"

namespace kq {
namespace {

// Milliseconds in one of Go's duration units, or 0 for an unknown unit.
double unit_scale(std::string_view unit) {
    if (unit == "ns") return 1e-6;
    if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return 1e-3;
    if (unit == "ms") return 1;
    if (unit == "s") return 1e3;
    if (unit == "m") return 60e3;
    if (unit == "h") return 3600e3;
    return 0;
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    bool all_digits = true;
    for (char c : text)
        all_digits = all_digits && is_ascii_digit(c);
    if (all_digits) {
        long long seconds = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seconds);
        if (error != std::errc() || end != text.data() + text.size() || seconds > 1000000000LL)
            return std::nullopt;
        return std::chrono::seconds(seconds);
    }

    double total_ms = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        // A number (digits with at most one dot), then a unit.
        double value = 0;
        double fraction = 0.1;
        int dots = 0;
        size_t digits = 0;
        for (; pos < text.size() && (is_ascii_digit(text[pos]) || text[pos] == '.'); ++pos) {
            if (text[pos] == '.') {
                ++dots;
                continue;
            }
            ++digits;
            if (dots == 0) {
                value = value * 10 + (text[pos] - '0');
            } else {
                value += (text[pos] - '0') * fraction;
                fraction /= 10;
            }
        }
        if (digits == 0 || dots > 1) return std::nullopt;
        const size_t unit_start = pos;
        while (pos < text.size() && !is_ascii_digit(text[pos]) && text[pos] != '.')
            ++pos;
        const double scale = unit_scale(text.substr(unit_start, pos - unit_start));
        if (scale == 0) return std::nullopt;
        total_ms += value * scale;
    }
    if (!std::isfinite(total_ms) || total_ms > 1e15) return std::nullopt;
    return std::chrono::milliseconds(std::llround(total_ms));
}

} // namespace kq
