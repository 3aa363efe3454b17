#include "kube/url.hpp"

#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace kq::kube {

std::string Url::effective_port() const {
    if (!port.empty()) return port;
    if (scheme == "https") return "443";
    if (scheme == "http") return "80";
    if (scheme.starts_with("socks")) return "1080";
    return "";
}

std::string Url::authority() const {
    const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return fmt::format("{}:{}", name, effective_port());
}

std::string Url::redacted() const {
    std::string user = userinfo;
    if (const size_t colon = user.find(':'); colon != std::string::npos)
        user = user.substr(0, colon) + ":xxxxx";
    const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return fmt::format("{}://{}{}{}{}", scheme, user.empty() ? "" : user + "@", name,
                       port.empty() ? "" : ":" + port, path);
}

std::optional<Url> parse_url(std::string_view text) {
    Url url;
    const size_t scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
    url.scheme = lower(text.substr(0, scheme_end));
    std::string_view rest = text.substr(scheme_end + 3);
    const size_t authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    url.path = authority_end == std::string_view::npos ? "" : std::string(rest.substr(authority_end));
    while (!url.path.empty() && url.path.back() == '/')
        url.path.pop_back();

    if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
        url.userinfo = std::string(authority.substr(0, at));
        authority = authority.substr(at + 1);
    }
    if (!authority.empty() && authority.front() == '[') {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        url.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            url.port = std::string(after.substr(1));
        }
    } else {
        const size_t colon = authority.rfind(':');
        url.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) url.port = std::string(authority.substr(colon + 1));
    }
    if (url.host.empty()) return std::nullopt;
    if (!std::all_of(url.port.begin(), url.port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return url;
}

std::string percent_encode(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += c;
        } else {
            out += fmt::format("%{:02X}", byte);
        }
    }
    return out;
}

std::string encode_query(const Query& query) {
    std::string out;
    for (const auto& [name, value] : query) {
        if (!out.empty()) out += '&';
        out += percent_encode(name);
        out += '=';
        out += percent_encode(value);
    }
    return out;
}

} // namespace kq::kube
