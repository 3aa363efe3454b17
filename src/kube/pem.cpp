#include "kube/pem.hpp"

#include "kube/shared_library.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace kq::kube {
namespace {

// The OpenSSL functions used here. libcrypto is loaded when a kubeconfig's certificates are first
// checked, not linked: commands that never reach a cluster then start without it (its relocations
// alone cost about a millisecond).
struct CryptoLibrary {
    decltype(&::BIO_new_mem_buf) bio_new_mem_buf;
    decltype(&::BIO_free) bio_free;
    decltype(&::PEM_read_bio_X509) pem_read_bio_x509;
    decltype(&::PEM_read_bio_PrivateKey) pem_read_bio_private_key;
    decltype(&::X509_free) x509_free;
    decltype(&::X509_check_private_key) x509_check_private_key;
    decltype(&::EVP_PKEY_free) evp_pkey_free;
    decltype(&::ERR_clear_error) err_clear_error;
};

CryptoLibrary load() {
    // libssl3 is the Debian package that holds libcrypto.so.3.
    const SharedLibrary library("libcrypto.so.3", "libssl3");
    CryptoLibrary crypto{};
    library.resolve(crypto.bio_new_mem_buf, "BIO_new_mem_buf");
    library.resolve(crypto.bio_free, "BIO_free");
    library.resolve(crypto.pem_read_bio_x509, "PEM_read_bio_X509");
    library.resolve(crypto.pem_read_bio_private_key, "PEM_read_bio_PrivateKey");
    library.resolve(crypto.x509_free, "X509_free");
    library.resolve(crypto.x509_check_private_key, "X509_check_private_key");
    library.resolve(crypto.evp_pkey_free, "EVP_PKEY_free");
    library.resolve(crypto.err_clear_error, "ERR_clear_error");
    return crypto;
}

// libcrypto's functions, loaded on the first call; a failed load throws, and the next call tries again.
const CryptoLibrary& crypto() {
    static const CryptoLibrary library = load();
    return library;
}

struct BioDeleter {
    void operator()(BIO* bio) const { crypto().bio_free(bio); }
};
struct X509Deleter {
    void operator()(X509* certificate) const { crypto().x509_free(certificate); }
};
struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { crypto().evp_pkey_free(key); }
};

std::unique_ptr<BIO, BioDeleter> memory_bio(std::string_view text) {
    return std::unique_ptr<BIO, BioDeleter>(
        crypto().bio_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

} // namespace

size_t count_pem_certificates(std::string_view pem) {
    const CryptoLibrary& ssl = crypto();
    auto bio = memory_bio(pem);
    size_t count = 0;
    while (std::unique_ptr<X509, X509Deleter> certificate{
        ssl.pem_read_bio_x509(bio.get(), nullptr, nullptr, nullptr)}) {
        ++count;
    }
    // Reading stops with an error queued for "no start line"; leave nothing behind for others to trip on.
    ssl.err_clear_error();
    return count;
}

KeyPairProblem check_key_pair(std::string_view certificate_pem, std::string_view key_pem) {
    const CryptoLibrary& ssl = crypto();
    auto certificate_bio = memory_bio(certificate_pem);
    std::unique_ptr<X509, X509Deleter> certificate{
        ssl.pem_read_bio_x509(certificate_bio.get(), nullptr, nullptr, nullptr)};
    if (!certificate) {
        ssl.err_clear_error();
        return KeyPairProblem::no_certificate;
    }
    auto key_bio = memory_bio(key_pem);
    // A key with a passphrase is not something a kubeconfig can hold; the empty callback refuses to prompt.
    std::unique_ptr<EVP_PKEY, KeyDeleter> key{ssl.pem_read_bio_private_key(
        key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)};
    if (!key) {
        ssl.err_clear_error();
        return KeyPairProblem::no_key;
    }
    const bool matches = ssl.x509_check_private_key(certificate.get(), key.get()) == 1;
    ssl.err_clear_error();
    return matches ? KeyPairProblem::none : KeyPairProblem::mismatch;
}

} // namespace kq::kube
