// Reads lines "SCHEDULE<TAB>ZONE<TAB>UNIX-SECONDS" and prints, for each, kq's next run after that
// instant in unix seconds, "none" when there is none within five years, or "error" for a schedule or
// zone kq refuses. tests/schedule/crosscheck.py compares its answers with robfig/cron's.
#include "util/cron.hpp"

#include <iostream>
#include <string>

int main() {
    std::string line;
    while (std::getline(std::cin, line)) {
        const size_t tab1 = line.find('\t');
        const size_t tab2 = line.find('\t', tab1 + 1);
        if (tab1 == std::string::npos || tab2 == std::string::npos) {
            std::cout << "bad-input\n";
            continue;
        }
        std::string error;
        const auto schedule = kq::parse_cron(line.substr(0, tab1), error);
        const std::string zone_name = line.substr(tab1 + 1, tab2 - tab1 - 1);
        const auto zone = zone_name.empty() ? kq::TimeZone::utc() : kq::TimeZone::load(zone_name, error);
        if (!schedule || !zone) {
            std::cout << "error\n";
            continue;
        }
        const kq::TimePoint after{std::chrono::seconds(std::stoll(line.substr(tab2 + 1)))};
        const auto next = kq::next_run(*schedule, *zone, after);
        if (next) {
            std::cout << next->time_since_epoch().count() << '\n';
        } else {
            std::cout << "none\n";
        }
    }
}
