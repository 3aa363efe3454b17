#include "util/error.hpp"
#include "util/files.hpp"
#include "util/pattern.hpp"
#include "util/sha256.hpp"
#include "util/text.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

TEST_CASE("edit_distance counts insertions, deletions, substitutions and swaps") {
    CHECK(kq::edit_distance("", "") == 0);
    CHECK(kq::edit_distance("image", "image") == 0);
    CHECK(kq::edit_distance("imag", "image") == 1);
    CHECK(kq::edit_distance("jbos", "jobs") == 1);
    CHECK(kq::edit_distance("kitten", "sitting") == 3);
    CHECK(kq::edit_distance("", "abc") == 3);
}

TEST_CASE("lower, trim and lower_first") {
    CHECK(kq::lower("Content-Type: ÄB") == "content-type: Äb");
    CHECK(kq::trim(" \t value \r\n") == "value");
    CHECK(kq::trim(" \t\r\n") == "");
    CHECK(kq::trim("\r value \t", " \t") == "\r value");
    CHECK(kq::lower_first("No such file or directory") == "no such file or directory");
    CHECK(kq::lower_first("TLS handshake failed") == "TLS handshake failed");
    CHECK(kq::lower_first("A") == "a");
    CHECK(kq::lower_first("") == "");
    CHECK(kq::lower_first("éA") == "éA");
}

TEST_CASE("closest_match suggests likely typos only") {
    const std::vector<std::string> keys = {"image", "command", "args", "env"};
    CHECK(kq::closest_match("imag", keys) == "image");
    CHECK(kq::closest_match("comand", keys) == "command");
    CHECK(kq::closest_match("IMAGE", keys) == "image");
    CHECK(kq::closest_match("x", keys) == std::nullopt);
    CHECK(kq::closest_match("completely-different", keys) == std::nullopt);
    CHECK(kq::closest_match(std::string(1000, 'a'), keys) == std::nullopt);
}

TEST_CASE("quote escapes what would garble a message") {
    CHECK(kq::quote("plain") == "\"plain\"");
    CHECK(kq::quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(kq::quote("line\nnext\t\x01") == "\"line\\nnext\\t\\x01\"");
}

TEST_CASE("plural, join and join_quoted") {
    CHECK(kq::plural(1, "job", "jobs") == "1 job");
    CHECK(kq::plural(0, "job", "jobs") == "0 jobs");
    const std::vector<std::string> items = {"a", "b"};
    CHECK(kq::join(items, ", ") == "a, b");
    CHECK(kq::join_quoted(items) == "\"a\", \"b\"");
}

TEST_CASE("invalid_utf8_offset finds the first bad byte") {
    CHECK(kq::invalid_utf8_offset("plain ascii") == std::nullopt);
    CHECK(kq::invalid_utf8_offset("h\xC3\xA9llo \xE2\x80\xA6 \xF0\x9F\x98\x80") == std::nullopt);
    CHECK(kq::invalid_utf8_offset("ab\xFF") == 2);
    CHECK(kq::invalid_utf8_offset("ab\xC3") == 2);
    CHECK(kq::invalid_utf8_offset("\xC0\xAF") == 0);      // overlong "/"
    CHECK(kq::invalid_utf8_offset("x\xED\xA0\x80") == 1); // a surrogate
}

TEST_CASE("sha256_hex matches the standard test vectors") {
    CHECK(kq::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(kq::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Pattern searches unanchored, as JSON Schema's pattern") {
    const kq::Pattern digits = kq::Pattern::compile("^[0-9]{1,5}$");
    REQUIRE(digits.valid());
    CHECK(digits.search("12345"));
    CHECK_FALSE(digits.search("123456"));
    CHECK_FALSE(digits.search("12a"));
    const kq::Pattern anywhere = kq::Pattern::compile("b+");
    CHECK(anywhere.search("abbbc"));
}

TEST_CASE("Pattern refuses what could hang or crash kq") {
    CHECK_FALSE(kq::Pattern::compile("(a").valid());
    CHECK(kq::Pattern::compile("(a").error() == "unmatched \"(\"");
    CHECK_FALSE(kq::Pattern::compile("(a)\\1").valid());
    CHECK_FALSE(kq::Pattern::compile(std::string(1001, 'a')).valid());
    CHECK_FALSE(kq::Pattern::compile("(a{1000}){1000}").valid());
    // Exponential for a backtracking matcher; linear here.
    const kq::Pattern evil = kq::Pattern::compile("^(a+)+$");
    REQUIRE(evil.valid());
    std::string almost(4001, 'a');
    almost.back() = '!';
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(evil.search(almost));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    // Longer inputs than the limit never match rather than risk the stack.
    CHECK_FALSE(kq::Pattern::compile("a").search(std::string(5000, 'a')));
}

TEST_CASE("find_upwards finds the nearest file, as git finds .git") {
    const std::filesystem::path root = std::filesystem::temp_directory_path() / "kq-util-find-upwards";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "a" / "b" / "c");
    std::ofstream(root / "kq.yaml") << "version: 1\n";
    std::ofstream(root / "a" / "b" / "kq.yml") << "version: 1\n";
    const std::vector<std::string> names = {"kq.yaml", "kq.yml"};
    CHECK(kq::find_upwards(root / "a" / "b" / "c", names) == root / "a" / "b" / "kq.yml");
    CHECK(kq::find_upwards(root / "a", names) == root / "kq.yaml");
    std::ofstream(root / "a" / "b" / "kq.yaml") << "version: 1\n";
    CHECK(kq::find_upwards(root / "a" / "b", names) == root / "a" / "b" / "kq.yaml");
    CHECK(kq::display_path(root / "kq.yaml", root / "a" / "b") == "../../kq.yaml");
    CHECK(kq::display_path(root / "kq.yaml", root) == "kq.yaml");
    std::filesystem::remove_all(root);
}

TEST_CASE("read_file refuses folders, missing and oversized files") {
    const std::filesystem::path root = std::filesystem::temp_directory_path() / "kq-util-read-file";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    std::ofstream(root / "small") << "hello";
    std::ofstream(root / "big") << std::string(100, 'x');
    CHECK(kq::read_file(root / "small", "small", 10) == "hello");
    CHECK_THROWS_WITH_AS(kq::read_file(root / "big", "big", 10),
                         "big: the file is 100 bytes, more than the 10 bytes allowed", kq::Error);
    CHECK_THROWS_WITH_AS(kq::read_file(root / "missing", "missing", 10),
                         "missing: cannot read: no such file or directory", kq::Error);
    CHECK_THROWS_WITH_AS(kq::read_file(root, "dir", 10), "dir: is a folder, not a file", kq::Error);
    std::filesystem::remove_all(root);
}
