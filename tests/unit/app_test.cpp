#include "test_helpers.hpp"
#include "util/error.hpp"
#include "util/version.hpp"

#include <doctest/doctest.h>

using kq::testing::run_kq;

TEST_CASE("--version prints the version and exits 0") {
    auto result = run_kq({"--version"});
    CHECK(result.status == 0);
    CHECK(result.out == std::string("kq ") + kq::k_version + "\n");
    CHECK(result.err.empty());
}

TEST_CASE("no command is a usage error") {
    auto result = run_kq({});
    CHECK(result.status == kq::k_exit_usage);
    CHECK(result.out.empty());
    CHECK(result.err.rfind("kq: error: ", 0) == 0);
}

TEST_CASE("an unknown command is a usage error") {
    auto result = run_kq({"frobnicate"});
    CHECK(result.status == kq::k_exit_usage);
    CHECK(result.out.empty());
    CHECK(result.err.find("frobnicate") != std::string::npos);
}

TEST_CASE("--help lists every command") {
    auto result = run_kq({"--help"});
    CHECK(result.status == 0);
    for (const char* name : {"render", "validate", "jobs", "help"}) {
        CAPTURE(name);
        CHECK(result.out.find(name) != std::string::npos);
    }
}

TEST_CASE("help COMMAND prints that command's help") {
    auto direct = run_kq({"render", "--help"});
    auto via_help = run_kq({"help", "render"});
    CHECK(direct.status == 0);
    CHECK(via_help.status == 0);
    CHECK(direct.out == via_help.out);
    auto unknown = run_kq({"help", "nope"});
    CHECK(unknown.status == kq::k_exit_usage);
    CHECK(unknown.err == "kq: error: unknown command \"nope\"; run 'kq --help' for the list\n");
}
