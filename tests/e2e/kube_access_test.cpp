// End-to-end: the built kq binary reaches the test cluster through every way of configuring and
// authenticating that kubectl supports, and explains when it can't.

#include "e2e_helpers.hpp"
#include "kube/url.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <netdb.h>
#include <unistd.h>

#include <fstream>

using namespace kq::e2e;

namespace {

std::string emit(const YAML::Node& node) {
    YAML::Emitter out;
    out << node;
    return std::string(out.c_str()) + "\n";
}

// The cluster's kubeconfig with its one cluster entry changed by `edit`, written to `path`.
std::string edited_kubeconfig(const std::string& path, const std::function<void(YAML::Node& cluster)>& edit,
                              const std::string& current_context = "admin") {
    YAML::Node config = YAML::LoadFile(cluster_kubeconfig());
    for (YAML::Node entry : config["clusters"]) {
        YAML::Node cluster = entry["cluster"];
        edit(cluster);
    }
    config["current-context"] = current_context;
    write_file(path, emit(config));
    return path;
}

int server_port() { return std::stoi(kq::kube::parse_url(cluster_server())->port); }

// The one line of `kq context` output that starts with the label.
std::string line_of(const std::string& output, const std::string& label) {
    std::istringstream lines(output);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.starts_with(label + ":")) return line;
    }
    return "";
}

std::string padded(const std::string& label, const std::string& value) {
    return fmt::format("{:<18}{}", label + ":", value);
}

// An exec plugin that prints the limited user's token (after a wrong one on its first run when
// `wrong_first`), with an expiry an hour ahead, and counts its runs in FOLDER/calls.
std::string write_plugin(const TempDir& dir, bool wrong_first) {
    const std::string token = read_file(cluster_file("pki/limited.token"));
    std::string script = "#!/bin/sh\n"
                         "here=$(dirname \"$0\")\n"
                         "echo run >> \"$here/calls\"\n"
                         "token='" +
                         token.substr(0, token.find_last_not_of(" \n") + 1) + "'\n";
    if (wrong_first) script += "[ \"$(wc -l < \"$here/calls\")\" -eq 1 ] && token=wrong-token\n";
    script += "expiry=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)\n"
              "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
              "\"status\":{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}' \"$token\" \"$expiry\"\n";
    write_file(dir.file("bin/kq-test-plugin"), script, true);
    return dir.file("bin/kq-test-plugin");
}

// Makes an RSA key and a client certificate for `common_name` in group system:masters, signed by the
// cluster's CA, as DIR/NAME.key and DIR/NAME.crt.
void sign_client_certificate(const TempDir& dir, const std::string& name, const std::string& common_name) {
    const Run key =
        run_program({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.file(name + ".key"),
                     "-out", dir.file(name + ".csr"), "-subj", "/O=system:masters/CN=" + common_name});
    REQUIRE_MESSAGE(key.status == 0, key.err);
    const Run certificate =
        run_program({"openssl", "x509", "-req", "-in", dir.file(name + ".csr"), "-CA",
                     cluster_file("pki/ca.crt"), "-CAkey", cluster_file("pki/ca.key"), "-CAcreateserial",
                     "-CAserial", dir.file("ca.srl"), "-days", "1", "-out", dir.file(name + ".crt")});
    REQUIRE_MESSAGE(certificate.status == 0, certificate.err);
}

// The cluster's kubeconfig plus a user and a context "extra" for it, made current, written to DIR/config.
std::string kubeconfig_with_user(const TempDir& dir, const YAML::Node& user_body) {
    YAML::Node config = YAML::LoadFile(cluster_kubeconfig());
    YAML::Node user;
    user["name"] = "extra";
    user["user"] = user_body;
    config["users"].push_back(user);
    YAML::Node context;
    context["name"] = "extra";
    context["context"]["cluster"] = "kq";
    context["context"]["user"] = "extra";
    config["contexts"].push_back(context);
    config["current-context"] = "extra";
    write_file(dir.file("config"), emit(config));
    return dir.file("config");
}

int count_lines(const std::string& path) {
    std::ifstream in(path);
    int count = 0;
    std::string line;
    while (std::getline(in, line))
        ++count;
    return count;
}

// The machine's own name when it resolves to a loopback address that is not written as one, so that
// kubectl's rules send it through HTTPS_PROXY; empty when there is no such name.
std::string loopback_hostname() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || std::string(name) == "localhost") return "";
    addrinfo hints{};
    hints.ai_family = AF_INET;
    addrinfo* result = nullptr;
    if (getaddrinfo(name, nullptr, &hints, &result) != 0) return "";
    const bool loopback =
        reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
    freeaddrinfo(result);
    return loopback ? name : "";
}

} // namespace

TEST_SUITE("kube") {

    TEST_CASE("kq context shows each context of the cluster's kubeconfig, never a secret") {
        const std::string server = cluster_server();
        const Run admin = run_kq({"context"});
        CHECK(admin.status == 0);
        CHECK(admin.err == "");
        CHECK(admin.out == padded("context", "admin") + "\n" + padded("cluster", "kq") + "\n" +
                               padded("server", server) + "\n" + padded("user", "kq-admin") + "\n" +
                               padded("namespace", "default") + "\n" + padded("auth", "client certificate") +
                               "\n" + padded("kubeconfig", cluster_kubeconfig()) + "\n");

        const Run limited = run_kq({"context", "--context", "limited", "-o", "json"});
        CHECK(limited.status == 0);
        const nlohmann::json shown = nlohmann::json::parse(limited.out);
        CHECK(shown["context"] == "limited");
        CHECK(shown["user"] == "kq-limited");
        CHECK(shown["namespace"] == "kq-e2e");
        CHECK(shown["namespaceSource"] == "context");
        CHECK(shown["auth"] == "token");
        CHECK(shown["server"] == server);
        const std::string token = read_file(cluster_file("pki/limited.token"));
        CHECK(limited.out.find(token.substr(0, 12)) == std::string::npos);

        const Run flag = run_kq({"context", "--context", "broken-ca", "-n", "elsewhere"});
        CHECK(flag.status == 0);
        CHECK(line_of(flag.out, "namespace") == padded("namespace", "elsewhere (from the flag)"));
    }

    TEST_CASE(
        "kq context --check authenticates with a client certificate and with a bearer token over HTTP/2") {
        const Run admin = run_kq({"context", "--check"});
        CHECK(admin.status == 0);
        CHECK(line_of(admin.out, "server version") == padded("server version", "v1.35.4"));
        CHECK(line_of(admin.out, "authenticated as") == padded("authenticated as", "kq-admin"));
        CHECK(line_of(admin.out, "protocol") == padded("protocol", "HTTP/2"));

        const Run limited = run_kq({"context", "--check", "--context", "limited"});
        CHECK(limited.status == 0);
        CHECK(line_of(limited.out, "authenticated as") == padded("authenticated as", "kq-limited"));
    }

    TEST_CASE("an RSA client certificate works as well as the cluster's EC one") {
        // The cluster's admin certificate has an EC key; sign an RSA one with the cluster's CA.
        TempDir dir;
        sign_client_certificate(dir, "rsa", "kq-rsa");
        YAML::Node user;
        user["client-certificate"] = "rsa.crt"; // relative to the kubeconfig's folder
        user["client-key"] = "rsa.key";
        const Run run = run_kq({"context", "--check"}, {{"KUBECONFIG", kubeconfig_with_user(dir, user)}});
        CHECK(run.status == 0);
        CHECK(line_of(run.out, "authenticated as") == padded("authenticated as", "kq-rsa"));
    }

    TEST_CASE("an exec plugin's client certificate is used for TLS") {
        TempDir dir;
        sign_client_certificate(dir, "plugin", "kq-plugin");
        const nlohmann::json credential = {{"apiVersion", "client.authentication.k8s.io/v1"},
                                           {"kind", "ExecCredential"},
                                           {"status",
                                            {{"clientCertificateData", read_file(dir.file("plugin.crt"))},
                                             {"clientKeyData", read_file(dir.file("plugin.key"))}}}};
        write_file(dir.file("credential.json"), credential.dump());
        write_file(dir.file("print-credential"), "#!/bin/sh\ncat \"$(dirname \"$0\")/credential.json\"\n",
                   true);
        YAML::Node user;
        user["exec"]["apiVersion"] = "client.authentication.k8s.io/v1";
        user["exec"]["command"] = "./print-credential"; // relative to the kubeconfig's folder
        user["exec"]["interactiveMode"] = "Never";
        const Run run = run_kq({"context", "--check"}, {{"KUBECONFIG", kubeconfig_with_user(dir, user)}});
        CHECK(run.status == 0);
        CHECK(line_of(run.out, "auth") == padded("auth", "exec plugin print-credential"));
        CHECK(line_of(run.out, "authenticated as") == padded("authenticated as", "kq-plugin"));
    }

    TEST_CASE("a server certificate from another authority is refused, naming the CA to check") {
        const Run run = run_kq({"context", "--check", "--context", "broken-ca"});
        CHECK(run.status == 123);
        CHECK(run.out == "");
        CHECK(run.err ==
              fmt::format(
                  "kq: error: cannot verify {} (context \"broken-ca\" in {}): its certificate is signed "
                  "by an unknown authority; check certificate-authority-data of cluster \"kq-broken-ca\"\n",
                  cluster_server(), cluster_kubeconfig()));
    }

    TEST_CASE("nothing listening: the error names the server and context and asks the likely questions") {
        TempDir dir;
        const std::string server = fmt::format("https://127.0.0.1:{}", free_port());
        const std::string config =
            edited_kubeconfig(dir.file("config"), [&](YAML::Node& cluster) { cluster["server"] = server; });
        const Run run = run_kq({"--kubeconfig", config, "context", "--check"});
        CHECK(run.status == 123);
        CHECK(run.err ==
              fmt::format(
                  "kq: error: cannot connect to {} (context \"admin\" in {}): connection refused; is the "
                  "cluster running, and is \"admin\" the context you meant (--context)?\n",
                  server, config));
    }

    TEST_CASE("tls-server-name: the certificate is checked against it, not the server's address") {
        TempDir dir;
        const std::string good = edited_kubeconfig(
            dir.file("good"), [](YAML::Node& cluster) { cluster["tls-server-name"] = "kubernetes.default"; });
        const Run ok = run_kq({"--kubeconfig", good, "context", "--check"});
        CHECK(ok.status == 0);
        CHECK(line_of(ok.out, "tls-server-name") == padded("tls-server-name", "kubernetes.default"));
        CHECK(line_of(ok.out, "authenticated as") == padded("authenticated as", "kq-admin"));

        const std::string bad = edited_kubeconfig(
            dir.file("bad"), [](YAML::Node& cluster) { cluster["tls-server-name"] = "wrong.example"; });
        const Run refused = run_kq({"--kubeconfig", bad, "context", "--check"});
        CHECK(refused.status == 123);
        CHECK(refused.err ==
              fmt::format("kq: error: cannot verify {} (context \"admin\" in {}): its certificate is not "
                          "valid for \"wrong.example\"; use a name the certificate lists in server, or set "
                          "tls-server-name of cluster \"kq\"\n",
                          cluster_server(), bad));
    }

    TEST_CASE("insecure-skip-tls-verify works and warns on one line") {
        TempDir dir;
        const std::string config = edited_kubeconfig(dir.file("config"), [](YAML::Node& cluster) {
            cluster.remove("certificate-authority-data");
            cluster.remove("certificate-authority");
            cluster["insecure-skip-tls-verify"] = true;
        });
        const Run run = run_kq({"--kubeconfig", config, "context", "--check"});
        CHECK(run.status == 0);
        CHECK(run.err == "kq: warning: TLS certificate verification is disabled for cluster \"kq\" "
                         "(insecure-skip-tls-verify); the connection can be intercepted\n");
        CHECK(line_of(run.out, "authenticated as") == padded("authenticated as", "kq-admin"));
    }

    TEST_CASE("three KUBECONFIG files merge as kubectl merges them") {
        TempDir dir;
        const YAML::Node original = YAML::LoadFile(cluster_kubeconfig());
        // First: only contexts; it picks the current context and redefines "admin" with another namespace.
        YAML::Node first;
        first["current-context"] = "limited";
        for (const YAML::Node& entry : original["contexts"]) {
            YAML::Node copy = YAML::Clone(entry);
            if (copy["name"].as<std::string>() == "admin") copy["context"]["namespace"] = "from-first-file";
            first["contexts"].push_back(copy);
        }
        // Second: the clusters and users; its current-context loses.
        YAML::Node second;
        second["current-context"] = "broken-ca";
        second["clusters"] = YAML::Clone(original["clusters"]);
        second["users"] = YAML::Clone(original["users"]);
        // Third: a cluster of the same name that must lose to the second file's as a whole.
        YAML::Node third;
        YAML::Node shadow;
        shadow["name"] = "kq";
        shadow["cluster"]["server"] = "https://127.0.0.1:1";
        third["clusters"].push_back(shadow);
        write_file(dir.file("1"), emit(first));
        write_file(dir.file("2"), emit(second));
        write_file(dir.file("3"), emit(third));
        const std::string list =
            dir.file("1") + ":" + dir.file("missing") + ":" + dir.file("2") + ":" + dir.file("3");

        const Run current = run_kq({"context", "--check"}, {{"KUBECONFIG", list}});
        CHECK(current.status == 0);
        CHECK(line_of(current.out, "context") == padded("context", "limited"));
        CHECK(line_of(current.out, "server") == padded("server", cluster_server()));
        CHECK(line_of(current.out, "authenticated as") == padded("authenticated as", "kq-limited"));
        CHECK(line_of(current.out, "kubeconfig") ==
              padded("kubeconfig", dir.file("1") + ":" + dir.file("2") + ":" + dir.file("3")));

        const Run admin = run_kq({"context", "--check", "--context", "admin"}, {{"KUBECONFIG", list}});
        CHECK(admin.status == 0);
        CHECK(line_of(admin.out, "namespace") == padded("namespace", "from-first-file"));
        CHECK(line_of(admin.out, "authenticated as") == padded("authenticated as", "kq-admin"));
    }

    TEST_CASE("an exec plugin's token is used and cached, and after a 401 the plugin runs once more") {
        TempDir dir;
        YAML::Node config = YAML::LoadFile(cluster_kubeconfig());
        YAML::Node user;
        user["name"] = "exec";
        user["user"]["exec"]["apiVersion"] = "client.authentication.k8s.io/v1";
        user["user"]["exec"]["command"] = "kq-test-plugin"; // found on PATH
        user["user"]["exec"]["interactiveMode"] = "Never";
        config["users"].push_back(user);
        YAML::Node context;
        context["name"] = "exec";
        context["context"]["cluster"] = "kq";
        context["context"]["user"] = "exec";
        config["contexts"].push_back(context);
        config["current-context"] = "exec";
        write_file(dir.file("config"), emit(config));
        const EnvChanges env = {{"KUBECONFIG", dir.file("config")},
                                {"PATH", dir.file("bin") + ":" + std::string(std::getenv("PATH"))}};

        SUBCASE("cached: two requests, one run") {
            write_plugin(dir, false);
            const Run run = run_kq({"context", "--check"}, env);
            CHECK(run.status == 0);
            CHECK(line_of(run.out, "auth") == padded("auth", "exec plugin kq-test-plugin"));
            CHECK(line_of(run.out, "authenticated as") == padded("authenticated as", "kq-limited"));
            CHECK(count_lines(dir.file("bin/calls")) == 1);
        }
        SUBCASE("a refused token makes the plugin run again, and the request is retried") {
            write_plugin(dir, true);
            const Run run = run_kq({"context", "--check", "-v"}, env);
            CHECK(run.status == 0);
            CHECK(line_of(run.out, "authenticated as") == padded("authenticated as", "kq-limited"));
            CHECK(count_lines(dir.file("bin/calls")) == 2);
            CHECK(run.err.find("/version 401 Unauthorized in ") != std::string::npos);
            CHECK(run.err.find("/version 200 OK in ") != std::string::npos);
        }
    }

    TEST_CASE("in-cluster configuration: service account token, CA and namespace from a folder") {
        TempDir dir;
        write_file(dir.file("sa/token"), read_file(cluster_file("pki/limited.token")));
        write_file(dir.file("sa/ca.crt"), read_file(cluster_file("pki/ca.crt")));
        write_file(dir.file("sa/namespace"), "kq-e2e");
        std::filesystem::create_directories(dir.file("home"));
        const EnvChanges env = {{"KUBECONFIG", std::nullopt},
                                {"HOME", dir.file("home")},
                                {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                                {"KUBERNETES_SERVICE_PORT", std::to_string(server_port())},
                                {"KQ_SERVICEACCOUNT_DIR", dir.file("sa")}};
        const Run run = run_kq({"context", "--check", "-o", "json"}, env);
        CHECK(run.status == 0);
        const nlohmann::json shown = nlohmann::json::parse(run.out);
        CHECK(shown["context"] == "");
        CHECK(shown["cluster"] == "in-cluster");
        CHECK(shown["server"] == fmt::format("https://127.0.0.1:{}", server_port()));
        CHECK(shown["namespace"] == "kq-e2e");
        CHECK(shown["auth"] == "service account token " + dir.file("sa/token"));
        CHECK(shown["source"] == "in-cluster configuration");
        CHECK(shown["authenticatedAs"] == "kq-limited");
    }

    TEST_CASE("proxy-url: requests go through a real forward proxy") {
        Tinyproxy proxy;
        TempDir dir;
        const std::string config = edited_kubeconfig(
            dir.file("config"), [&](YAML::Node& cluster) { cluster["proxy-url"] = proxy.url(); });
        const Run run = run_kq({"context", "--check"}, {{"KUBECONFIG", config}});
        CHECK(run.status == 0);
        CHECK(line_of(run.out, "proxy") == padded("proxy", proxy.url() + " (proxy-url of cluster \"kq\")"));
        CHECK(line_of(run.out, "authenticated as") == padded("authenticated as", "kq-admin"));
        CHECK(proxy.log().find("Established connection to host \"127.0.0.1\"") != std::string::npos);
    }

    TEST_CASE("a proxy that is down or refuses the tunnel is named in the error") {
        TempDir dir;
        const std::string down = fmt::format("http://127.0.0.1:{}", free_port());
        const std::string config =
            edited_kubeconfig(dir.file("config"), [&](YAML::Node& cluster) { cluster["proxy-url"] = down; });
        const Run refused = run_kq({"context", "--check"}, {{"KUBECONFIG", config}});
        CHECK(refused.status == 123);
        CHECK(refused.err ==
              fmt::format("kq: error: cannot reach {} through the proxy {} (proxy-url of cluster \"kq\"): "
                          "connection refused (context \"admin\" in {}); is the proxy running?\n",
                          cluster_server(), down, config));

        Tinyproxy strict({1}); // allows CONNECT to port 1 only
        const std::string strict_config = edited_kubeconfig(
            dir.file("strict"), [&](YAML::Node& cluster) { cluster["proxy-url"] = strict.url(); });
        const Run denied = run_kq({"context", "--check"}, {{"KUBECONFIG", strict_config}});
        CHECK(denied.status == 123);
        CHECK(denied.err ==
              fmt::format("kq: error: the proxy {} (proxy-url of cluster \"kq\") refused to connect to {} "
                          "with status 403 (context \"admin\" in {}); does it allow CONNECT to that "
                          "address?\n",
                          strict.url(), cluster_server(), strict_config));
    }

    TEST_CASE("HTTPS_PROXY and NO_PROXY are honoured as kubectl honours them") {
        // A loopback address never goes through a proxy from the environment, even a dead one.
        const std::string dead = fmt::format("http://127.0.0.1:{}", free_port());
        const Run direct = run_kq({"context", "--check"}, {{"HTTPS_PROXY", dead}});
        CHECK(direct.status == 0);
        CHECK(line_of(direct.out, "proxy") == "");

        const std::string hostname = loopback_hostname();
        if (hostname.empty()) {
            MESSAGE("skipped the HTTPS_PROXY part: this machine's name does not resolve to 127.0.0.1");
            return;
        }
        // The same server under a name: now the proxy is used, and NO_PROXY can exempt it.
        Tinyproxy proxy;
        TempDir dir;
        const std::string config = edited_kubeconfig(dir.file("config"), [&](YAML::Node& cluster) {
            cluster["server"] = fmt::format("https://{}:{}", hostname, server_port());
            cluster["tls-server-name"] = "kubernetes.default";
        });
        const Run proxied =
            run_kq({"context", "--check"}, {{"KUBECONFIG", config}, {"HTTPS_PROXY", proxy.url()}});
        CHECK(proxied.status == 0);
        CHECK(line_of(proxied.out, "proxy") == padded("proxy", proxy.url() + " (HTTPS_PROXY)"));
        CHECK(line_of(proxied.out, "authenticated as") == padded("authenticated as", "kq-admin"));
        CHECK(proxy.log().find("Established connection to host \"" + hostname + "\"") != std::string::npos);

        const Run exempt =
            run_kq({"context", "--check"},
                   {{"KUBECONFIG", config}, {"https_proxy", dead}, {"no_proxy", "example.com," + hostname}});
        CHECK(exempt.status == 0);
        CHECK(line_of(exempt.out, "proxy") == "");
    }

    TEST_CASE("-v logs each request with its status and latency, and never a credential") {
        const std::string token = read_file(cluster_file("pki/limited.token"));
        const Run run = run_kq({"context", "--check", "--context", "limited", "-v", "-v"});
        CHECK(run.status == 0);
        CHECK(run.err.find("GET " + cluster_server() + "/version 200 OK in ") != std::string::npos);
        CHECK(run.err.find("POST " + cluster_server() +
                           "/apis/authentication.k8s.io/v1/selfsubjectreviews 201 Created in ") !=
              std::string::npos);
        CHECK(run.err.find("  > Authorization: Bearer <redacted>") != std::string::npos);
        CHECK(run.err.find(token.substr(0, token.find_last_not_of(" \n") + 1)) == std::string::npos);
    }

    TEST_CASE("a malformed kubeconfig is reported with its file and entry and exits 123") {
        TempDir dir;
        write_file(dir.file("config"),
                   "current-context: dev\ncontexts:\n- name: dev\n  context:\n    cluster: nope\n");
        const Run run = run_kq({"context"}, {{"KUBECONFIG", dir.file("config")}});
        CHECK(run.status == 123);
        CHECK(run.err ==
              "kq: error: " + dir.file("config") + ":5:14: context \"dev\": cluster \"nope\" not found\n");

        const Run bad_flag = run_kq({"context", "--check", "--request-timeout", "soon"});
        CHECK(bad_flag.status == 125);
        CHECK(bad_flag.err ==
              "kq: error: --request-timeout: \"soon\" is not a duration (e.g. 30s, 2m, or 0 for none)\n");
    }

} // TEST_SUITE
