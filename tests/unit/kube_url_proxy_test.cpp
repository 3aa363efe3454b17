#include "kube/proxy.hpp"
#include "kube/url.hpp"

#include <doctest/doctest.h>

namespace kube = kq::kube;

TEST_CASE("URLs split into the parts kq needs") {
    const kube::Url url = *kube::parse_url("HTTPS://user:pw@[fd00::1]:6443/prefix/");
    CHECK(url.scheme == "https");
    CHECK(url.userinfo == "user:pw");
    CHECK(url.host == "fd00::1");
    CHECK(url.port == "6443");
    CHECK(url.path == "/prefix");
    CHECK(url.authority() == "[fd00::1]:6443");
    CHECK(url.redacted() == "https://user:xxxxx@[fd00::1]:6443/prefix");
    CHECK(kube::parse_url("http://proxy.test")->effective_port() == "80");
    CHECK(kube::parse_url("https://a.test")->authority() == "a.test:443");
    CHECK(kube::parse_url("socks5://p.test")->effective_port() == "1080");
    CHECK_FALSE(kube::parse_url("a.test:6443").has_value());
    CHECK_FALSE(kube::parse_url("https://").has_value());
    CHECK_FALSE(kube::parse_url("https://a:b:c").has_value());
}

TEST_CASE("query parameters are percent-encoded") {
    CHECK(kube::encode_query({{"labelSelector", "app=x,tier in (a,b)"}, {"limit", "500"}}) ==
          "labelSelector=app%3Dx%2Ctier%20in%20%28a%2Cb%29&limit=500");
    CHECK(kube::percent_encode("a-b_c.d~e") == "a-b_c.d~e");
}

TEST_CASE("proxies from the environment follow Go's http.ProxyFromEnvironment") {
    kube::ProxyEnvironment env;
    env.https_proxy = "proxy.corp:3128";
    env.http_proxy = "http://plain.corp:8080";
    const auto proxy = [&](const char* server) {
        return kube::proxy_from_environment(*kube::parse_url(server), env);
    };

    CHECK(proxy("https://k8s.corp:6443") == "http://proxy.corp:3128"); // no scheme means http://
    CHECK(proxy("http://k8s.corp:8080") == "http://plain.corp:8080");
    // Loopback and localhost never go through a proxy from the environment.
    CHECK(proxy("https://127.0.0.1:6443") == "");
    CHECK(proxy("https://127.8.9.1:6443") == "");
    CHECK(proxy("https://[::1]:6443") == "");
    CHECK(proxy("https://localhost:6443") == "");
    CHECK(proxy("https://LOCALHOST:6443") == "");

    env.no_proxy =
        " .internal, example.com ,10.0.0.0/8, 192.168.1.5, [fd00::1]:6443, *.wild.test, k8s.port:6443";
    CHECK(proxy("https://api.internal:6443") == "");    // leading dot: subdomains
    CHECK(proxy("https://internal:6443") != "");        // ... but not the name itself
    CHECK(proxy("https://example.com:6443") == "");     // no dot: the name ...
    CHECK(proxy("https://api.example.com:6443") == ""); // ... and its subdomains
    CHECK(proxy("https://notexample.com:6443") != "");
    CHECK(proxy("https://10.1.2.3:6443") == ""); // CIDR
    CHECK(proxy("https://11.1.2.3:6443") != "");
    CHECK(proxy("https://192.168.1.5:6443") == ""); // an IP
    CHECK(proxy("https://192.168.1.6:6443") != "");
    CHECK(proxy("https://[fd00::1]:6443") == ""); // an IPv6 with port
    CHECK(proxy("https://[fd00::1]:7443") != "");
    CHECK(proxy("https://a.wild.test:6443") == ""); // *.domain
    CHECK(proxy("https://k8s.port:6443") == "");    // domain with port
    CHECK(proxy("https://k8s.port:7443") != "");
    CHECK(proxy("https://example.com") == ""); // default port 443

    env.no_proxy = "*";
    CHECK(proxy("https://k8s.corp:6443") == "");

    env = {};
    CHECK(proxy("https://k8s.corp:6443") == "");
}
