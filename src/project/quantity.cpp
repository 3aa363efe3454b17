#include "project/quantity.hpp"

#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace kq::project {
namespace {

constexpr std::array<std::string_view, 15> k_suffixes = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u",
                                                         "m",  "k",  "M",  "G",  "T",  "P",  "E"};

} // namespace

std::optional<std::string> check_quantity(std::string_view text) {
    if (text.empty()) return "a quantity must not be empty";
    // The API server refuses quantities this long anyway; the limit keeps messages short.
    if (text.size() > k_max_quantity_length) return "a quantity must be at most 64 characters";
    std::size_t i = 0;
    if (text[i] == '+' || text[i] == '-') ++i;
    std::size_t digits = 0;
    while (i < text.size() && is_ascii_digit(text[i]))
        ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_ascii_digit(text[i]))
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
        while (j < suffix.size() && is_ascii_digit(suffix[j]))
            ++j;
        if (j > exponent_start && j == suffix.size()) return std::nullopt;
    }
    return fmt::format(
        "unknown suffix {}; use Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or an exponent "
        "such as e3",
        quote(suffix));
}

std::string quantity_pattern() {
    std::string suffixes;
    for (const std::string_view suffix : k_suffixes)
        suffixes += fmt::format("{}|", suffix);
    // A number without a sign or with "+", or a zero with "-"; then a suffix or an exponent.
    return fmt::format(R"(^(\+?([0-9]+\.?[0-9]*|\.[0-9]+)|-(0+\.?0*|\.0+))({}[eE][-+]?[0-9]+)?$)", suffixes);
}

bool is_negative_quantity(std::string_view text) {
    if (text.empty() || text[0] != '-') return false;
    // "-0", "-0.0m" and the like are zero, not negative.
    for (const char c : text.substr(1)) {
        if (c >= '1' && c <= '9') return true;
        if (!is_ascii_digit(c) && c != '.') return false;
    }
    return false;
}

std::optional<long double> quantity_value(std::string_view text) {
    if (check_quantity(text)) return std::nullopt;
    std::size_t i = 0;
    const bool negative = text[0] == '-';
    if (text[0] == '+' || text[0] == '-') ++i;
    // The digits as one integer and a power of ten; a binary suffix adds a power of two.
    long double digits = 0;
    int exponent10 = 0;
    bool fraction = false;
    for (; i < text.size() && (is_ascii_digit(text[i]) || text[i] == '.'); ++i) {
        if (text[i] == '.') {
            fraction = true;
            continue;
        }
        digits = digits * 10 + (text[i] - '0');
        if (fraction) --exponent10;
    }
    const std::string_view suffix = text.substr(i);
    int exponent2 = 0;
    static constexpr std::array<std::pair<std::string_view, int>, 15> k_scales = {{
        {"Ki", 10},
        {"Mi", 20},
        {"Gi", 30},
        {"Ti", 40},
        {"Pi", 50},
        {"Ei", 60},
        {"n", -9},
        {"u", -6},
        {"m", -3},
        {"k", 3},
        {"M", 6},
        {"G", 9},
        {"T", 12},
        {"P", 15},
        {"E", 18},
    }};
    bool known = suffix.empty();
    for (const auto& [name, scale] : k_scales) {
        if (suffix != name) continue;
        known = true;
        if (name.size() == 2) {
            exponent2 = scale;
        } else {
            exponent10 += scale;
        }
    }
    if (!known) { // an exponent: e3, E-2, e+6 (any length; far beyond long double's range it saturates)
        std::string_view exponent = suffix.substr(1);
        const bool below = !exponent.empty() && exponent[0] == '-';
        if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) exponent.remove_prefix(1);
        int magnitude = 0;
        for (const char c : exponent)
            magnitude = std::min(magnitude * 10 + (c - '0'), 100000);
        exponent10 += below ? -magnitude : magnitude;
    }
    long double value =
        exponent10 >= 0 ? digits * std::pow(10.0L, exponent10) : digits / std::pow(10.0L, -exponent10);
    value = std::ldexp(value, exponent2);
    return negative ? -value : value;
}

bool is_overcommit_allowed(std::string_view resource) {
    const bool native =
        resource.find('/') == std::string_view::npos || resource.starts_with("kubernetes.io/");
    return native && !resource.starts_with("hugepages-");
}

} // namespace kq::project
