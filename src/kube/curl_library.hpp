#pragma once

#include <curl/curl.h>

namespace kq::kube {

// The libcurl functions the transport calls. libcurl is not linked but loaded by curl() when the first
// transport is made: with its dependencies (OpenSSL, nghttp2, Kerberos, LDAP ...) it would otherwise
// take most of the startup time of commands that never reach a cluster.
struct CurlLibrary {
    decltype(&::curl_global_init) global_init;
    decltype(&::curl_version_info) version_info;
    decltype(&::curl_easy_init) easy_init;
    decltype(&::curl_easy_cleanup) easy_cleanup;
    decltype(&::curl_easy_setopt) easy_setopt;
    decltype(&::curl_easy_getinfo) easy_getinfo;
    decltype(&::curl_easy_strerror) easy_strerror;
    decltype(&::curl_multi_init) multi_init;
    decltype(&::curl_multi_cleanup) multi_cleanup;
    decltype(&::curl_multi_setopt) multi_setopt;
    decltype(&::curl_multi_add_handle) multi_add_handle;
    decltype(&::curl_multi_remove_handle) multi_remove_handle;
    decltype(&::curl_multi_perform) multi_perform;
    decltype(&::curl_multi_poll) multi_poll;
    decltype(&::curl_multi_timeout) multi_timeout;
    decltype(&::curl_multi_info_read) multi_info_read;
    decltype(&::curl_slist_append) slist_append;
    decltype(&::curl_slist_free_all) slist_free_all;
};

// The oldest libcurl with every option the transport sets (CURLOPT_CAINFO_BLOB came in 7.77.0).
inline constexpr unsigned k_min_curl_version = 0x074d00;

// libcurl (libcurl.so.4), loaded and globally initialised on the first call; throws a cluster Error
// naming the library and the package to install when it is missing or older than k_min_curl_version.
const CurlLibrary& curl();

} // namespace kq::kube
