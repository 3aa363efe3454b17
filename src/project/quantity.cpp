#include "project/quantity.hpp"

#include "util/text.hpp"

#include <fmt/format.h>

#include <array>

namespace kq::project {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::array<std::string_view, 15> k_suffixes = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u",
                                                         "m",  "k",  "M",  "G",  "T",  "P",  "E"};

} // namespace

std::optional<std::string> check_quantity(std::string_view text) {
    if (text.empty()) return "a quantity must not be empty";
    // The API server refuses quantities this long anyway; the limit keeps messages short.
    if (text.size() > 64) return "a quantity must be at most 64 characters";
    std::size_t i = 0;
    if (text[i] == '+' || text[i] == '-') ++i;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i]))
        ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i]))
            ++i, ++digits;
    }
    if (digits == 0)
        return "a quantity is a number with an optional suffix, such as \"500m\", \"2\" or \"64Mi\"";
    const std::string_view suffix = text.substr(i);
    if (suffix.empty()) return std::nullopt;
    for (const std::string_view known : k_suffixes) {
        if (suffix == known) return std::nullopt;
    }
    if (suffix[0] == 'e' || suffix[0] == 'E') {
        std::size_t j = 1;
        if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
        const std::size_t exponent_start = j;
        while (j < suffix.size() && is_digit(suffix[j]))
            ++j;
        if (j > exponent_start && j == suffix.size()) return std::nullopt;
    }
    return fmt::format(
        "unknown suffix {}; use Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent "
        "such as e3",
        quote(suffix));
}

bool is_negative_quantity(std::string_view text) {
    if (text.empty() || text[0] != '-') return false;
    // "-0", "-0.0m" and the like are zero, not negative.
    for (const char c : text.substr(1)) {
        if (c >= '1' && c <= '9') return true;
        if (!is_digit(c) && c != '.') return false;
    }
    return false;
}

} // namespace kq::project
