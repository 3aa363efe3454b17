#include "util/base64.hpp"
#include "util/duration.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;

TEST_CASE("base64 round-trips and rejects what Go's decoder rejects") {
    CHECK(kq::base64_encode("") == "");
    CHECK(kq::base64_encode("f") == "Zg==");
    CHECK(kq::base64_encode("fo") == "Zm8=");
    CHECK(kq::base64_encode("foo") == "Zm9v");
    CHECK(kq::base64_encode("user:pass") == "dXNlcjpwYXNz");
    CHECK(kq::base64_decode("Zm9vYmFy") == "foobar");
    CHECK(kq::base64_decode("Zm9vYg==") == "foob");
    CHECK(kq::base64_decode("Zm9v\nYmE=\r\n") == "fooba"); // line breaks are skipped
    CHECK(kq::base64_decode("") == "");
    CHECK_FALSE(kq::base64_decode("Zm9").has_value());      // no padding
    CHECK_FALSE(kq::base64_decode("Zm 9v").has_value());    // spaces are not skipped
    CHECK_FALSE(kq::base64_decode("Zm9v!A==").has_value()); // outside the alphabet
    CHECK_FALSE(kq::base64_decode("Z===").has_value());     // too much padding
    CHECK_FALSE(kq::base64_decode("Zg==Zg==").has_value()); // padding before the end
    std::string bytes;
    for (int i = 0; i < 256; ++i)
        bytes += static_cast<char>(i);
    CHECK(kq::base64_decode(kq::base64_encode(bytes)) == bytes);
}

TEST_CASE("durations read as Go and kubectl's --request-timeout write them") {
    CHECK(kq::parse_duration("30s") == 30s);
    CHECK(kq::parse_duration("30") == 30s);
    CHECK(kq::parse_duration("0") == 0ms);
    CHECK(kq::parse_duration("1m30s") == 90s);
    CHECK(kq::parse_duration("1.5h") == 90min);
    CHECK(kq::parse_duration("250ms") == 250ms);
    CHECK(kq::parse_duration("2h45m") == 165min);
    CHECK_FALSE(kq::parse_duration("").has_value());
    CHECK_FALSE(kq::parse_duration("abc").has_value());
    CHECK_FALSE(kq::parse_duration("5 s").has_value());
    CHECK_FALSE(kq::parse_duration("-5s").has_value());
    CHECK_FALSE(kq::parse_duration("5d").has_value());
    CHECK_FALSE(kq::parse_duration("1.2.3s").has_value());
}
