// libFuzzer target: the watch stream decoder. The first byte picks how the rest, a watch response body,
// is cut into chunks, as the network might cut it; the chunked decoding must hand out exactly the
// objects that decoding the body in one piece does. Each object is then parsed as a watch event and
// read the way the client and JobWatch read it. A kq::Error is the expected answer to bad input; a
// crash, a sanitizer report, another exception or a mismatch is a bug.
#include "kube/job_status.hpp"
#include "kube/watch.hpp"
#include "util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

void require(bool condition) {
    if (!condition) __builtin_trap();
}

// The objects a decoder hands out for the chunks, and whether it refused the stream.
struct Decoded {
    std::vector<std::string> values;
    bool refused = false;
};

Decoded decode(std::string_view body, std::uint8_t chunking) {
    kq::kube::JsonStreamDecoder decoder;
    Decoded decoded;
    const auto keep = [&](std::string_view value) { decoded.values.emplace_back(value); };
    try {
        if (chunking == 0) {
            decoder.feed(body, keep);
        } else {
            // Chunk lengths from 1 to 16 bytes, in a sequence the first byte seeds.
            std::uint32_t state = chunking;
            while (!body.empty()) {
                state = state * 1103515245u + 12345u;
                const std::size_t length = std::min<std::size_t>(body.size(), 1 + ((state >> 16) % 16));
                decoder.feed(body.substr(0, length), keep);
                body.remove_prefix(length);
            }
        }
    } catch (const kq::Error&) {
        decoded.refused = true;
    }
    return decoded;
}

// Reads an event as Client's watch loop and JobWatch do.
void consume(const kq::kube::WatchEvent& event) {
    (void)kq::kube::to_string(event.type);
    if (event.type == kq::kube::WatchEventType::error) {
        (void)event.object.value("code", 0L);
        (void)event.object.value("reason", "");
        (void)event.object.value("message", "the watch failed");
        return;
    }
    const auto metadata = event.object.find("metadata");
    if (metadata != event.object.end() && metadata->is_object()) (void)metadata->value("resourceVersion", "");
    if (event.type == kq::kube::WatchEventType::bookmark) return;
    const kq::kube::JobSummary summary = kq::kube::summarize_job(event.object);
    (void)kq::kube::completions_text(summary);
    (void)kq::kube::job_duration(summary, kq::TimePoint{});
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    const Decoded whole = decode(body, 0);
    const Decoded chunked = decode(body, data[0]);
    require(whole.values == chunked.values);
    require(whole.refused == chunked.refused);
    for (const std::string& value : whole.values) {
        require(!value.empty() && value.front() == '{');
        try {
            consume(kq::kube::parse_watch_event(value));
        } catch (const kq::Error&) {
            // Not JSON, or not an event.
        }
    }
    return 0;
}
