#include "util/base64.hpp"

#include <array>
#include <cstdint>

namespace kq {
namespace {

constexpr std::string_view k_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_table() {
    std::array<int, 256> table{};
    for (int& value : table)
        value = -1;
    for (size_t i = 0; i < k_alphabet.size(); ++i)
        table[static_cast<unsigned char>(k_alphabet[i])] = static_cast<int>(i);
    return table;
}

constexpr std::array<int, 256> k_table = make_table();

} // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                                (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
        out += k_alphabet[(n >> 18) & 63];
        out += k_alphabet[(n >> 12) & 63];
        out += k_alphabet[(n >> 6) & 63];
        out += k_alphabet[n & 63];
    }
    const size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += k_alphabet[(n >> 18) & 63];
        out += k_alphabet[(n >> 12) & 63];
        out += rest == 2 ? k_alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    // Go's StdEncoding, which decodes []byte fields of kubeconfigs, skips \r and \n anywhere and
    // demands padding; anything else outside the alphabet is an error.
    std::string digits;
    digits.reserve(text.size());
    for (char c : text) {
        if (c != '\r' && c != '\n') digits += c;
    }
    if (digits.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(digits.size() / 4 * 3);
    for (size_t i = 0; i < digits.size(); i += 4) {
        const bool last = i + 4 == digits.size();
        int padding = 0;
        std::uint32_t n = 0;
        for (size_t j = 0; j < 4; ++j) {
            const char c = digits[i + j];
            if (c == '=') {
                // Padding only at the end, only in the last two places, and nothing after it.
                if (!last || j < 2) return std::nullopt;
                ++padding;
                n <<= 6;
                continue;
            }
            if (padding > 0) return std::nullopt;
            const int value = k_table[static_cast<unsigned char>(c)];
            if (value < 0) return std::nullopt;
            n = (n << 6) | static_cast<std::uint32_t>(value);
        }
        out += static_cast<char>((n >> 16) & 0xff);
        if (padding < 2) out += static_cast<char>((n >> 8) & 0xff);
        if (padding < 1) out += static_cast<char>(n & 0xff);
    }
    return out;
}

} // namespace kq
