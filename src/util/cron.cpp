#include "util/cron.hpp"

#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <span>
#include <vector>

namespace kq {

namespace {

struct CronField {
    std::string_view name;
    unsigned min;
    unsigned max;
    std::span<const std::string_view> names; // names[i] stands for first_name + i
    unsigned first_name = 0;
};

constexpr std::array<std::string_view, 12> k_month_names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                            "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> k_weekday_names = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

// The value of a month (1-based) or weekday (0-based) name, any case.
std::optional<unsigned> name_value(std::string_view text, const CronField& field) {
    if (field.names.empty()) return std::nullopt;
    const std::string lowered = lower(text);
    for (size_t i = 0; i < field.names.size(); ++i) {
        if (field.names[i] == lowered) return static_cast<unsigned>(i) + field.first_name;
    }
    return std::nullopt;
}

// A non-negative decimal number, as Go's strconv.Atoi would accept it and the parser would keep.
std::optional<unsigned> number(std::string_view text, std::string& error) {
    if (text.empty()) {
        error = "empty number";
        return std::nullopt;
    }
    std::string_view digits = text;
    bool negative = false;
    if (digits.front() == '+' || digits.front() == '-') {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), is_ascii_digit) || digits.size() > 9) {
        error = fmt::format("failed to parse number {}", quote(text));
        return std::nullopt;
    }
    const unsigned value = static_cast<unsigned>(std::stoul(std::string(digits)));
    if (negative && value != 0) {
        error = fmt::format("negative number ({}) not allowed", text);
        return std::nullopt;
    }
    return value;
}

std::optional<unsigned> number_or_name(std::string_view text, const CronField& field, std::string& error) {
    if (auto value = name_value(text, field)) return value;
    return number(text, error);
}

std::vector<std::string_view> split_on(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (true) {
        const size_t end = text.find(separator, start);
        parts.push_back(
            text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

// One comma-separated part of a field; star is set when it starts with * or ? and has no step above 1.
bool parse_range(std::string_view expr, const CronField& field, std::uint64_t& bits, bool& star,
                 std::string& error) {
    const std::vector<std::string_view> range_and_step = split_on(expr, '/');
    const std::vector<std::string_view> low_and_high = split_on(range_and_step[0], '-');
    const bool single = low_and_high.size() == 1;
    unsigned start = 0;
    unsigned end = 0;
    bool is_star = false;
    if (low_and_high[0] == "*" || low_and_high[0] == "?") {
        start = field.min;
        end = field.max;
        is_star = true;
    } else {
        auto low = number_or_name(low_and_high[0], field, error);
        if (!low) return false;
        start = end = *low;
        if (low_and_high.size() == 2) {
            auto high = number_or_name(low_and_high[1], field, error);
            if (!high) return false;
            end = *high;
        } else if (low_and_high.size() > 2) {
            error = fmt::format("too many hyphens in {}", quote(expr));
            return false;
        }
    }
    unsigned step = 1;
    if (range_and_step.size() == 2) {
        auto value = number(range_and_step[1], error);
        if (!value) return false;
        step = *value;
        if (single) end = field.max; // "N/step" means "N-max/step"
        if (step > 1) is_star = false;
    } else if (range_and_step.size() > 2) {
        error = fmt::format("too many slashes in {}", quote(expr));
        return false;
    }
    if (start < field.min) {
        error = fmt::format("beginning of range ({}) below minimum ({})", start, field.min);
        return false;
    }
    if (end > field.max) {
        error = fmt::format("end of range ({}) above maximum ({})", end, field.max);
        return false;
    }
    if (start > end) {
        error = fmt::format("beginning of range ({}) beyond end of range ({})", start, end);
        return false;
    }
    if (step == 0) {
        error = "step of range should be a positive number";
        return false;
    }
    for (unsigned value = start; value <= end; value += step)
        bits |= std::uint64_t{1} << value;
    star = star || is_star;
    return true;
}

bool parse_field(std::string_view text, const CronField& field, std::uint64_t& bits, bool& star,
                 std::string& error) {
    for (std::string_view part : split_on(text, ',')) {
        std::string problem;
        if (!parse_range(part, field, bits, star, problem)) {
            error = fmt::format("{} field {}: {}", field.name, quote(text), problem);
            return false;
        }
    }
    return true;
}

struct Macro {
    std::string_view name;
    std::string_view expansion;
};
constexpr std::array<Macro, 7> k_macros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

std::vector<std::string_view> fields_of(std::string_view text) {
    std::vector<std::string_view> fields;
    size_t at = 0;
    while (at < text.size()) {
        while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at])))
            ++at;
        size_t end = at;
        while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])))
            ++end;
        if (end > at) fields.push_back(text.substr(at, end - at));
        at = end;
    }
    return fields;
}

// The C library's time-zone state is one per process: TZ and tzset() are guarded by this lock.
std::mutex& tz_mutex() {
    static std::mutex mutex;
    return mutex;
}

// Sets TZ to a zone for its lifetime, under the lock, and restores it after.
class ZoneScope {
public:
    explicit ZoneScope(const std::string& name) : m_lock(tz_mutex()) {
        if (const char* old = std::getenv("TZ")) m_old = old;
        setenv("TZ", name.empty() ? "UTC0" : (":" + name).c_str(), 1);
        tzset();
    }
    ~ZoneScope() {
        if (m_old) {
            setenv("TZ", m_old->c_str(), 1);
        } else {
            unsetenv("TZ");
        }
        tzset();
    }
    ZoneScope(const ZoneScope&) = delete;
    ZoneScope& operator=(const ZoneScope&) = delete;

    static std::int64_t offset(std::int64_t unix_seconds) {
        const std::time_t when = static_cast<std::time_t>(unix_seconds);
        std::tm local{};
        if (localtime_r(&when, &local) == nullptr) return 0;
        return local.tm_gmtoff;
    }

private:
    std::lock_guard<std::mutex> m_lock;
    std::optional<std::string> m_old;
};

constexpr std::int64_t k_day = 86400;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    using namespace std::chrono;
    return sys_days(std::chrono::year(static_cast<int>(year)) / std::chrono::month(month) /
                    std::chrono::day(day))
        .time_since_epoch()
        .count();
}

struct Civil {
    int year = 0;
    unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0, weekday = 0;
};

// Go's wall-clock view of an instant in a zone, and time.Date's inverse of it.
class WallClock {
public:
    explicit WallClock(bool utc) : m_utc(utc) {}

    std::int64_t offset(std::int64_t unix_seconds) const {
        return m_utc ? 0 : ZoneScope::offset(unix_seconds);
    }

    Civil civil(std::int64_t unix_seconds) const {
        const std::int64_t local = unix_seconds + offset(unix_seconds);
        const std::int64_t days = floor_div(local, k_day);
        const std::int64_t seconds = local - days * k_day;
        const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
        Civil result;
        result.year = static_cast<int>(date.year());
        result.month = static_cast<unsigned>(date.month());
        result.day = static_cast<unsigned>(date.day());
        result.hour = static_cast<unsigned>(seconds / 3600);
        result.minute = static_cast<unsigned>(seconds % 3600 / 60);
        result.second = static_cast<unsigned>(seconds % 60);
        result.weekday = static_cast<unsigned>(
            std::chrono::weekday(std::chrono::sys_days(std::chrono::days(days))).c_encoding());
        return result;
    }

    // time.Date(year, month, day, hour, minute, second, 0, zone): fields may overflow; a wall time that
    // a change skips or repeats resolves as Go resolves it.
    std::int64_t date(std::int64_t year, std::int64_t month, std::int64_t day, std::int64_t hour,
                      std::int64_t minute, std::int64_t second) const {
        const std::int64_t month0 = month - 1;
        year += floor_div(month0, 12);
        const auto normal_month = static_cast<unsigned>(month0 - floor_div(month0, 12) * 12 + 1);
        const std::int64_t local = days_from_civil(year, normal_month, 1) * k_day + (day - 1) * k_day +
                                   hour * 3600 + minute * 60 + second;
        std::int64_t zone_offset = offset(local);
        if (zone_offset != 0) {
            const std::int64_t utc = local - zone_offset;
            const std::int64_t at_utc = offset(utc);
            if (at_utc != zone_offset) zone_offset = at_utc;
        }
        return local - zone_offset;
    }

private:
    bool m_utc;
};

bool day_matches(const CronSchedule& schedule, const Civil& when) {
    const bool day_match = (schedule.days >> when.day & 1U) != 0;
    const bool weekday_match = (schedule.weekdays >> when.weekday & 1U) != 0;
    if (schedule.days_star || schedule.weekdays_star) return day_match && weekday_match;
    return day_match || weekday_match;
}

bool valid_zone_part(std::string_view part) {
    if (part.empty() || part.size() > 14 || part == "." || part == ".." || part.front() == '-') return false;
    return std::all_of(part.begin(), part.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '+';
    });
}

} // namespace

std::optional<CronSchedule> parse_cron(std::string_view text, std::string& error) {
    std::vector<std::string_view> fields = fields_of(text);
    if (fields.empty()) {
        error = "empty schedule";
        return std::nullopt;
    }
    if (text.find("TZ") != std::string_view::npos) {
        error = "TZ and CRON_TZ cannot be used in a schedule; set timeZone instead";
        return std::nullopt;
    }
    if (fields[0].front() == '@') {
        const auto macro = std::find_if(k_macros.begin(), k_macros.end(),
                                        [&](const Macro& m) { return m.name == fields[0]; });
        if (macro == k_macros.end()) {
            error = fmt::format("unrecognized descriptor {}; kq knows @yearly, @annually, @monthly, @weekly, "
                                "@daily, @midnight and @hourly",
                                quote(fields[0]));
            return std::nullopt;
        }
        if (fields.size() != 1) {
            error = fmt::format("{} takes nothing after it", fields[0]);
            return std::nullopt;
        }
        return parse_cron(macro->expansion, error);
    }
    if (fields.size() != 5) {
        error = fmt::format(
            "expected exactly 5 fields (minute, hour, day of month, month, day of week), found {}",
            fields.size());
        return std::nullopt;
    }
    static const std::array<CronField, 5> k_fields = {{
        {"minute", 0, 59, {}, 0},
        {"hour", 0, 23, {}, 0},
        {"day-of-month", 1, 31, {}, 0},
        {"month", 1, 12, k_month_names, 1},
        {"day-of-week", 0, 6, k_weekday_names, 0},
    }};
    CronSchedule schedule;
    bool unused_star = false;
    if (!parse_field(fields[0], k_fields[0], schedule.minutes, unused_star, error) ||
        !parse_field(fields[1], k_fields[1], schedule.hours, unused_star, error) ||
        !parse_field(fields[2], k_fields[2], schedule.days, schedule.days_star, error) ||
        !parse_field(fields[3], k_fields[3], schedule.months, unused_star, error) ||
        !parse_field(fields[4], k_fields[4], schedule.weekdays, schedule.weekdays_star, error)) {
        return std::nullopt;
    }
    return schedule;
}

std::optional<TimeZone> TimeZone::load(std::string_view name, std::string& error) {
    if (name.empty()) {
        error = "timeZone must not be empty; leave it out for the controller's zone";
        return std::nullopt;
    }
    if (name == "UTC") return TimeZone::utc();
    for (std::string_view part : split_on(name, '/')) {
        if (!valid_zone_part(part)) {
            error = fmt::format("unknown time zone {}", quote(name));
            return std::nullopt;
        }
    }
    if (lower(name) == "local") {
        error = "timeZone must be an explicit IANA time zone such as \"Europe/Berlin\", not \"Local\"";
        return std::nullopt;
    }
    const char* directory = std::getenv("TZDIR");
    const std::string path =
        fmt::format("{}/{}", directory && *directory ? directory : "/usr/share/zoneinfo", name);
    std::ifstream file(path, std::ios::binary);
    char magic[4] = {};
    if (!file || !file.read(magic, 4) || std::string_view(magic, 4) != "TZif") {
        error = fmt::format("unknown time zone {} (not in the time-zone database)", quote(name));
        return std::nullopt;
    }
    return TimeZone(std::string(name));
}

std::int64_t TimeZone::offset_at(std::int64_t unix_seconds) const {
    if (m_name.empty()) return 0;
    const ZoneScope scope(m_name);
    return ZoneScope::offset(unix_seconds);
}

std::optional<TimePoint> next_run(const CronSchedule& schedule, const TimeZone& zone, TimePoint after) {
    std::optional<ZoneScope> scope;
    if (!zone.name().empty()) scope.emplace(zone.name());
    const WallClock clock(zone.name().empty());

    std::int64_t t = after.time_since_epoch().count() + 1; // the next whole second
    bool added = false;
    const int year_limit = clock.civil(t).year + 5;

    while (true) { // each pass that wraps (a field overflowed) starts again from the month
        Civil now = clock.civil(t);
        if (now.year > year_limit) return std::nullopt;
        bool wrapped = false;

        while ((schedule.months >> now.month & 1U) == 0) {
            if (!added) {
                added = true;
                t = clock.date(now.year, now.month, 1, 0, 0, 0);
                now = clock.civil(t);
            }
            t = clock.date(now.year, now.month + 1, now.day, now.hour, now.minute, now.second);
            now = clock.civil(t);
            if (now.month == 1) {
                wrapped = true;
                break;
            }
        }
        if (wrapped) continue;

        while (!day_matches(schedule, now)) {
            if (!added) {
                added = true;
                t = clock.date(now.year, now.month, now.day, 0, 0, 0);
                now = clock.civil(t);
            }
            t = clock.date(now.year, now.month, now.day + 1, now.hour, now.minute, now.second);
            now = clock.civil(t);
            // Where daylight saving moved midnight, go back to the day's start (or on to the next).
            if (now.hour != 0) {
                t += now.hour > 12 ? static_cast<std::int64_t>(24 - now.hour) * 3600
                                   : -static_cast<std::int64_t>(now.hour) * 3600;
                now = clock.civil(t);
            }
            if (now.day == 1) {
                wrapped = true;
                break;
            }
        }
        if (wrapped) continue;

        while ((schedule.hours >> now.hour & 1U) == 0) {
            if (!added) {
                added = true;
                t = clock.date(now.year, now.month, now.day, now.hour, 0, 0);
                now = clock.civil(t);
            }
            t += 3600;
            now = clock.civil(t);
            if (now.hour == 0) {
                wrapped = true;
                break;
            }
        }
        if (wrapped) continue;

        while ((schedule.minutes >> now.minute & 1U) == 0) {
            if (!added) {
                added = true;
                t = floor_div(t, 60) * 60;
            }
            t += 60;
            now = clock.civil(t);
            if (now.minute == 0) {
                wrapped = true;
                break;
            }
        }
        if (wrapped) continue;

        // Seconds: a standard schedule fires at second 0 only.
        while (now.second != 0) {
            if (!added) added = true;
            t += 1;
            now = clock.civil(t);
            if (now.second == 0) {
                wrapped = true;
                break;
            }
        }
        if (wrapped) continue;
        return TimePoint(std::chrono::seconds(t));
    }
}

} // namespace kq
