#include "kube/pem.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace kq::kube {
namespace {

struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
    void operator()(X509* certificate) const { X509_free(certificate); }
};
struct KeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioDeleter> memory_bio(std::string_view text) {
    return std::unique_ptr<BIO, BioDeleter>(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

} // namespace

size_t count_pem_certificates(std::string_view pem) {
    auto bio = memory_bio(pem);
    size_t count = 0;
    while (std::unique_ptr<X509, X509Deleter> certificate{
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
        ++count;
    }
    // Reading stops with an error queued for "no start line"; leave nothing behind for others to trip on.
    ERR_clear_error();
    return count;
}

KeyPairProblem check_key_pair(std::string_view certificate_pem, std::string_view key_pem) {
    auto certificate_bio = memory_bio(certificate_pem);
    std::unique_ptr<X509, X509Deleter> certificate{
        PEM_read_bio_X509(certificate_bio.get(), nullptr, nullptr, nullptr)};
    if (!certificate) {
        ERR_clear_error();
        return KeyPairProblem::no_certificate;
    }
    auto key_bio = memory_bio(key_pem);
    // A key with a passphrase is not something a kubeconfig can hold; the empty callback refuses to prompt.
    std::unique_ptr<EVP_PKEY, KeyDeleter> key{PEM_read_bio_PrivateKey(
        key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr)};
    if (!key) {
        ERR_clear_error();
        return KeyPairProblem::no_key;
    }
    const bool matches = X509_check_private_key(certificate.get(), key.get()) == 1;
    ERR_clear_error();
    return matches ? KeyPairProblem::none : KeyPairProblem::mismatch;
}

} // namespace kq::kube
