#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kq {

// A regular expression (ECMAScript syntax) that is safe to run on user input: matching takes time
// linear in the input and bounded stack, patterns and inputs have size limits, and back-references
// are refused.
class Pattern {
public:
    // The longest pattern accepted, in bytes.
    static constexpr std::size_t k_max_pattern_length = 1000;
    // The longest value a pattern is matched against, in bytes.
    static constexpr std::size_t k_max_input_length = 4096;

    // Compiles source; on failure the result is invalid and error() says why.
    static Pattern compile(std::string_view source);

    // True when the pattern compiled.
    bool valid() const { return m_regex != nullptr; }

    // Why the pattern did not compile, in lowercase words; empty when it did.
    const std::string& error() const { return m_error; }

    // The pattern as written.
    const std::string& source() const { return m_source; }

    // True when the pattern matches somewhere in text (unanchored, as JSON Schema's "pattern");
    // text longer than k_max_input_length never matches.
    bool search(std::string_view text) const;

private:
    // Compiles source, as compile() does the first time it sees it.
    static Pattern compile_uncached(std::string_view source);

    // The compiled std::regex, kept out of the header so <regex> stays in one translation unit.
    struct Compiled;
    std::string m_source;
    std::string m_error;
    std::shared_ptr<const Compiled> m_regex;
};

} // namespace kq
