#include "util/sha256.hpp"

#include "util/error.hpp"

#include <openssl/evp.h>

#include <array>

namespace kq {

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    // EVP_Digest is the one-shot interface that OpenSSL 3 does not deprecate.
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed in libcrypto");
    }
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string result;
    result.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        result += k_hex[digest[i] >> 4];
        result += k_hex[digest[i] & 0x0f];
    }
    return result;
}

} // namespace kq
