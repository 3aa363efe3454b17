#include "util/table.hpp"

#include <doctest/doctest.h>

#include <sstream>

TEST_CASE("Table aligns columns with three spaces like kubectl") {
    kq::Table table({"NAME", "STATUS", "AGE"});
    table.add_row({"hello-abcde", "Complete", "5m"});
    table.add_row({"pi-x", "Running", "10s"});
    std::ostringstream out;
    table.print(out);
    CHECK(out.str() == "NAME          STATUS     AGE\n"
                       "hello-abcde   Complete   5m\n"
                       "pi-x          Running    10s\n");

    std::ostringstream bare;
    table.print(bare, false);
    CHECK(bare.str() == "hello-abcde   Complete   5m\n"
                        "pi-x          Running    10s\n");
}

TEST_CASE("Table cuts the widest column to fit a width, never the name") {
    kq::Table table({"NAME", "DESCRIPTION"});
    table.add_row({"a-very-long-name", "a description that goes on and on"});
    std::ostringstream out;
    table.print(out, true, 40);
    CHECK(out.str() == "NAME               DESCRIPTION\n"
                       "a-very-long-name   a description that g\xE2\x80\xA6\n");
}

TEST_CASE("Table shares a cut between wide columns and keeps headers whole") {
    kq::Table table({"NAME", "DEFINITION", "STATUS", "AGE"});
    table.add_row({"job-1", "a-definition-that-is-long", "a-status-that-is-long-too", "5m"});
    std::ostringstream out;
    table.print(out, true, 50);
    CHECK(out.str() == "NAME    DEFINITION         STATUS              AGE\n"
                       "job-1   a-definition-th\xE2\x80\xA6   a-status-that-is\xE2\x80\xA6   5m\n");

    // Too narrow for even the headers: columns stop at their header's width and the line overflows.
    std::ostringstream narrow;
    table.print(narrow, true, 10);
    CHECK(narrow.str() == "NAME    DEFINITION   STATUS   AGE\n"
                          "job-1   a-definit\xE2\x80\xA6   a-sta\xE2\x80\xA6   5m\n");
}

TEST_CASE("display_width counts code points") {
    CHECK(kq::display_width("abc") == 3);
    CHECK(kq::display_width("h\xC3\xA9llo") == 5);
    CHECK(kq::display_width("") == 0);
}
