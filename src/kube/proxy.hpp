#pragma once

#include "kube/url.hpp"

#include <string>

namespace kq::kube {

// The environment variables that choose a proxy, as Go's http.ProxyFromEnvironment reads them (the
// lower-case name first).
struct ProxyEnvironment {
    std::string http_proxy;
    std::string https_proxy;
    std::string no_proxy;

    // Reads http_proxy/HTTP_PROXY, https_proxy/HTTPS_PROXY and no_proxy/NO_PROXY from the process.
    static ProxyEnvironment from_process();
};

// The proxy kubectl would use for a server when the kubeconfig sets no proxy-url: HTTPS_PROXY for an
// https server, HTTP_PROXY for http, none for localhost, loopback addresses and NO_PROXY matches
// (`*`, IPs, CIDRs, domains with their subdomains, optional ports). Empty for a direct connection.
std::string proxy_from_environment(const Url& server, const ProxyEnvironment& environment);

} // namespace kq::kube
