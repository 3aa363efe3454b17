#include "util/cron.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace {

kq::TimePoint at_unix(long long seconds) { return kq::TimePoint(std::chrono::seconds(seconds)); }

// The next run as unix seconds, -1 for none; the schedule and zone must parse.
long long next_unix(const std::string& text, const std::string& zone_name, long long after) {
    std::string error;
    const auto schedule = kq::parse_cron(text, error);
    REQUIRE_MESSAGE(schedule.has_value(), error);
    const auto zone = zone_name.empty() ? kq::TimeZone::utc() : kq::TimeZone::load(zone_name, error);
    REQUIRE_MESSAGE(zone.has_value(), error);
    const auto next = kq::next_run(*schedule, *zone, at_unix(after));
    return next ? next->time_since_epoch().count() : -1;
}

std::string cron_error(const std::string& text) {
    std::string error;
    CHECK_FALSE(kq::parse_cron(text, error).has_value());
    return error;
}

} // namespace

TEST_CASE("parse_cron reads fields, names, ranges, steps and macros as the CronJob controller does") {
    std::string error;
    const auto every_quarter = kq::parse_cron("*/15 9-17 * * MON-fri", error);
    REQUIRE(every_quarter.has_value());
    CHECK(every_quarter->minutes == ((1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45)));
    CHECK(every_quarter->weekdays == 0b0111110);
    CHECK(every_quarter->days_star);
    const auto daily = kq::parse_cron("@daily", error);
    REQUIRE(daily.has_value());
    CHECK(daily->minutes == 1);
    CHECK(daily->hours == 1);
    CHECK(kq::parse_cron("5/20 * ? jan,JUL *", error)->minutes ==
          ((1ULL << 5) | (1ULL << 25) | (1ULL << 45)));
}

TEST_CASE("parse_cron names the field and the fault of a bad schedule") {
    CHECK(cron_error("") == "empty schedule");
    CHECK(cron_error("* * * *") ==
          "expected exactly 5 fields (minute, hour, day of month, month, day of week), found 4");
    CHECK(cron_error("0 24 * * *") == "hour field \"24\": end of range (24) above maximum (23)");
    CHECK(cron_error("0 0 0 * *") == "day-of-month field \"0\": beginning of range (0) below minimum (1)");
    CHECK(cron_error("0 0 * * 7") == "day-of-week field \"7\": end of range (7) above maximum (6)");
    CHECK(cron_error("5-1 * * * *") ==
          "minute field \"5-1\": beginning of range (5) beyond end of range (1)");
    CHECK(cron_error("*/0 * * * *") == "minute field \"*/0\": step of range should be a positive number");
    CHECK(cron_error("0 0 * foo *") == "month field \"foo\": failed to parse number \"foo\"");
    CHECK(cron_error("@every 5m").find("unrecognized descriptor \"@every\"") == 0);
    CHECK(cron_error("TZ=UTC 0 0 * * *") ==
          "TZ and CRON_TZ cannot be used in a schedule; set timeZone instead");
}

TEST_CASE("TimeZone::load takes the database's zones and refuses what the API server refuses") {
    std::string error;
    CHECK(kq::TimeZone::load("Europe/Berlin", error).has_value());
    CHECK(kq::TimeZone::load("UTC", error).has_value());
    CHECK_FALSE(kq::TimeZone::load("Mars/Olympus", error).has_value());
    CHECK(error == "unknown time zone \"Mars/Olympus\" (not in the time-zone database)");
    CHECK_FALSE(kq::TimeZone::load("Local", error).has_value());
    CHECK_FALSE(kq::TimeZone::load("../etc/passwd", error).has_value());
    CHECK(error == "unknown time zone \"../etc/passwd\"");
    CHECK_FALSE(kq::TimeZone::load("", error).has_value());
    CHECK(kq::TimeZone::load("Asia/Kolkata", error)->offset_at(1764892800) == 19800);
}

// Expected values are robfig/cron/v3's answers (tests/schedule/crosscheck.py compares thousands more).
TEST_CASE("next_run follows the controller through months, weekdays and daylight saving") {
    // 2025-12-05T00:00Z, a Friday: the first of a month or a Monday is Monday the 8th.
    CHECK(next_unix("0 0 1 * mon", "", 1764892800) == 1765152000);
    // Every quarter hour of office hours in Berlin, from 09:00 UTC (10:00 local).
    CHECK(next_unix("*/15 9-17 * * mon-fri", "Europe/Berlin", 1764925200) == 1764926100);
    // February 29th in Berlin: 2028, at local midnight.
    CHECK(next_unix("0 0 29 2 *", "Europe/Berlin", 1764892800) == 1835391600);
    // February 30th never comes.
    CHECK(next_unix("0 0 30 2 *", "", 1764892800) == -1);
    // New York springs forward at 02:00 on 2025-03-09: 02:30 does not exist, and the run is the 10th's.
    CHECK(next_unix("30 2 * * *", "America/New_York", 1741503600) == 1741588200);
    // ...and falls back on 2025-11-02: 02:30 EST, once.
    CHECK(next_unix("30 2 * * *", "America/New_York", 1762059600) == 1762068600);
    // Sao Paulo's 2008 change skipped midnight: the daily run is at 01:00 local instead.
    CHECK(next_unix("0 0 * * *", "America/Sao_Paulo", 1224986400) == 1225072800);
    // Lord Howe moves by half an hour.
    CHECK(next_unix("@weekly", "Australia/Lord_Howe", 1764892800) == 1765026000);
}
