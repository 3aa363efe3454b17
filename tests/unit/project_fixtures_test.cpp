#include "project/diagnostics.hpp"
#include "project/loader.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using kq::testing::file_contents;
using kq::testing::run_kq;
using kq::testing::source_path;

namespace {

// The lines validate prints for a project file, named by its file name alone.
std::string validate_lines(const std::filesystem::path& path) {
    kq::project::Diagnostics diagnostics;
    kq::project::parse_project(file_contents(path), path.filename().string(), diagnostics);
    std::string lines;
    for (const auto& diagnostic : diagnostics.sorted())
        lines += kq::project::to_string(diagnostic) + "\n";
    return lines;
}

} // namespace

TEST_CASE("fixtures: each invalid fixture reports exactly its .err file") {
    const std::filesystem::path folder = source_path("tests/fixtures/invalid");
    int count = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        if (entry.path().extension() != ".yaml") continue;
        CAPTURE(entry.path().filename().string());
        std::filesystem::path expected = entry.path();
        expected.replace_extension(".err");
        const std::string actual = validate_lines(entry.path());
        if (const char* update = std::getenv("KQ_UPDATE_GOLDEN");
            update != nullptr && std::string(update) == "1") {
            std::ofstream(expected, std::ios::binary) << actual;
        }
        REQUIRE(std::filesystem::exists(expected));
        CHECK(actual == file_contents(expected));
        CHECK(!actual.empty());
        ++count;
    }
    CHECK(count >= 20);
}

TEST_CASE("fixtures: every valid fixture validates cleanly") {
    for (const auto& entry : std::filesystem::directory_iterator(source_path("tests/fixtures/valid"))) {
        if (entry.path().extension() != ".yaml") continue;
        CAPTURE(entry.path().string());
        CHECK(validate_lines(entry.path()) == "");
    }
}

TEST_CASE("fixtures: kq validate prints the fixture's lines on stderr and exits 125") {
    const std::filesystem::path fixture = source_path("tests/fixtures/invalid/unknown_key.yaml");
    const std::filesystem::path previous = std::filesystem::current_path();
    std::filesystem::current_path(fixture.parent_path());
    const auto result = run_kq({"-f", "unknown_key.yaml", "validate"});
    const auto as_json = run_kq({"-f", "unknown_key.yaml", "validate", "-o", "json"});
    std::filesystem::current_path(previous);
    CHECK(result.status == 125);
    CHECK(result.out == "");
    CHECK(result.err ==
          "unknown_key.yaml:4:5: unknown key \"imag\" in job \"hello\"; did you mean \"image\"?\n"
          "kq: error: unknown_key.yaml: 1 error\n");
    CHECK(as_json.status == 125);
    CHECK(as_json.out == "[\n"
                         "    {\n"
                         "        \"column\": 5,\n"
                         "        \"file\": \"unknown_key.yaml\",\n"
                         "        \"line\": 4,\n"
                         "        \"message\": \"unknown key \\\"imag\\\" in job \\\"hello\\\"; did you mean "
                         "\\\"image\\\"?\"\n"
                         "    }\n"
                         "]\n");
    CHECK(as_json.err == "kq: error: unknown_key.yaml: 1 error\n");
}
