#include "util/time.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

TEST_CASE("parse_rfc3339 reads the API's timestamps") {
    auto plain = kq::parse_rfc3339("2026-11-27T23:00:53Z");
    REQUIRE(plain);
    CHECK(kq::format_rfc3339(*plain) == "2026-11-27T23:00:53Z");
    CHECK(plain->time_since_epoch().count() == 1795820453);

    auto fraction = kq::parse_rfc3339("2026-11-27T23:00:53.123456Z");
    REQUIRE(fraction);
    CHECK(*fraction == *plain);

    auto offset = kq::parse_rfc3339("2026-11-28T01:00:53+02:00");
    REQUIRE(offset);
    CHECK(*offset == *plain);
}

TEST_CASE("parse_rfc3339 refuses what is not a timestamp") {
    for (const char* text : {"", "2026-11-27", "2026-11-27T23:00:53", "2026-13-01T00:00:00Z",
                             "2026-02-30T00:00:00Z", "2026-11-27T23:00:53Zjunk", "2026-11-27T25:00:00Z",
                             "2026-11-27T23:00:53.Z", "2026-11-27T23:00:53+0200"}) {
        CAPTURE(text);
        CHECK_FALSE(kq::parse_rfc3339(text));
    }
}

TEST_CASE("human_duration reads like kubectl's ages") {
    CHECK(kq::human_duration(-5s) == "<invalid>");
    CHECK(kq::human_duration(-1s) == "0s");
    CHECK(kq::human_duration(0s) == "0s");
    CHECK(kq::human_duration(119s) == "119s");
    CHECK(kq::human_duration(120s) == "2m");
    CHECK(kq::human_duration(303s) == "5m3s");
    CHECK(kq::human_duration(10min) == "10m");
    CHECK(kq::human_duration(179min) == "179m");
    CHECK(kq::human_duration(3h) == "3h");
    CHECK(kq::human_duration(3h + 7min) == "3h7m");
    CHECK(kq::human_duration(8h + 7min) == "8h");
    CHECK(kq::human_duration(47h) == "47h");
    CHECK(kq::human_duration(48h) == "2d");
    CHECK(kq::human_duration(52h) == "2d4h");
    CHECK(kq::human_duration(24h * 30) == "30d");
    CHECK(kq::human_duration(24h * (365 * 2 + 3)) == "2y3d");
    CHECK(kq::human_duration(24h * 365 * 9) == "9y");
}
