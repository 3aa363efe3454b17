#pragma once

#include "yaml/location.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cstddef>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace kq::yaml {

// How a reader names what it reads in its messages, and the limits that keep any input, however
// malformed, from exhausting the stack or memory.
struct ReadRules {
    // What the text is, in messages: "file" reads "save the file as UTF-8", "the file holds more ...".
    std::string_view noun = "file";
    // The deepest nesting of collections.
    std::size_t max_depth = 64;
    // The most values of a document, each alias counting as a copy of what it names.
    std::size_t max_values = 200000;
    // What to do about too deep a nesting or too many values, after "; " (none when empty).
    std::string_view depth_advice;
    std::string_view values_advice;
    // True to refuse tabs in indentation (outside block scalars); yaml-cpp takes them silently.
    bool refuse_tab_indentation = false;
};

// One problem found in the text: where, and what, as a message without the location.
struct Problem {
    Location where;
    std::string message;
};

// Thrown by Reader::next_document at the first problem that stops reading: invalid YAML or a limit.
struct ReadError {
    Problem problem;
};

// Receives the character problems of a text, in the order of the text.
using ProblemSink = std::function<void(Problem)>;

// The location yaml-cpp's mark points at; null marks have neither line nor column (0).
Location location_of(const std::string& file, const YAML::Mark& mark);

// One bounded reader of a YAML text: it checks the characters first, then sends each document's parse
// events to a handler while counting depth and values against the rules' limits.
class Reader {
public:
    // Reads text, named file in every location; keeps references to all three.
    Reader(std::string_view text, const std::string& file, const ReadRules& rules);

    // Reports invalid UTF-8 (then stops: nothing after it can be located reliably), control characters
    // and, when the rules say so, tabs in indentation. Returns false when parsing should not be tried.
    bool check_characters(const ProblemSink& report) const;

    // Sends the next document's events to handler; false when there is no further document. Throws
    // ReadError on invalid YAML and when the document nests deeper or holds more values than allowed.
    bool next_document(YAML::EventHandler& handler);

private:
    std::string_view m_text;
    const std::string& m_file;
    const ReadRules& m_rules;
    std::istringstream m_stream;
    YAML::Parser m_parser;
};

// A handler that ignores every event, for a document read only to check it.
class IgnoreEvents : public YAML::EventHandler {
public:
    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

} // namespace kq::yaml
