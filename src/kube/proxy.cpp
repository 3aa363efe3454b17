#include "kube/proxy.hpp"

#include "util/text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>

namespace kq::kube {
namespace {

// An IP address as 16 bytes, IPv4 mapped into IPv6 as Go's net.IP holds it.
using Address = std::array<unsigned char, 16>;

std::optional<Address> parse_ip(const std::string& text) {
    Address address{};
    in_addr v4{};
    if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        address[10] = 0xff;
        address[11] = 0xff;
        std::copy_n(reinterpret_cast<const unsigned char*>(&v4), 4, address.begin() + 12);
        return address;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
        std::copy_n(reinterpret_cast<const unsigned char*>(&v6), 16, address.begin());
        return address;
    }
    return std::nullopt;
}

bool is_v4(const Address& address) {
    return std::all_of(address.begin(), address.begin() + 10, [](unsigned char b) { return b == 0; }) &&
           address[10] == 0xff && address[11] == 0xff;
}

bool is_loopback(const Address& address) {
    if (is_v4(address)) return address[12] == 127;
    Address one{};
    one[15] = 1;
    return address == one;
}

// True when `address` is inside `network`/`bits`; the bits count in the family the network is written in.
bool in_network(const Address& address, const Address& network, int bits, bool network_is_v4) {
    if (network_is_v4 != is_v4(address)) return false;
    const int offset = network_is_v4 ? 12 : 0;
    for (int bit = 0; bit < bits; ++bit) {
        const int byte = offset + bit / 8;
        const auto mask = static_cast<unsigned char>(0x80 >> (bit % 8));
        if ((address[static_cast<size_t>(byte)] & mask) != (network[static_cast<size_t>(byte)] & mask))
            return false;
    }
    return true;
}

// Splits "host:port" or "[v6]:port"; false when there is no port part.
bool split_host_port(const std::string& text, std::string& host, std::string& port) {
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        return true;
    }
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return false;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    return true;
}

// True when a NO_PROXY list exempts host:port from the proxy.
bool no_proxy_matches(const std::string& list, const std::string& host, const std::string& port) {
    const std::optional<Address> ip = parse_ip(host);
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        const std::string entry = lower(trim(list.substr(start, end - start), " \t"));
        start = end + 1;
        if (entry.empty()) continue;
        if (entry == "*") return true;

        if (const size_t slash = entry.find('/'); slash != std::string::npos) {
            const std::optional<Address> network = parse_ip(entry.substr(0, slash));
            const std::string bits_text = entry.substr(slash + 1);
            if (!network || bits_text.empty() || bits_text.size() > 3 ||
                !std::all_of(bits_text.begin(), bits_text.end(),
                             [](char c) { return c >= '0' && c <= '9'; })) {
                continue;
            }
            const int bits = std::atoi(bits_text.c_str());
            const bool network_is_v4 = entry.find(':') == std::string::npos;
            if (bits > (network_is_v4 ? 32 : 128)) continue;
            if (ip && in_network(*ip, *network, bits, network_is_v4)) return true;
            continue;
        }

        std::string entry_host = entry;
        std::string entry_port;
        if (!split_host_port(entry, entry_host, entry_port)) {
            entry_host = entry;
            entry_port.clear();
        }
        if (entry_host.empty()) continue;
        if (const std::optional<Address> entry_ip = parse_ip(entry_host)) {
            if (ip && *ip == *entry_ip && (entry_port.empty() || entry_port == port)) return true;
            continue;
        }
        if (ip) continue; // names never match an address
        if (entry_host.starts_with("*.")) entry_host = entry_host.substr(1);
        bool match_host = false;
        if (entry_host.front() != '.') {
            match_host = true;
            entry_host = "." + entry_host;
        }
        const bool suffix = host.size() >= entry_host.size() &&
                            host.compare(host.size() - entry_host.size(), entry_host.size(), entry_host) == 0;
        if ((suffix || (match_host && host == entry_host.substr(1))) &&
            (entry_port.empty() || entry_port == port)) {
            return true;
        }
    }
    return false;
}

std::string first_set(const char* lower_name, const char* upper_name) {
    for (const char* name : {lower_name, upper_name}) {
        const char* value = std::getenv(name);
        if (value != nullptr && *value != '\0') return value;
    }
    return "";
}

} // namespace

ProxyEnvironment ProxyEnvironment::from_process() {
    return {first_set("http_proxy", "HTTP_PROXY"), first_set("https_proxy", "HTTPS_PROXY"),
            first_set("no_proxy", "NO_PROXY")};
}

std::string proxy_from_environment(const Url& server, const ProxyEnvironment& environment) {
    std::string proxy;
    if (server.scheme == "https")
        proxy = environment.https_proxy;
    else if (server.scheme == "http")
        proxy = environment.http_proxy;
    if (proxy.empty()) return "";
    // Go reads a proxy without a scheme as http://.
    if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;

    const std::string host = lower(server.host);
    if (host == "localhost") return "";
    if (const std::optional<Address> ip = parse_ip(host); ip && is_loopback(*ip)) return "";
    if (no_proxy_matches(environment.no_proxy, host, server.effective_port())) return "";
    return proxy;
}

} // namespace kq::kube
