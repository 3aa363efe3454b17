#include "project/source.hpp"

#include "util/text.hpp"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <unordered_set>

namespace kq::project {

const SourceNode* SourceNode::find(std::string_view key) const {
    for (const SourceEntry& entry : entries) {
        if (entry.key == key) return &entry.value;
    }
    return nullptr;
}

SourceNode* SourceNode::find(std::string_view key) {
    for (SourceEntry& entry : entries) {
        if (entry.key == key) return &entry.value;
    }
    return nullptr;
}

namespace {

bool all_of(std::string_view text, bool (*predicate)(char)) {
    if (text.empty()) return false;
    for (const char c : text) {
        if (!predicate(c)) return false;
    }
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view without_sign(std::string_view text) {
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
    return text;
}

bool is_core_float(std::string_view text) {
    text = without_sign(text);
    if (text == ".inf" || text == ".Inf" || text == ".INF") return true;
    std::size_t i = 0;
    std::size_t digits = 0;
    while (i < text.size() && is_digit(text[i]))
        ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_digit(text[i]))
            ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
        if (i == text.size()) return false;
        while (i < text.size() && is_digit(text[i]))
            ++i;
    }
    return i == text.size();
}

} // namespace

ScalarType scalar_type(const SourceNode& node) {
    if (node.kind == NodeKind::null) return ScalarType::null;
    if (node.quoted) return ScalarType::string;
    const std::string_view text = node.text;
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL")
        return ScalarType::null;
    if (text == "true" || text == "True" || text == "TRUE" || text == "false" || text == "False" ||
        text == "FALSE") {
        return ScalarType::boolean;
    }
    if (all_of(without_sign(text), is_digit)) return ScalarType::integer;
    if (starts_with(text, "0o") && all_of(text.substr(2), is_octal)) return ScalarType::integer;
    if (starts_with(text, "0x") && all_of(text.substr(2), is_hex)) return ScalarType::integer;
    if (is_core_float(text) || text == ".nan" || text == ".NaN" || text == ".NAN")
        return ScalarType::floating;
    return ScalarType::string;
}

std::string describe_kind(const SourceNode& node) {
    switch (node.kind) {
    case NodeKind::map: return "a map";
    case NodeKind::sequence: return "a list";
    case NodeKind::null: return "an empty value";
    case NodeKind::scalar: break;
    }
    switch (scalar_type(node)) {
    case ScalarType::null: return "an empty value";
    case ScalarType::boolean: return "a boolean";
    case ScalarType::integer:
    case ScalarType::floating: return "a number";
    case ScalarType::string: break;
    }
    return "a string";
}

namespace {

// Thrown by the event handler to stop yaml-cpp at the first problem that makes going on pointless.
struct StopParsing {};

Location location_at(const std::string& file, std::string_view text, std::size_t offset) {
    int line = 1;
    int column = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {file, line, column};
}

// yaml-cpp accepts some inputs YAML forbids and reports others badly; these checks run first so the
// user reads a precise line and column. Returns false when parsing should not even be tried.
bool check_characters(std::string_view text, const std::string& file, Diagnostics& diagnostics) {
    if (const auto offset = invalid_utf8_offset(text)) {
        diagnostics.add(location_at(file, text, *offset), "invalid UTF-8; save the file as UTF-8");
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
                diagnostics.add({file, line, static_cast<int>(i + 1)},
                                fmt::format("invalid control character 0x{:02x}; remove it", c));
                ok = false;
            }
        }
        std::size_t spaces = 0;
        while (spaces < content.size() && content[spaces] == ' ')
            ++spaces;
        const std::size_t first = content.find_first_not_of(" \t\r");
        const bool blank = first == std::string_view::npos;
        if (in_block && !blank && spaces <= block_indent) in_block = false;
        if (!in_block && !blank && content[first] != '#' &&
            content.substr(0, first).find('\t') != std::string_view::npos) {
            const std::size_t tab = content.find('\t');
            diagnostics.add({file, line, static_cast<int>(tab + 1)},
                            "tab in indentation; YAML allows only spaces there");
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
                while (start > 0 && (is_digit(rest[start]) || rest[start] == '-' || rest[start] == '+'))
                    --start;
                if ((rest[start] == '|' || rest[start] == '>') &&
                    (start == 0 || rest[start - 1] == ' ' || rest[start - 1] == '\t')) {
                    in_block = true;
                    block_indent = spaces;
                }
            }
        }
        if (line_end == text.size()) break;
        line_start = line_end + 1;
        ++line;
    }
    return ok;
}

// Builds the SourceNode tree from yaml-cpp's parse events.
class TreeBuilder : public YAML::EventHandler {
public:
    TreeBuilder(std::string_view text, const std::string& file, Diagnostics& diagnostics)
        : m_text(text), m_file(file), m_diagnostics(diagnostics) {}

    // The document's root, once the document ended.
    std::optional<SourceNode>& root() { return m_root; }

    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        SourceNode node;
        node.location = location(mark);
        finish(std::move(node), anchor, 1);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        const auto found = m_anchors.find(anchor);
        if (found == m_anchors.end()) {
            // yaml-cpp numbers anchors as they open, so an alias to one still open is a cycle.
            m_diagnostics.add(location(mark),
                              "alias refers to the value that contains it; YAML values cannot be recursive");
            SourceNode node;
            node.location = location(mark);
            finish(std::move(node), YAML::NullAnchor, 1);
            return;
        }
        finish(SourceNode(found->second.node), YAML::NullAnchor, found->second.count);
    }

    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        SourceNode node;
        node.kind = NodeKind::scalar;
        node.text = value;
        // yaml-cpp tags plain scalars "?" and quoted or block scalars "!"; explicit core tags other than
        // !!str keep their meaning.
        node.quoted = tag != "?" && tag != "tag:yaml.org,2002:int" && tag != "tag:yaml.org,2002:float" &&
                      tag != "tag:yaml.org,2002:bool" && tag != "tag:yaml.org,2002:null";
        node.location = location(mark);
        if (tag == "!" && !quote_closed(mark)) {
            // yaml-cpp takes a quote left open at the end of the file as closed there.
            m_diagnostics.add(node.location, fmt::format("unterminated quoted string; end it with {}",
                                                         m_text[static_cast<std::size_t>(mark.pos)]));
        }
        finish(std::move(node), anchor, 1);
    }

    void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(NodeKind::sequence, mark, anchor);
    }

    void OnSequenceEnd() override { close(); }

    void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(NodeKind::map, mark, anchor);
    }

    void OnMapEnd() override { close(); }

private:
    // A collection being built, with its anchor and, for a map, the key awaiting its value.
    struct Frame {
        SourceNode node;
        YAML::anchor_t anchor = YAML::NullAnchor;
        std::size_t count = 1;
        std::optional<SourceEntry> pending_key;
        std::unordered_set<std::string> keys;
    };

    // An anchored value, kept to copy at each alias, with its size for the node budget.
    struct Anchored {
        SourceNode node;
        std::size_t count = 0;
    };

    // False only for a quoted scalar starting at mark whose closing quote never comes.
    bool quote_closed(const YAML::Mark& mark) const {
        if (mark.pos < 0 || static_cast<std::size_t>(mark.pos) >= m_text.size()) return true;
        const std::size_t start = static_cast<std::size_t>(mark.pos);
        const char quote_char = m_text[start];
        if (quote_char != '"' && quote_char != '\'') return true;
        for (std::size_t i = start + 1; i < m_text.size(); ++i) {
            if (quote_char == '"' && m_text[i] == '\\') {
                ++i;
                continue;
            }
            if (m_text[i] != quote_char) continue;
            // In single quotes, '' is an escaped quote.
            if (quote_char == '\'' && i + 1 < m_text.size() && m_text[i + 1] == '\'') {
                ++i;
                continue;
            }
            return true;
        }
        return false;
    }

    Location location(const YAML::Mark& mark) const {
        return {m_file, mark.is_null() ? 0 : mark.line + 1, mark.is_null() ? 0 : mark.column + 1};
    }

    void open(NodeKind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
        if (static_cast<int>(m_stack.size()) >= k_max_nesting_depth) {
            m_diagnostics.add(location(mark), fmt::format("values nested more than {} levels deep; "
                                                          "flatten the file",
                                                          k_max_nesting_depth));
            throw StopParsing{};
        }
        Frame frame;
        frame.node.kind = kind;
        frame.node.location = location(mark);
        frame.anchor = anchor;
        m_stack.push_back(std::move(frame));
    }

    void close() {
        Frame frame = std::move(m_stack.back());
        m_stack.pop_back();
        if (frame.pending_key) {
            // yaml-cpp always sends a value after a key; this is only a guard.
            frame.node.entries.push_back(std::move(*frame.pending_key));
        }
        finish(std::move(frame.node), frame.anchor, frame.count);
    }

    // Hands a finished value to its parent (or makes it the root) and records its anchor.
    void finish(SourceNode node, YAML::anchor_t anchor, std::size_t count) {
        m_count += count;
        if (m_count > k_max_nodes) {
            m_diagnostics.add(node.location, fmt::format("the file holds more than {} values (counting each "
                                                         "alias's copy); split it or use fewer aliases",
                                                         k_max_nodes));
            throw StopParsing{};
        }
        if (anchor != YAML::NullAnchor) m_anchors[anchor] = Anchored{node, count};
        if (m_stack.empty()) {
            m_root = std::move(node);
            return;
        }
        Frame& parent = m_stack.back();
        parent.count += count;
        if (parent.node.kind == NodeKind::sequence) {
            parent.node.items.push_back(std::move(node));
            return;
        }
        if (!parent.pending_key) {
            SourceEntry entry;
            entry.key_location = node.location;
            if (node.kind == NodeKind::scalar) {
                entry.key = node.text;
            } else if (node.kind == NodeKind::map && node.entries.size() == 1 &&
                       node.entries.front().value.kind == NodeKind::null) {
                // "key: {{ params.x }}" reads as a flow map used as a key: the template needs quotes.
                m_diagnostics.add(node.location, "a value starting with \"{\" is a YAML flow map; "
                                                 "quote a template: \"{{ params.NAME }}\"");
            } else if (node.kind != NodeKind::null) {
                m_diagnostics.add(node.location, fmt::format("{} as a map key; keys must be plain strings",
                                                             describe_kind(node)));
            }
            parent.pending_key = std::move(entry);
            return;
        }
        SourceEntry entry = std::move(*parent.pending_key);
        parent.pending_key.reset();
        entry.value = std::move(node);
        if (!parent.keys.insert(entry.key).second) {
            m_diagnostics.add(
                entry.key_location,
                fmt::format("duplicate key {}; each key may appear once in a map", quote(entry.key)));
            return;
        }
        parent.node.entries.push_back(std::move(entry));
    }

    std::string_view m_text;
    const std::string& m_file;
    Diagnostics& m_diagnostics;
    std::vector<Frame> m_stack;
    std::map<YAML::anchor_t, Anchored> m_anchors;
    std::optional<SourceNode> m_root;
    std::size_t m_count = 0;
};

} // namespace

SourceNode parse_yaml(std::string_view text, const std::string& file, Diagnostics& diagnostics) {
    if (!check_characters(text, file, diagnostics)) return {};
    std::istringstream stream{std::string(text)};
    TreeBuilder builder(text, file, diagnostics);
    try {
        YAML::Parser parser(stream);
        if (!parser.HandleNextDocument(builder)) {
            diagnostics.add({file, 1, 1}, "the project file is empty; start it with \"version: 1\"");
            return {};
        }
        // A second document would be silently ignored, so say so instead.
        std::optional<SourceNode> first = std::move(builder.root());
        builder.root().reset();
        Diagnostics ignored;
        TreeBuilder rest(text, file, ignored);
        if (parser.HandleNextDocument(rest)) {
            const Location where = rest.root() ? rest.root()->location : Location{file, 1, 1};
            diagnostics.add(where, "a second YAML document; a project file holds one, so remove the \"---\"");
        }
        if (!first) return {};
        return std::move(*first);
    } catch (const StopParsing&) {
        return {};
    } catch (const YAML::Exception& error) {
        const Location where{file, error.mark.is_null() ? 1 : error.mark.line + 1,
                             error.mark.is_null() ? 1 : error.mark.column + 1};
        diagnostics.add(where, fmt::format("invalid YAML: {}", error.msg));
        return {};
    }
}

} // namespace kq::project
