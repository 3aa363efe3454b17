#include "project/source.hpp"

#include "util/text.hpp"
#include "yaml/reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <map>
#include <memory>
#include <optional>
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

bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view without_sign(std::string_view text) {
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
    return text;
}

bool is_core_float(std::string_view text) {
    text = without_sign(text);
    if (text == ".inf" || text == ".Inf" || text == ".INF") return true;
    std::size_t i = 0;
    std::size_t digits = 0;
    while (i < text.size() && is_ascii_digit(text[i]))
        ++i, ++digits;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && is_ascii_digit(text[i]))
            ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
        if (i == text.size()) return false;
        while (i < text.size() && is_ascii_digit(text[i]))
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
    if (all_of(without_sign(text), is_ascii_digit)) return ScalarType::integer;
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
        finish(std::move(node), anchor);
    }

    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        const auto found = m_anchors.find(anchor);
        if (found == m_anchors.end()) {
            // yaml-cpp numbers anchors as they open, so an alias to one still open is a cycle.
            m_diagnostics.add(location(mark),
                              "alias refers to the value that contains it; YAML values cannot be recursive");
            SourceNode node;
            node.location = location(mark);
            finish(std::move(node), YAML::NullAnchor);
            return;
        }
        finish(SourceNode(found->second), YAML::NullAnchor);
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
        finish(std::move(node), anchor);
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
        std::optional<SourceEntry> pending_key;
        std::unordered_set<std::string> keys;
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

    Location location(const YAML::Mark& mark) const { return yaml::location_of(m_file, mark); }

    // The reader keeps nesting within k_max_nesting_depth.
    void open(NodeKind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
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
        finish(std::move(frame.node), frame.anchor);
    }

    // Hands a finished value to its parent (or makes it the root) and records its anchor. The reader
    // keeps the values, each alias's copy counted, within k_max_nodes.
    void finish(SourceNode node, YAML::anchor_t anchor) {
        if (anchor != YAML::NullAnchor) m_anchors[anchor] = node;
        if (m_stack.empty()) {
            m_root = std::move(node);
            return;
        }
        Frame& parent = m_stack.back();
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
    std::map<YAML::anchor_t, SourceNode> m_anchors;
    std::optional<SourceNode> m_root;
};

} // namespace

SourceNode parse_yaml(std::string_view text, const std::string& file, Diagnostics& diagnostics) {
    static constexpr yaml::ReadRules k_rules{.noun = "file",
                                             .max_depth = k_max_nesting_depth,
                                             .max_values = k_max_nodes,
                                             .depth_advice = "flatten the file",
                                             .values_advice = "split it or use fewer aliases",
                                             .refuse_tab_indentation = true};
    yaml::Reader reader(text, file, k_rules);
    if (!reader.check_characters(
            [&](yaml::Problem problem) { diagnostics.add(problem.where, std::move(problem.message)); })) {
        return {};
    }
    TreeBuilder builder(text, file, diagnostics);
    try {
        if (!reader.next_document(builder)) {
            diagnostics.add({file, 1, 1}, "the project file is empty; start it with \"version: 1\"");
            return {};
        }
        // A second document would be silently ignored, so say so instead.
        std::optional<SourceNode> first = std::move(builder.root());
        builder.root().reset();
        Diagnostics ignored;
        TreeBuilder rest(text, file, ignored);
        if (reader.next_document(rest)) {
            const Location where = rest.root() ? rest.root()->location : Location{file, 1, 1};
            diagnostics.add(where, "a second YAML document; a project file holds one, so remove the \"---\"");
        }
        if (!first) return {};
        return std::move(*first);
    } catch (const yaml::ReadError& error) {
        diagnostics.add(error.problem.where, error.problem.message);
        return {};
    }
}

} // namespace kq::project
