// libstdc++ builds an automaton of at most this many states and refuses larger ones; the default
// (100000) lets "a{1000}{1000}"-like patterns recurse deep enough to overflow the stack. This file is
// the only user of <regex> in kq, so the lower limit cannot disagree with another translation unit.
#define _GLIBCXX_REGEX_STATE_LIMIT 5000

#include "util/pattern.hpp"

#include <map>
#include <mutex>
#include <regex>

#include "util/text.hpp"

namespace kq {

struct Pattern::Compiled {
    std::regex regex;
};

namespace {

std::string describe(const std::regex_error& error) {
    switch (error.code()) {
    case std::regex_constants::error_collate: return "invalid collating element name";
    case std::regex_constants::error_ctype: return "invalid character class name";
    case std::regex_constants::error_escape: return "invalid escape or trailing backslash";
    case std::regex_constants::error_backref: return "back-references are not supported";
    case std::regex_constants::error_brack: return "unmatched \"[\"";
    case std::regex_constants::error_paren: return "unmatched \"(\"";
    case std::regex_constants::error_brace: return "unmatched \"{\"";
    case std::regex_constants::error_badbrace: return "invalid range in \"{}\"";
    case std::regex_constants::error_range: return "invalid character range";
    case std::regex_constants::error_space: return "the pattern is too large";
    case std::regex_constants::error_badrepeat: return "\"*\", \"+\", \"?\" or \"{\" repeats nothing";
    case std::regex_constants::error_complexity:
        return "the pattern is too complex (back-references are not supported)";
    case std::regex_constants::error_stack: return "the pattern is too complex";
    default: return "invalid pattern";
    }
}

// True when source holds a number libstdc++ would read into an int without checking for overflow
// (undefined behaviour): a repetition count of "{n,m}" or a back-reference's number. Counts past the
// automaton's state limit fail anyway, so six digits or more are refused before std::regex sees them.
bool has_oversized_number(std::string_view source) {
    constexpr std::size_t k_max_digits = 5;
    bool in_class = false;
    for (std::size_t i = 0; i < source.size(); ++i) {
        const char c = source[i];
        if (c == '\\') {
            std::size_t digits = 0;
            while (i + 1 < source.size() && is_ascii_digit(source[i + 1])) {
                ++i;
                ++digits;
            }
            if (digits > k_max_digits) return true;
            if (digits == 0) ++i; // the escaped character
            continue;
        }
        if (in_class) {
            in_class = c != ']';
            continue;
        }
        if (c == '[') {
            in_class = true;
            continue;
        }
        if (c != '{') continue;
        std::size_t digits = 0;
        for (std::size_t j = i + 1; j < source.size() && (is_ascii_digit(source[j]) || source[j] == ',');
             ++j) {
            digits = source[j] == ',' ? 0 : digits + 1;
            if (digits > k_max_digits) return true;
        }
    }
    return false;
}

} // namespace

Pattern Pattern::compile(std::string_view source) {
    // Compiling even "^[a-z]+$" takes libstdc++ half a million instructions (each bracket builds a
    // 256-entry table), and a project repeats the same few patterns in many jobs: compile each once.
    // Patterns are immutable once compiled, so the copies share one. The cache is bounded, for a
    // process that sees many projects (the fuzzer).
    constexpr std::size_t k_max_cached = 64;
    static std::mutex mutex;
    static std::map<std::string, Pattern, std::less<>> compiled;
    const std::lock_guard lock(mutex);
    if (const auto found = compiled.find(source); found != compiled.end()) return found->second;
    Pattern pattern = compile_uncached(source);
    if (compiled.size() >= k_max_cached) compiled.clear();
    compiled.emplace(pattern.m_source, pattern);
    return pattern;
}

Pattern Pattern::compile_uncached(std::string_view source) {
    Pattern pattern;
    pattern.m_source = std::string(source);
    if (source.size() > k_max_pattern_length) {
        pattern.m_error = "the pattern is longer than 1000 characters";
        return pattern;
    }
    if (has_oversized_number(source)) {
        pattern.m_error = "a repetition count or back-reference in the pattern is too large";
        return pattern;
    }
    try {
        // __polynomial selects libstdc++'s breadth-first executor: no exponential backtracking and no
        // recursion proportional to the input, at the price of refusing back-references.
        auto compiled = std::make_shared<Compiled>();
        compiled->regex =
            std::regex(pattern.m_source, std::regex::ECMAScript | std::regex_constants::__polynomial);
        pattern.m_regex = std::move(compiled);
    } catch (const std::regex_error& error) {
        pattern.m_error = describe(error);
    }
    return pattern;
}

bool Pattern::search(std::string_view text) const {
    if (m_regex == nullptr || text.size() > k_max_input_length) return false;
    try {
        return std::regex_search(text.begin(), text.end(), m_regex->regex);
    } catch (const std::regex_error&) {
        return false;
    }
}

} // namespace kq
