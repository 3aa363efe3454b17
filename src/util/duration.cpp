#include "util/duration.hpp"

#include <cmath>
#include <string>

namespace kq {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    bool all_digits = true;
    for (char c : text)
        all_digits = all_digits && c >= '0' && c <= '9';
    if (all_digits) {
        if (text.size() > 12) return std::nullopt;
        return std::chrono::seconds(std::stoll(std::string(text)));
    }

    double total_ms = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t number_start = pos;
        while (pos < text.size() && ((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.'))
            ++pos;
        if (pos == number_start) return std::nullopt;
        const std::string number(text.substr(number_start, pos - number_start));
        if (number == "." || number.find('.') != number.rfind('.')) return std::nullopt;
        const size_t unit_start = pos;
        while (pos < text.size() && !((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.'))
            ++pos;
        const std::string_view unit = text.substr(unit_start, pos - unit_start);
        double scale = 0;
        if (unit == "ns")
            scale = 1e-6;
        else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs")
            scale = 1e-3;
        else if (unit == "ms")
            scale = 1;
        else if (unit == "s")
            scale = 1e3;
        else if (unit == "m")
            scale = 60e3;
        else if (unit == "h")
            scale = 3600e3;
        else
            return std::nullopt;
        total_ms += std::stod(number) * scale;
    }
    if (!std::isfinite(total_ms) || total_ms > 1e15) return std::nullopt;
    return std::chrono::milliseconds(static_cast<long long>(std::llround(total_ms)));
}

} // namespace kq
