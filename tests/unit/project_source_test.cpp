#include "project/source.hpp"

#include <doctest/doctest.h>

#include <string>

using kq::project::Diagnostics;
using kq::project::NodeKind;
using kq::project::parse_yaml;
using kq::project::scalar_type;
using kq::project::ScalarType;
using kq::project::SourceNode;

namespace {

std::string first_problem(const std::string& text) {
    Diagnostics diagnostics;
    parse_yaml(text, "t.yaml", diagnostics);
    const auto sorted = diagnostics.sorted();
    return sorted.empty() ? "" : kq::project::to_string(sorted.front());
}

} // namespace

TEST_CASE("parse_yaml keeps order, text and 1-based locations") {
    Diagnostics diagnostics;
    const SourceNode root = parse_yaml("b: 1\na:\n  - x\n  - 'y'\n", "t.yaml", diagnostics);
    REQUIRE(diagnostics.empty());
    REQUIRE(root.kind == NodeKind::map);
    REQUIRE(root.entries.size() == 2);
    CHECK(root.entries[0].key == "b");
    CHECK(root.entries[1].key == "a");
    CHECK(root.entries[1].key_location.line == 2);
    CHECK(root.entries[1].key_location.column == 1);
    const SourceNode* list = root.find("a");
    REQUIRE(list != nullptr);
    REQUIRE(list->items.size() == 2);
    CHECK(list->items[1].text == "y");
    CHECK(list->items[1].quoted);
    CHECK_FALSE(list->items[0].quoted);
    CHECK(list->items[1].location.line == 4);
    CHECK(list->items[1].location.column == 5);
    CHECK(list->items[1].location.file == "t.yaml");
}

TEST_CASE("scalar_type follows the YAML 1.2 core schema") {
    const auto type_of = [](const std::string& text, bool quoted = false) {
        SourceNode node;
        node.kind = NodeKind::scalar;
        node.text = text;
        node.quoted = quoted;
        return scalar_type(node);
    };
    CHECK(type_of("42") == ScalarType::integer);
    CHECK(type_of("-7") == ScalarType::integer);
    CHECK(type_of("0x1F") == ScalarType::integer);
    CHECK(type_of("1.5") == ScalarType::floating);
    CHECK(type_of("1e3") == ScalarType::floating);
    CHECK(type_of(".inf") == ScalarType::floating);
    CHECK(type_of("true") == ScalarType::boolean);
    CHECK(type_of("yes") == ScalarType::string);
    CHECK(type_of("~") == ScalarType::null);
    CHECK(type_of("null") == ScalarType::null);
    CHECK(type_of("42", true) == ScalarType::string);
    CHECK(type_of("100m") == ScalarType::string);
}

TEST_CASE("parse_yaml reports what yaml-cpp lets through") {
    CHECK(first_problem("a: 1\na: 2\n") ==
          "t.yaml:2:1: duplicate key \"a\"; each key may appear once in a map");
    CHECK(first_problem("a:\n\tb: 1\n") == "t.yaml:2:1: tab in indentation; YAML allows only spaces there");
    CHECK(first_problem("a: \"open\n") == "t.yaml:1:4: unterminated quoted string; end it with \"");
    CHECK(first_problem("a: [1\n") == "t.yaml:2:1: invalid YAML: end of sequence flow not found");
    CHECK(first_problem("a: 1\n---\nb: 2\n") ==
          "t.yaml:3:1: a second YAML document; a project file holds one, so remove the \"---\"");
    CHECK(first_problem("") == "t.yaml:1:1: the project file is empty; start it with \"version: 1\"");
    CHECK(first_problem("a: {{ params.x }}\n") == "t.yaml:1:5: a value starting with \"{\" is a YAML flow "
                                                  "map; quote a template: \"{{ params.NAME }}\"");
}

TEST_CASE("tabs are fine inside block scalars and after the indentation") {
    CHECK(first_problem("a: |\n  line\n  \tindented with a tab\nb:\tc\n") == "");
}

TEST_CASE("aliases copy the anchored value, within a budget") {
    Diagnostics diagnostics;
    const SourceNode root = parse_yaml("a: &x {k: v}\nb: *x\n", "t.yaml", diagnostics);
    REQUIRE(diagnostics.empty());
    REQUIRE(root.find("b") != nullptr);
    REQUIRE(root.find("b")->find("k") != nullptr);
    CHECK(root.find("b")->find("k")->text == "v");

    // A "billion laughs" document: each level doubles; the budget stops it long before memory does.
    std::string laughs = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i < 30; ++i) {
        laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" + std::to_string(i - 1) +
                  ", *l" + std::to_string(i - 1) + ", *l" + std::to_string(i - 1) + "]\n";
    }
    CHECK(first_problem(laughs).find("the file holds more than 200000 values") != std::string::npos);
}

TEST_CASE("deep nesting is refused, not recursed into") {
    std::string deep;
    for (int i = 0; i < 100000; ++i)
        deep += "[";
    const std::string problem = first_problem(deep);
    CHECK(problem.find("t.yaml:1:") == 0);
    std::string nested_maps;
    for (int i = 0; i < 70; ++i)
        nested_maps += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
    CHECK(first_problem(nested_maps).find("values nested more than 64 levels deep") != std::string::npos);
}

TEST_CASE("invalid UTF-8 and control characters are located") {
    CHECK(first_problem("a: b\nc: \xFF\n") == "t.yaml:2:4: invalid UTF-8; save the file as UTF-8");
    CHECK(first_problem("a: b\x07\n") == "t.yaml:1:5: invalid control character 0x07; remove it");
}
