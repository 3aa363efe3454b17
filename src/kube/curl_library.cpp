#include "kube/curl_library.hpp"

#include "kube/shared_library.hpp"
#include "util/error.hpp"

#include <cstdlib>

namespace kq::kube {
namespace {

constexpr const char* k_soname = "libcurl.so.4";
constexpr const char* k_package = "libcurl4";

// Debian's libcurl4 links librtmp, which links GnuTLS, whose constructor initialises it (and p11-kit's
// modules) as it is loaded: about 1 MiB that kq, whose TLS is OpenSSL's and which never opens an rtmp://
// URL, has no use for. GnuTLS skips that when GNUTLS_NO_IMPLICIT_INIT=1 (its documented switch); the
// variable is set only while libcurl and its tree are loaded, so that the processes kq starts (exec
// credential plugins) see the environment the user gave, and a value the user set is left alone.
class GnutlsImplicitInitOff {
public:
    GnutlsImplicitInitOff() : m_set(std::getenv(k_variable) == nullptr) {
        if (m_set) ::setenv(k_variable, "1", 0);
    }
    ~GnutlsImplicitInitOff() {
        if (m_set) ::unsetenv(k_variable);
    }
    GnutlsImplicitInitOff(const GnutlsImplicitInitOff&) = delete;
    GnutlsImplicitInitOff& operator=(const GnutlsImplicitInitOff&) = delete;

private:
    static constexpr const char* k_variable = "GNUTLS_NO_IMPLICIT_INIT";
    bool m_set;
};

CurlLibrary load() {
    const SharedLibrary library = [] {
        const GnutlsImplicitInitOff gnutls;
        return SharedLibrary(k_soname, k_package);
    }();
    CurlLibrary curl{};
    library.resolve(curl.global_init, "curl_global_init");
    library.resolve(curl.version_info, "curl_version_info");
    library.resolve(curl.easy_init, "curl_easy_init");
    library.resolve(curl.easy_cleanup, "curl_easy_cleanup");
    library.resolve(curl.easy_setopt, "curl_easy_setopt");
    library.resolve(curl.easy_getinfo, "curl_easy_getinfo");
    library.resolve(curl.easy_strerror, "curl_easy_strerror");
    library.resolve(curl.multi_init, "curl_multi_init");
    library.resolve(curl.multi_cleanup, "curl_multi_cleanup");
    library.resolve(curl.multi_setopt, "curl_multi_setopt");
    library.resolve(curl.multi_add_handle, "curl_multi_add_handle");
    library.resolve(curl.multi_remove_handle, "curl_multi_remove_handle");
    library.resolve(curl.multi_perform, "curl_multi_perform");
    library.resolve(curl.multi_poll, "curl_multi_poll");
    library.resolve(curl.multi_timeout, "curl_multi_timeout");
    library.resolve(curl.multi_info_read, "curl_multi_info_read");
    library.resolve(curl.slist_append, "curl_slist_append");
    library.resolve(curl.slist_free_all, "curl_slist_free_all");

    // An older libcurl accepts the newer options' numbers and ignores them, which would quietly drop
    // the cluster's CA; refuse it instead.
    const curl_version_info_data* info = curl.version_info(CURLVERSION_NOW);
    if (info == nullptr || info->version_num < k_min_curl_version) {
        fail(ErrorKind::cluster, "{} is version {}, but kq needs {}.{}.{} or newer; upgrade the {} package",
             k_soname, info != nullptr ? info->version : "unknown", k_min_curl_version >> 16,
             (k_min_curl_version >> 8) & 0xff, k_min_curl_version & 0xff, k_package);
    }
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        fail(ErrorKind::cluster, "cannot initialise libcurl");
    return curl;
}

} // namespace

const CurlLibrary& curl() {
    // A failed load throws out of the initialisation, so the next call tries again.
    static const CurlLibrary library = load();
    return library;
}

} // namespace kq::kube
