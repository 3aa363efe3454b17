#include "yaml/reader.hpp"

#include "util/text.hpp"

#include <fmt/format.h>
#include <yaml-cpp/exceptions.h>

namespace kq::yaml {
namespace {

std::string with_advice(std::string message, std::string_view advice) {
    if (!advice.empty()) message += fmt::format("; {}", advice);
    return message;
}

// Passes parse events on to another handler while counting how deep collections nest and how many
// values the document holds, each alias counting as a copy of what it names, so that no input, however
// written, exhausts the stack or memory before the limits stop it.
class Bounded : public YAML::EventHandler {
public:
    Bounded(YAML::EventHandler& inner, const std::string& file, const ReadRules& rules)
        : m_inner(inner), m_file(file), m_rules(rules) {}

    void OnDocumentStart(const YAML::Mark& mark) override { m_inner.OnDocumentStart(mark); }
    void OnDocumentEnd() override { m_inner.OnDocumentEnd(); }

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        add(mark, anchor, 1);
        m_inner.OnNull(mark, anchor);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        // An alias to an anchor still open (a cycle) names nothing complete yet: it counts as one.
        const auto found = m_anchors.find(anchor);
        add(mark, YAML::NullAnchor, found == m_anchors.end() ? 1 : found->second);
        m_inner.OnAlias(mark, anchor);
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        add(mark, anchor, 1);
        m_inner.OnScalar(mark, tag, anchor, value);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value style) override {
        open(mark, anchor);
        m_inner.OnSequenceStart(mark, tag, anchor, style);
    }

    void OnSequenceEnd() override {
        close();
        m_inner.OnSequenceEnd();
    }

    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value style) override {
        open(mark, anchor);
        m_inner.OnMapStart(mark, tag, anchor, style);
    }

    void OnMapEnd() override {
        close();
        m_inner.OnMapEnd();
    }

private:
    // A collection still open: its anchor and how many values it holds so far, itself included.
    struct Open {
        YAML::anchor_t anchor = YAML::NullAnchor;
        std::size_t count = 1;
    };

    void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
        if (m_open.size() >= m_rules.max_depth) {
            throw ReadError{
                {location_of(m_file, mark),
                 with_advice(fmt::format("values nested more than {} levels deep", m_rules.max_depth),
                             m_rules.depth_advice)}};
        }
        count(mark, 1);
        m_open.push_back({anchor, 1});
    }

    void close() {
        const Open done = m_open.back();
        m_open.pop_back();
        if (done.anchor != YAML::NullAnchor) m_anchors[done.anchor] = done.count;
        if (!m_open.empty()) m_open.back().count += done.count;
    }

    void add(const YAML::Mark& mark, YAML::anchor_t anchor, std::size_t values) {
        count(mark, values);
        if (anchor != YAML::NullAnchor) m_anchors[anchor] = values;
        if (!m_open.empty()) m_open.back().count += values;
    }

    void count(const YAML::Mark& mark, std::size_t values) {
        m_count += values;
        if (m_count > m_rules.max_values) {
            throw ReadError{
                {location_of(m_file, mark),
                 with_advice(fmt::format("the {} holds more than {} values (counting each alias's copy)",
                                         m_rules.noun, m_rules.max_values),
                             m_rules.values_advice)}};
        }
    }

    YAML::EventHandler& m_inner;
    const std::string& m_file;
    const ReadRules& m_rules;
    std::vector<Open> m_open;
    std::map<YAML::anchor_t, std::size_t> m_anchors;
    std::size_t m_count = 0;
};

} // namespace

Location location_of(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null()) return {file, 0, 0};
    return {file, mark.line + 1, mark.column + 1};
}

Reader::Reader(std::string_view text, const std::string& file, const ReadRules& rules)
    : m_text(text), m_file(file), m_rules(rules), m_stream(std::string(text)), m_parser(m_stream) {}

bool Reader::check_characters(const ProblemSink& report) const {
    const std::string_view text = m_text;
    if (const auto offset = invalid_utf8_offset(text)) {
        report({location_at(m_file, text, *offset),
                fmt::format("invalid UTF-8; save the {} as UTF-8", m_rules.noun)});
        return false;
    }
    bool ok = true;
    int line = 1;
    std::size_t line_start = 0;
    // Lines deeper than this indentation belong to a block scalar (| or >), where tabs are content.
    bool in_block = false;
    std::size_t block_indent = 0;
    while (line_start <= text.size()) {
        std::size_t line_end = text.find('\n', line_start);
        if (line_end == std::string_view::npos) line_end = text.size();
        const std::string_view content = text.substr(line_start, line_end - line_start);
        for (std::size_t i = 0; i < content.size(); ++i) {
            const auto c = static_cast<unsigned char>(content[i]);
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
                report({{m_file, line, static_cast<int>(i + 1)},
                        fmt::format("invalid control character 0x{:02x}; remove it", c)});
                ok = false;
            }
        }
        if (m_rules.refuse_tab_indentation) {
            std::size_t spaces = 0;
            while (spaces < content.size() && content[spaces] == ' ')
                ++spaces;
            const std::size_t first = content.find_first_not_of(" \t\r");
            const bool blank = first == std::string_view::npos;
            if (in_block && !blank && spaces <= block_indent) in_block = false;
            if (!in_block && !blank && content[first] != '#' &&
                content.substr(0, first).find('\t') != std::string_view::npos) {
                const std::size_t tab = content.find('\t');
                report({{m_file, line, static_cast<int>(tab + 1)},
                        "tab in indentation; YAML allows only spaces there"});
                ok = false;
            }
            if (!in_block && !blank) {
                // A line whose value is "|" or ">" (with indicators, perhaps a comment) opens a block scalar.
                std::string_view rest = content;
                if (const std::size_t hash = rest.find(" #"); hash != std::string_view::npos)
                    rest = rest.substr(0, hash);
                const std::size_t last = rest.find_last_not_of(" \t\r");
                if (last != std::string_view::npos) {
                    std::size_t start = last;
                    while (start > 0 &&
                           (is_ascii_digit(rest[start]) || rest[start] == '-' || rest[start] == '+'))
                        --start;
                    if ((rest[start] == '|' || rest[start] == '>') &&
                        (start == 0 || rest[start - 1] == ' ' || rest[start - 1] == '\t')) {
                        in_block = true;
                        block_indent = spaces;
                    }
                }
            }
        }
        if (line_end == text.size()) break;
        line_start = line_end + 1;
        ++line;
    }
    return ok;
}

bool Reader::next_document(YAML::EventHandler& handler) {
    Bounded bounded(handler, m_file, m_rules);
    try {
        return m_parser.HandleNextDocument(bounded);
    } catch (const YAML::Exception& error) {
        // A mark yaml-cpp could not place still points into the file, at its start.
        const Location where{m_file, error.mark.is_null() ? 1 : error.mark.line + 1,
                             error.mark.is_null() ? 1 : error.mark.column + 1};
        throw ReadError{{where, fmt::format("invalid YAML: {}", error.msg)}};
    }
}

} // namespace kq::yaml
