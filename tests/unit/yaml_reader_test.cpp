// The bounded YAML reader (src/yaml) that the kubeconfig and the project file share.
#include "yaml/reader.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using kq::yaml::Problem;
using kq::yaml::Reader;
using kq::yaml::ReadRules;

std::vector<std::string> character_problems(const std::string& text, const ReadRules& rules) {
    const std::string file = "f.yaml";
    Reader reader(text, file, rules);
    std::vector<std::string> found;
    reader.check_characters(
        [&](Problem problem) { found.push_back(problem.where.str() + ": " + problem.message); });
    return found;
}

// The message of the first problem reading every document of text, or "" when there is none.
std::string read_problem(const std::string& text, const ReadRules& rules) {
    const std::string file = "f.yaml";
    Reader reader(text, file, rules);
    kq::yaml::IgnoreEvents ignore;
    try {
        while (reader.next_document(ignore)) {
        }
    } catch (const kq::yaml::ReadError& error) {
        return error.problem.where.str() + ": " + error.problem.message;
    }
    return "";
}

} // namespace

TEST_CASE("yaml: a location counts lines and byte columns from 1; without a line it is the file") {
    CHECK(kq::yaml::location_at("f", "ab\ncd", 4).str() == "f:2:2");
    CHECK(kq::yaml::location_at("f", "ab", 99).str() == "f:1:3");
    CHECK(kq::yaml::Location{"f", 0, 0}.str() == "f");
}

TEST_CASE("yaml: characters are checked in the order of the text, naming what is read") {
    const ReadRules kubeconfig{.noun = "kubeconfig",
                               .max_depth = 64,
                               .max_values = 200000,
                               .depth_advice = "",
                               .values_advice = "",
                               .refuse_tab_indentation = false};
    ReadRules project = kubeconfig;
    project.noun = "file";
    project.refuse_tab_indentation = true;
    CHECK(character_problems("a: \xf6\n", kubeconfig) ==
          std::vector<std::string>{"f.yaml:1:4: invalid UTF-8; save the kubeconfig as UTF-8"});
    const std::string text = std::string("a:\n\tb: 1\nc: x\0y\x7f\n", 17);
    CHECK(character_problems(text, kubeconfig) ==
          std::vector<std::string>{"f.yaml:3:5: invalid control character 0x00; remove it",
                                   "f.yaml:3:7: invalid control character 0x7f; remove it"});
    CHECK(character_problems(text, project) ==
          std::vector<std::string>{"f.yaml:2:1: tab in indentation; YAML allows only spaces there",
                                   "f.yaml:3:5: invalid control character 0x00; remove it",
                                   "f.yaml:3:7: invalid control character 0x7f; remove it"});
    CHECK(character_problems("a: |\n  x\n  \ty\n", project).empty());
}

TEST_CASE("yaml: depth and values are bounded, each alias counting as a copy") {
    const ReadRules rules{.noun = "file",
                          .max_depth = 3,
                          .max_values = 10,
                          .depth_advice = "flatten it",
                          .values_advice = "",
                          .refuse_tab_indentation = false};
    CHECK(read_problem("[[[x]]]", rules) == "");
    CHECK(read_problem("[[[[x]]]]", rules) ==
          "f.yaml:1:4: values nested more than 3 levels deep; flatten it");
    // A list and nine scalars are ten values; one more is too many.
    CHECK(read_problem("[1, 2, 3, 4, 5, 6, 7, 8, 9]", rules) == "");
    CHECK(read_problem("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", rules) ==
          "f.yaml:1:29: the file holds more than 10 values (counting each alias's copy)");
    // The anchored list holds three values; its two aliases copy three each: 1 + 3 + 3 + 3 = 10.
    CHECK(read_problem("[&a [x, y], *a, *a]", rules) == "");
    CHECK(read_problem("[&a [x, y], *a, *a, *a]", rules) ==
          "f.yaml:1:21: the file holds more than 10 values (counting each alias's copy)");
    // Each document has its own budget.
    CHECK(read_problem("[1, 2, 3, 4, 5, 6, 7, 8, 9]\n---\n[1, 2, 3, 4, 5, 6, 7, 8, 9]\n", rules) == "");
}

TEST_CASE("yaml: invalid YAML is located") {
    const ReadRules rules;
    CHECK(read_problem("a: [1, 2\n", rules).rfind("f.yaml:", 0) == 0);
    CHECK(read_problem("a: [1, 2\n", rules).find(": invalid YAML: ") != std::string::npos);
}
