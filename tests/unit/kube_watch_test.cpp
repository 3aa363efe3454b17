#include "kube/watch.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace kube = kq::kube;

namespace {

// A watch stream as the API server writes it: one JSON object per line, with strings that hold braces,
// quotes, escapes and multi-byte characters.
std::string sample_stream() {
    return R"j({"type":"ADDED","object":{"kind":"Job","metadata":{"name":"a","resourceVersion":"10"}}})j"
           "\n"
           R"j({"type":"MODIFIED","object":{"metadata":{"name":"b}{","resourceVersion":"11","annotations":{"x":"say \"}\" \\"}},"status":{"conditions":[{"type":"Complete"}]}}})j"
           "\n"
           R"j({"type":"BOOKMARK","object":{"kind":"Job","metadata":{"resourceVersion":"12"}}})j"
           "\n"
           R"j({"type":"DELETED","object":{"metadata":{"name":"ünïcødé ✓","resourceVersion":"13"},"spec":{"list":[1,[2,{"a":[]}]]}}})j"
           "\n"
           R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}})j"
           "\n";
}

std::vector<std::string> decode_in_chunks(const std::string& stream, const std::vector<size_t>& cuts) {
    kube::JsonStreamDecoder decoder;
    std::vector<std::string> values;
    size_t start = 0;
    for (size_t cut : cuts) {
        decoder.feed(std::string_view(stream).substr(start, cut - start),
                     [&](std::string_view value) { values.emplace_back(value); });
        start = cut;
    }
    decoder.feed(std::string_view(stream).substr(start),
                 [&](std::string_view value) { values.emplace_back(value); });
    CHECK(decoder.idle());
    return values;
}

} // namespace

TEST_CASE("the watch decoder yields the same objects however the stream is chunked") {
    const std::string stream = sample_stream();
    const std::vector<std::string> whole = decode_in_chunks(stream, {});
    REQUIRE(whole.size() == 5);
    CHECK(kube::parse_watch_event(whole[1]).object["metadata"]["name"] == "b}{");

    SUBCASE("one byte at a time") {
        std::vector<size_t> cuts;
        for (size_t i = 1; i < stream.size(); ++i)
            cuts.push_back(i);
        CHECK(decode_in_chunks(stream, cuts) == whole);
    }
    SUBCASE("every single cut point") {
        for (size_t cut = 1; cut < stream.size(); ++cut) {
            CAPTURE(cut);
            CHECK(decode_in_chunks(stream, {cut}) == whole);
        }
    }
    SUBCASE("random cuts") {
        std::mt19937 random(42);
        for (int round = 0; round < 500; ++round) {
            std::vector<size_t> cuts;
            size_t at = 0;
            while (true) {
                at += 1 + random() % 40;
                if (at >= stream.size()) break;
                cuts.push_back(at);
            }
            CHECK(decode_in_chunks(stream, cuts) == whole);
        }
    }
    SUBCASE("objects without newlines between them, and blank lines") {
        std::string glued;
        for (const std::string& value : whole)
            glued += value + (glued.size() % 2 ? "" : "\r\n\n  ");
        CHECK(decode_in_chunks(glued, {7, 100, 101, 250}) == whole);
    }
}

TEST_CASE("the watch decoder keeps a partial object until it completes") {
    kube::JsonStreamDecoder decoder;
    std::vector<std::string> values;
    const auto keep = [&](std::string_view value) { values.emplace_back(value); };
    decoder.feed("\n{\"type\":\"ADDED\",\"obj", keep);
    CHECK(values.empty());
    CHECK_FALSE(decoder.idle());
    decoder.feed("ect\":{}}\n{\"ty", keep);
    CHECK(values == std::vector<std::string>{R"({"type":"ADDED","object":{}})"});
    decoder.reset();
    CHECK(decoder.idle());
    decoder.feed("{}", keep);
    CHECK(values.size() == 2);
}

TEST_CASE("a stream that is not JSON objects is an error") {
    kube::JsonStreamDecoder decoder;
    const auto ignore = [](std::string_view) {};
    try {
        decoder.feed("<html>502 Bad Gateway</html>", ignore);
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(std::string(error.what()) ==
              "the watch stream holds \"<html>502 Bad Gatewa\" where a JSON object should start");
    }
}

TEST_CASE("watch events parse by type") {
    const kube::WatchEvent event =
        kube::parse_watch_event(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}})");
    CHECK(event.type == kube::WatchEventType::bookmark);
    CHECK(event.object["metadata"]["resourceVersion"] == "7");
    CHECK(kube::parse_watch_event(R"({"type":"ERROR","object":{"kind":"Status","code":410}})").type ==
          kube::WatchEventType::error);
    CHECK(std::string(kube::to_string(kube::WatchEventType::deleted)) == "DELETED");
    const auto message = [](const char* text) {
        try {
            kube::parse_watch_event(text);
        } catch (const kq::Error& error) {
            return std::string(error.what());
        }
        return std::string();
    };
    CHECK(message(R"({"type":"RENAMED","object":{}})") ==
          "the watch stream sent an event of unknown type \"RENAMED\"");
    CHECK(message(R"({"kind":"Status"})") ==
          "the watch stream sent an object that is not an event (no type and object)");
    CHECK(message("{\"type\":").starts_with("the watch stream sent invalid JSON: "));
}
