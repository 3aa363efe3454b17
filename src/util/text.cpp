#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kq {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // The optimal string alignment distance: Levenshtein plus transpositions of neighbours, so
    // "jbos" is one edit from "jobs" as a reader would count it. Three rows suffice.
    std::vector<std::size_t> before(b.size() + 1);
    std::vector<std::size_t> previous(b.size() + 1);
    std::vector<std::size_t> current(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        previous[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                current[j] = std::min(current[j], before[j - 2] + 1);
            }
        }
        std::swap(before, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

namespace {

template <typename Candidate>
std::optional<std::string> closest_of(std::string_view word, std::span<const Candidate> candidates) {
    // Long words tolerate more typos; a third of the length keeps "imag" -> "image" but not "x" -> "args".
    const std::size_t limit = std::max<std::size_t>(1, word.size() / 3);
    std::optional<std::string> best;
    std::size_t best_distance = limit + 1;
    for (const Candidate& candidate : candidates) {
        // Distances of very long words cost time and never produce a useful suggestion.
        if (word.size() > 64 || std::string_view(candidate).size() > 64) continue;
        std::size_t distance = edit_distance(word, candidate);
        // A difference in case alone is the most likely typo of all.
        if (lower(word) == lower(candidate)) distance = 0;
        if (distance < best_distance) {
            best_distance = distance;
            best = std::string(candidate);
        }
    }
    return best;
}

} // namespace

std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates) {
    return closest_of(word, candidates);
}

std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates) {
    return closest_of(word, candidates);
}

std::string join(std::span<const std::string> items, std::string_view separator) {
    std::string result;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) result += separator;
        result += items[i];
    }
    return result;
}

std::string join_quoted(std::span<const std::string> items, std::string_view separator) {
    std::string result;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) result += separator;
        result += quote(items[i]);
    }
    return result;
}

std::string quote(std::string_view text) {
    std::string result = "\"";
    for (const char c : text) {
        switch (c) {
        case '"': result += "\\\""; break;
        case '\\': result += "\\\\"; break;
        case '\n': result += "\\n"; break;
        case '\t': result += "\\t"; break;
        case '\r': result += "\\r"; break;
        default:
            // Other control characters would garble a terminal; show their code instead.
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                result += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
            } else {
                result += c;
            }
        }
    }
    result += '"';
    return result;
}

std::string plural(std::size_t count, std::string_view singular, std::string_view plural_form) {
    return fmt::format("{} {}", count, count == 1 ? singular : plural_form);
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string trim(std::string_view text, std::string_view characters) {
    const std::size_t start = text.find_first_not_of(characters);
    if (start == std::string_view::npos) return "";
    const std::size_t end = text.find_last_not_of(characters);
    return std::string(text.substr(start, end - start + 1));
}

std::string lower_first(std::string text) {
    const auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    if (!text.empty() && is_upper(text[0]) && !(text.size() > 1 && is_upper(text[1])))
        text[0] = static_cast<char>(text[0] - 'A' + 'a');
    return text;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

std::optional<std::size_t> invalid_utf8_offset(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t code_point = 0;
        if (byte < 0x80) {
            ++i;
            continue;
        } else if ((byte & 0xe0) == 0xc0) {
            length = 2;
            code_point = byte & 0x1f;
        } else if ((byte & 0xf0) == 0xe0) {
            length = 3;
            code_point = byte & 0x0f;
        } else if ((byte & 0xf8) == 0xf0) {
            length = 4;
            code_point = byte & 0x07;
        } else {
            return i;
        }
        if (i + length > text.size()) return i;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) return i;
            code_point = (code_point << 6) | (next & 0x3f);
        }
        // Overlong forms, surrogates and values past U+10FFFF are not UTF-8 either.
        const bool overlong = (length == 2 && code_point < 0x80) || (length == 3 && code_point < 0x800) ||
                              (length == 4 && code_point < 0x10000);
        if (overlong || (code_point >= 0xd800 && code_point <= 0xdfff) || code_point > 0x10ffff) return i;
        i += length;
    }
    return std::nullopt;
}

} // namespace kq
