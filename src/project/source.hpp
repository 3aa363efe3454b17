#pragma once

#include "project/diagnostics.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kq::project {

// What a node of a parsed YAML document is.
enum class NodeKind { null, scalar, sequence, map };

struct SourceEntry;

// One value of a project file as written, with where it was written; the loader's own tree, so nothing
// past the YAML parser depends on yaml-cpp.
struct SourceNode {
    NodeKind kind = NodeKind::null;
    // The scalar's text, after YAML unescaping; empty for collections and null.
    std::string text;
    // True when the scalar was quoted, a block scalar or tagged !!str: a string, whatever it looks like.
    bool quoted = false;
    // The items of a sequence, in order.
    std::vector<SourceNode> items;
    // The entries of a map, in the order written, keys unique.
    std::vector<SourceEntry> entries;
    // Where the value starts.
    Location location;

    // The value of key in a map, or nullptr when absent or this is not a map.
    const SourceNode* find(std::string_view key) const;

    // The value of key in a map, or nullptr when absent or this is not a map.
    SourceNode* find(std::string_view key);

    // True for a scalar or null.
    bool is_scalar_or_null() const { return kind == NodeKind::scalar || kind == NodeKind::null; }
};

// One key and value of a map.
struct SourceEntry {
    std::string key;
    Location key_location;
    SourceNode value;
};

// How a node reads in a message: "a map", "a list", "an empty value", "a number", "a boolean" or "a string".
std::string describe_kind(const SourceNode& node);

// Limits that keep any input, however malformed, from exhausting the stack or memory.
inline constexpr int k_max_nesting_depth = 64;
inline constexpr std::size_t k_max_nodes = 200000;

// Parses one YAML document into a SourceNode tree. Problems go to diagnostics: tabs in indentation,
// invalid UTF-8 and control characters, YAML syntax errors (fatal), duplicate keys, non-scalar keys,
// aliases to unknown anchors, nesting deeper than k_max_nesting_depth and more than k_max_nodes values.
// Returns a null node when the document could not be read at all.
SourceNode parse_yaml(std::string_view text, const std::string& file, Diagnostics& diagnostics);

} // namespace kq::project

namespace kq::project {

// What a scalar means under the YAML 1.2 core schema (quoted scalars are always strings).
enum class ScalarType { null, boolean, integer, floating, string };

// The type of a scalar or null node under the YAML 1.2 core schema.
ScalarType scalar_type(const SourceNode& node);

} // namespace kq::project
