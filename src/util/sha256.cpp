#include "util/sha256.hpp"

#include <nettle/sha2.h>

#include <array>
#include <cstdint>

namespace kq {

std::string sha256_hex(std::string_view data) {
    // Nettle rather than OpenSSL: libnettle is small and needs no initialisation, where OpenSSL's
    // digests load its configuration and providers first, which took a fifth of `kq render`'s time.
    sha256_ctx context;
    sha256_init(&context);
    sha256_update(&context, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
    std::array<std::uint8_t, SHA256_DIGEST_SIZE> digest{};
    sha256_digest(&context, digest.size(), digest.data());

    static constexpr char k_hex[] = "0123456789abcdef";
    std::string result;
    result.reserve(digest.size() * 2);
    for (const std::uint8_t byte : digest) {
        result += k_hex[byte >> 4];
        result += k_hex[byte & 0x0f];
    }
    return result;
}

} // namespace kq
