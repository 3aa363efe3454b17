#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kq::kube {

// The parts of an absolute URL that kq needs: scheme://[userinfo@]host[:port][path].
struct Url {
    std::string scheme;   // lower case
    std::string userinfo; // user[:password], empty when absent
    std::string host;     // without the brackets of an IPv6 literal
    std::string port;     // empty when the URL gives none
    std::string path;     // everything after the authority, without a trailing slash

    // The port, or the scheme's default (443 for https, 80 for http, 1080 for socks5).
    std::string effective_port() const;

    // host:port with brackets around an IPv6 literal, as Go's net.JoinHostPort writes it.
    std::string authority() const;

    // The URL without its userinfo's password, safe to print.
    std::string redacted() const;
};

// Parses an absolute URL; nullopt when it has no scheme or host.
std::optional<Url> parse_url(std::string_view text);

// Percent-encodes a query parameter's name or value.
std::string percent_encode(std::string_view text);

// Query parameters in the order given, written as name=value&... with each part encoded.
using Query = std::vector<std::pair<std::string, std::string>>;

// Writes a query string (without the leading '?').
std::string encode_query(const Query& query);

} // namespace kq::kube
