#pragma once

#include <cstddef>
#include <string_view>

namespace kq::kube {

// The number of PEM certificates in a bundle (0 when it holds none or is not PEM). This and
// check_key_pair load libcrypto on first use and throw a cluster Error naming it when it can't be loaded.
size_t count_pem_certificates(std::string_view pem);

// What is wrong with a client certificate and key pair, if anything.
enum class KeyPairProblem {
    none,
    no_certificate, // the certificate text holds no PEM certificate
    no_key,         // the key text holds no PEM private key (RSA, EC, PKCS #8 or Ed25519)
    mismatch,       // the key is not the certificate's
};

// Checks that a PEM key belongs to the first certificate of a PEM chain.
KeyPairProblem check_key_pair(std::string_view certificate_pem, std::string_view key_pem);

} // namespace kq::kube
