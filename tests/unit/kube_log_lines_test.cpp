#include "kube/log_lines.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

struct Collector {
    std::vector<std::string> lines;
    kq::kube::LogLines log{[this](std::string_view timestamp, std::string_view text) {
        lines.push_back(std::string(timestamp) + "|" + std::string(text));
    }};
};

} // namespace

TEST_CASE("LogLines splits lines across any chunking") {
    const std::string stream = "2026-11-27T10:00:01.000000001Z one\n2026-11-27T10:00:01.000000002Z two\r\n"
                               "2026-11-27T10:00:02.5Z three\n";
    for (size_t chunk = 1; chunk <= stream.size(); ++chunk) {
        Collector collector;
        for (size_t at = 0; at < stream.size(); at += chunk)
            collector.log.feed(std::string_view(stream).substr(at, chunk));
        collector.log.end_of_stream();
        CAPTURE(chunk);
        CHECK(collector.lines == std::vector<std::string>{"2026-11-27T10:00:01.000000001Z|one",
                                                          "2026-11-27T10:00:01.000000002Z|two",
                                                          "2026-11-27T10:00:02.5Z|three"});
    }
}

TEST_CASE("LogLines emits a last line without a newline at the end of the stream") {
    Collector collector;
    collector.log.feed("2026-11-27T10:00:01.1Z partial");
    CHECK(collector.lines.empty());
    collector.log.end_of_stream();
    CHECK(collector.lines == std::vector<std::string>{"2026-11-27T10:00:01.1Z|partial"});
}

TEST_CASE("LogLines passes lines without a timestamp through as text") {
    Collector collector;
    collector.log.feed("plain text line\n\n");
    CHECK(collector.lines == std::vector<std::string>{"|plain text line", "|"});
}

TEST_CASE("a resumed stream shows each line exactly once") {
    Collector collector;
    collector.log.feed("2026-11-27T10:00:00.9Z a\n2026-11-27T10:00:01.5Z b\n2026-11-27T10:00:01.5Z c\n");
    collector.log.end_of_stream(); // the connection dropped here
    CHECK(collector.log.resume_since() == "2026-11-27T10:00:01Z");
    // The API replays from the whole second: b and c again, then new lines, one with c's instant.
    collector.log.feed("2026-11-27T10:00:01.2Z x\n2026-11-27T10:00:01.5Z b\n2026-11-27T10:00:01.5Z c\n"
                       "2026-11-27T10:00:01.5Z d\n2026-11-27T10:00:03Z e\n");
    collector.log.end_of_stream();
    CHECK(collector.lines == std::vector<std::string>{"2026-11-27T10:00:00.9Z|a", "2026-11-27T10:00:01.5Z|b",
                                                      "2026-11-27T10:00:01.5Z|c", "2026-11-27T10:00:01.5Z|d",
                                                      "2026-11-27T10:00:03Z|e"});
    CHECK(collector.log.emitted() == 5);
    // A second drop right after: nothing is repeated.
    collector.log.feed("2026-11-27T10:00:03Z e\n2026-11-27T10:00:04Z f\n");
    CHECK(collector.lines.back() == "2026-11-27T10:00:04Z|f");
    CHECK(collector.lines.size() == 6);
}
