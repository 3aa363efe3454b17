#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kq {

// The edit distance between two strings: the fewest insertions, deletions, substitutions and swaps of
// neighbouring characters that turn one into the other.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to word by edit distance, if one is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string> candidates);

// The candidate closest to word by edit distance, if one is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word, std::span<const std::string_view> candidates);

// The items joined by separator.
std::string join(std::span<const std::string> items, std::string_view separator);

// The items each double-quoted and joined by separator, for messages: "a", "b".
std::string join_quoted(std::span<const std::string> items, std::string_view separator = ", ");

// The text as a double-quoted string for messages, with quotes, backslashes and control characters escaped.
std::string quote(std::string_view text);

// "1 job" or "2 jobs": count followed by the singular or plural noun.
std::string plural(std::size_t count, std::string_view singular, std::string_view plural_form);

// Whether c is one of the ASCII digits 0-9 (std::isdigit depends on the locale and takes an int).
constexpr bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// The characters trim removes by default: spaces, tabs and line ends.
inline constexpr std::string_view k_whitespace = " \t\r\n";

// The text with ASCII letters in lower case; other bytes (UTF-8 included) unchanged.
std::string lower(std::string_view text);

// The text without the given characters at either end.
std::string trim(std::string_view text, std::string_view characters = k_whitespace);

// The text with its first letter in lower case, for a sentence ("No such file" -> "no such file")
// placed after a colon; unchanged when the second letter is upper case too, as in an acronym ("TLS ...").
std::string lower_first(std::string text);

// True when text starts with prefix.
bool starts_with(std::string_view text, std::string_view prefix);

// The byte offset of the first invalid UTF-8 sequence in text, or nullopt when text is valid UTF-8.
std::optional<std::size_t> invalid_utf8_offset(std::string_view text);

} // namespace kq
