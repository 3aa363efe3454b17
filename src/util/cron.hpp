#pragma once

#include "util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kq {

// A cron schedule as the CronJob controller reads `spec.schedule` (robfig/cron v3's standard
// parser): five fields (minute, hour, day of month, month, day of week) holding `*`, `?`, numbers,
// names (JAN-DEC, SUN-SAT, any case), ranges `A-B`, steps `/N` and lists `,`; or one of the macros
// @yearly, @annually, @monthly, @weekly, @daily, @midnight and @hourly. Day of week runs 0-6 from
// Sunday. When either day field is a star the two must both match, else either may (as cron does).
struct CronSchedule {
    std::uint64_t minutes = 0; // bit N: minute N
    std::uint64_t hours = 0;
    std::uint64_t days = 0;     // bit N: day of month N (1-31)
    std::uint64_t months = 0;   // bit N: month N (1-12)
    std::uint64_t weekdays = 0; // bit N: weekday N (0 = Sunday)
    bool days_star = false;     // the day-of-month field started with * or ?
    bool weekdays_star = false; // the day-of-week field started with * or ?
};

// Parses a schedule; on a bad one returns nullopt and sets error to a sentence naming the field at
// fault, e.g. `hour field "25": end of range (25) above maximum (23)`.
std::optional<CronSchedule> parse_cron(std::string_view text, std::string& error);

// A time zone of the system's IANA database (/usr/share/zoneinfo, or $TZDIR), read through the C
// library; "UTC" and "" need no database.
class TimeZone {
public:
    // Loads a zone; nullopt with error set when the name is not one of the database's zones (the
    // API server's rule: no "Local", no absolute or parent paths).
    static std::optional<TimeZone> load(std::string_view name, std::string& error);
    static TimeZone utc() { return TimeZone(""); }

    // The zone's offset from UTC at an instant, in seconds east.
    std::int64_t offset_at(std::int64_t unix_seconds) const;

    const std::string& name() const { return m_name; }

private:
    explicit TimeZone(std::string name) : m_name(std::move(name)) {}
    std::string m_name; // empty for UTC
};

// The first instant strictly after `after` (from the next whole second on) at which the schedule fires
// in the zone, computed as the controller computes it (robfig/cron's walk over Go's wall clock: a
// wall time that a daylight-saving change skips does not fire that day, a repeated one fires once);
// nullopt when none falls within five years (e.g. February 30th).
std::optional<TimePoint> next_run(const CronSchedule& schedule, const TimeZone& zone, TimePoint after);

} // namespace kq
