// libFuzzer target: the log stream decoder (LogLines), which splits a container's timestamped log
// stream into lines and skips the lines a resumed stream repeats. The first byte picks how the rest is
// cut into chunks and where streams end (a "\x01" byte in the input ends a stream there, as a dropped
// connection would, and a resumed one starts); every cut of the same input must give the same lines,
// no line may hold a newline, and emitted() must count the lines handed out.
// The same bytes also describe a container's log (lines with ordered timestamps) and the points where
// its stream drops; each resumed stream starts, as the API's sinceTime does, at the first line of the
// second resume_since() names. Every line must come out exactly once, in order.
#include "kube/log_lines.hpp"

#include <fmt/format.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

using Lines = std::vector<std::pair<std::string, std::string>>;

Lines decode(std::string_view input, std::uint8_t chunking) {
    Lines lines;
    kq::kube::LogLines decoder([&](std::string_view timestamp, std::string_view text) {
        require(text.find('\n') == std::string_view::npos);
        require(timestamp.find('\n') == std::string_view::npos &&
                timestamp.find(' ') == std::string_view::npos);
        lines.emplace_back(timestamp, text);
    });
    std::uint32_t state = chunking;
    while (!input.empty()) {
        const std::size_t end = input.find('\x01');
        std::string_view stream = input.substr(0, end);
        input.remove_prefix(end == std::string_view::npos ? input.size() : end + 1);
        while (!stream.empty()) {
            std::size_t length = stream.size();
            if (chunking != 0) {
                state = state * 1103515245u + 12345u;
                length = std::min<std::size_t>(stream.size(), 1 + ((state >> 16) % 24));
            }
            decoder.feed(stream.substr(0, length));
            stream.remove_prefix(length);
        }
        decoder.end_of_stream();
        const std::string since = decoder.resume_since();
        require(since.size() <= 20);
    }
    require(decoder.emitted() == lines.size());
    return lines;
}

// Checks that a log whose stream drops and resumes shows every line exactly once.
void check_resume(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider input(data, size);
    Lines log;
    long long nanos = 0;
    const int count = input.ConsumeIntegralInRange(1, 40);
    for (int i = 0; i < count; ++i) {
        // Several lines may share a timestamp; the API writes nanoseconds, always nine digits.
        switch (input.ConsumeIntegralInRange(0, 3)) {
        case 0: break;
        case 1: nanos += input.ConsumeIntegralInRange<long long>(1, 999); break;
        case 2: nanos += 1000000000; break;
        default: nanos += input.ConsumeIntegralInRange<long long>(1, 3000000000); break;
        }
        const long long seconds = nanos / 1000000000;
        std::string timestamp = fmt::format("2026-11-27T{:02}:{:02}:{:02}.{:09}Z", seconds / 3600 % 24,
                                            seconds / 60 % 60, seconds % 60, nanos % 1000000000);
        std::string text = input.ConsumeRandomLengthString(12);
        std::erase_if(text, [](char c) { return c == '\n' || c == '\r'; });
        log.emplace_back(std::move(timestamp), std::move(text));
    }
    Lines shown;
    kq::kube::LogLines decoder(
        [&](std::string_view timestamp, std::string_view text) { shown.emplace_back(timestamp, text); });
    for (int stream = 0; stream < 8; ++stream) {
        // The server starts at the first line of the resume point's second (at the start before any line).
        const std::string since = decoder.resume_since();
        std::size_t first = 0;
        while (!since.empty() && first < log.size() && log[first].first.substr(0, 19) < since.substr(0, 19))
            ++first;
        // The last stream runs to the end; the others drop after a line the input picks.
        std::size_t end = log.size();
        if (stream < 7 && input.ConsumeBool())
            end = input.ConsumeIntegralInRange<std::size_t>(first, log.size());
        for (std::size_t i = first; i < end; ++i)
            decoder.feed(log[i].first + " " + log[i].second + "\n");
        decoder.end_of_stream();
        if (end == log.size()) break;
    }
    require(shown == log);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
    require(decode(input, 0) == decode(input, data[0]));
    check_resume(data, size);
    return 0;
}
