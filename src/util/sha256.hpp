#pragma once

#include <string>
#include <string_view>

namespace kq {

// The SHA-256 digest of data as 64 lowercase hexadecimal digits.
std::string sha256_hex(std::string_view data);

} // namespace kq
