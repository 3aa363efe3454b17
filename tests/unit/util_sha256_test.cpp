#include "util/sha256.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>

// src/util/sha256.cpp hashes with Nettle; the expected digests come from FIPS 180-4's
// examples and from Python's hashlib.

TEST_CASE("sha256_hex matches FIPS 180-4's examples") {
    CHECK(kq::sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(kq::sha256_hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256_hex pads messages around the block boundaries") {
    // 55 bytes leave just room for the marker and the length in the last block, 56 do not; 64 and 120
    // end a block, 119 is the last length whose padding fits one block after a whole one.
    const std::pair<std::size_t, const char*> cases[] = {
        {55, "94abcc11f65698688ffc2858efb9b3d55f20c579abaad82735ae6817887595f4"},
        {56, "493a700b8fd71c2a186c018e1d3a9b1bebbcec358a13daa67e76a788fddc2e07"},
        {63, "d4bacb34b88e17aabe42b5e49c36ab951d4fe19a13c11410eebbc73265e4edfe"},
        {64, "2519b49bcf69feac270ac3c8631539e8caed4c7e6a62c6cc5511228a61780745"},
        {65, "f39cdc2584758c99cf81c1f41d2572f54e17066afffc9d187aeafe5f7cbe2122"},
        {119, "4faa65f0aeec8078317ebc05630903148e3a809f66bb1b68ce6f50139f0dc051"},
        {120, "64fa0bb88d882a997cac9b2506f0ed5a5003259d2b316815aaff3f1d026c7390"},
    };
    for (const auto& test : cases) {
        CAPTURE(test.first);
        CHECK(kq::sha256_hex(std::string(test.first, 'k')) == test.second);
    }
}
