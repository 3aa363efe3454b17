// End-to-end: kubeconfig loading as kubectl does it, checked against the cluster's own kubectl, and no
// credential of any kind sent to a server that is not https.

#include "e2e_helpers.hpp"
#include "kube/url.hpp"
#include "util/base64.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <thread>

using namespace kq::e2e;

namespace {

std::string emit_yaml(const YAML::Node& node) {
    YAML::Emitter out;
    out << node;
    return std::string(out.c_str()) + "\n";
}

size_t occurrences(const std::string& text, const std::string& part) {
    size_t count = 0;
    for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1))
        ++count;
    return count;
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// A plain-HTTP server that writes every request it gets (head and body) to a log and answers /version
// with 200 and everything else with 401, as an API server does for a client without credentials.
constexpr const char* k_plain_server = R"py(import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(16)
log = open(sys.argv[2], "ab")
while True:
    connection, _ = server.accept()
    connection.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                while len(body) < int(line.split(b":")[1]):
                    body += connection.recv(65536)
    except OSError:
        pass
    log.write(b"=== request\n" + data + b"\n")
    log.flush()
    if data.startswith(b"GET /version "):
        payload = b'{"major":"1","minor":"35","gitVersion":"v0.0.0-plain"}'
        status = b"200 OK"
    else:
        payload = (b'{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized",'
                   b'"reason":"Unauthorized","code":401}')
        status = b"401 Unauthorized"
    connection.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: " +
                       str(len(payload)).encode() + b"\r\nConnection: close\r\n\r\n" + payload)
    connection.close()
)py";

// The namespace and server base of the Jobs list `kubectl get jobs -v=6` logged, from its URL.
struct KubectlRequest {
    std::string server;
    std::string namespace_name;
};

std::optional<KubectlRequest> kubectl_jobs_request(const std::string& log) {
    const std::string marker = "/apis/batch/v1/namespaces/";
    const size_t at = log.find(marker);
    if (at == std::string::npos) return std::nullopt;
    const size_t start = log.rfind("http", at);
    if (start == std::string::npos) return std::nullopt;
    const size_t ns_start = at + marker.size();
    return KubectlRequest{log.substr(start, at - start),
                          log.substr(ns_start, log.find('/', ns_start) - ns_start)};
}

} // namespace

TEST_SUITE("kube") {

    TEST_CASE("no credential of any kind reaches a plain-http server, and no exec plugin runs for it") {
        TempDir dir;
        write_file(dir.file("plain.py"), k_plain_server);
        const int port = free_port();
        const std::string log = dir.file("requests");
        write_file(log, "");
        BackgroundProcess server({"python3", dir.file("plain.py"), std::to_string(port), log});
        REQUIRE(wait_for_port(port, std::chrono::seconds(30)));

        const YAML::Node cluster_config = YAML::LoadFile(cluster_kubeconfig());
        YAML::Node admin_user;
        for (const YAML::Node& entry : cluster_config["users"]) {
            if (entry["name"].as<std::string>() == "kq-admin") admin_user = YAML::Clone(entry["user"]);
        }
        REQUIRE(admin_user.IsMap());

        const std::string limited_token = [] {
            std::string token = read_file(cluster_file("pki/limited.token"));
            return token.substr(0, token.find_last_not_of(" \n") + 1);
        }();
        write_file(dir.file("token-file"), "file-token-SECRET\n");
        write_file(dir.file("bin/plugin"),
                   "#!/bin/sh\ntouch \"$(dirname \"$0\")/plugin-ran\"\n"
                   "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                   "\"status\":{\"token\":\"exec-SECRET\"}}'\n",
                   true);

        YAML::Node config;
        YAML::Node plain;
        plain["name"] = "plain";
        plain["cluster"]["server"] = fmt::format("http://127.0.0.1:{}", port);
        config["clusters"].push_back(plain);
        YAML::Node bare; // no scheme and nothing about TLS: plain http too
        bare["name"] = "bare";
        bare["cluster"]["server"] = fmt::format("127.0.0.1:{}", port);
        config["clusters"].push_back(bare);

        std::vector<std::pair<std::string, YAML::Node>> users;
        YAML::Node token;
        token["token"] = limited_token;
        users.emplace_back("token", token);
        YAML::Node token_file;
        token_file["tokenFile"] = dir.file("token-file");
        users.emplace_back("token-file", token_file);
        YAML::Node basic;
        basic["username"] = "basic-user";
        basic["password"] = "basic-SECRET";
        users.emplace_back("basic", basic);
        YAML::Node exec;
        exec["exec"]["apiVersion"] = "client.authentication.k8s.io/v1";
        exec["exec"]["command"] = dir.file("bin/plugin");
        exec["exec"]["interactiveMode"] = "Never";
        users.emplace_back("exec", exec);
        users.emplace_back("client-certificate", admin_user);
        YAML::Node oidc;
        oidc["auth-provider"]["name"] = "oidc";
        oidc["auth-provider"]["config"]["idp-issuer-url"] = "https://idp.invalid";
        oidc["auth-provider"]["config"]["client-id"] = "kq";
        oidc["auth-provider"]["config"]["id-token"] = "oidc.SECRET.token";
        users.emplace_back("oidc", oidc);
        for (const auto& [name, body] : users) {
            YAML::Node user;
            user["name"] = name;
            user["user"] = body;
            config["users"].push_back(user);
            for (const std::string cluster : {"plain", "bare"}) {
                YAML::Node context;
                context["name"] = name + "@" + cluster;
                context["context"]["cluster"] = cluster;
                context["context"]["user"] = name;
                config["contexts"].push_back(context);
            }
        }
        write_file(dir.file("config"), emit_yaml(config));

        const std::vector<std::string> secrets = {limited_token.substr(0, 16),
                                                  "file-token-SECRET",
                                                  "basic-SECRET",
                                                  kq::base64_encode("basic-user:basic-SECRET"),
                                                  "exec-SECRET",
                                                  "oidc.SECRET.token"};
        for (const auto& [user_name, body] : users) {
            for (const std::string cluster : {"plain", "bare"}) {
                const std::string context = user_name + "@" + cluster;
                CAPTURE(context);
                const Run run = run_kq({"--context", context, "-v", "context", "--check"},
                                       {{"KUBECONFIG", dir.file("config")}});
                INFO(run.err);
                CHECK(run.status == 123);
                if (user_name == "client-certificate" && cluster == "bare") {
                    // A bare host:port with a client certificate is taken as https: TLS or nothing.
                    CHECK(run.err.find("kq: error: TLS handshake with https://127.0.0.1:") !=
                          std::string::npos);
                    continue;
                }
                const std::string withheld = fmt::format(
                    "not sending the credentials of user \"{}\": the server http://127.0.0.1:{} is not "
                    "https; kq, as kubectl, sends credentials only over TLS (https)",
                    user_name, port);
                CHECK(occurrences(run.err, withheld) == 1);
                CHECK(run.err.find("kq sends credentials only to an https server") != std::string::npos);
            }
        }
        const std::string requests = read_file(log);
        INFO(requests);
        // Every context reached the server (GET /version, then the SelfSubjectReview), none with credentials.
        CHECK(occurrences(requests, "GET /version HTTP/1.1") == users.size() * 2 - 1);
        CHECK(lower(requests).find("authorization:") == std::string::npos);
        for (const std::string& secret : secrets)
            CHECK(requests.find(secret) == std::string::npos);
        CHECK_FALSE(std::filesystem::exists(dir.file("bin/plugin-ran")));
    }

    TEST_CASE("kubeconfig loading matches the cluster's kubectl: merging, relative paths, flags, env") {
        TempDir dir;
        const std::string kubectl = cluster_kubectl();
        const YAML::Node original = YAML::LoadFile(cluster_kubeconfig());
        YAML::Node cluster;
        YAML::Node admin;
        for (const YAML::Node& entry : original["clusters"]) {
            if (entry["name"].as<std::string>() == "kq") cluster = YAML::Clone(entry["cluster"]);
        }
        for (const YAML::Node& entry : original["users"]) {
            if (entry["name"].as<std::string>() == "kq-admin") admin = YAML::Clone(entry["user"]);
        }
        REQUIRE(cluster.IsMap());
        REQUIRE(admin.IsMap());

        const auto named = [](const std::string& name, const char* kind, const YAML::Node& body) {
            YAML::Node entry;
            entry["name"] = name;
            entry[kind] = body;
            return entry;
        };
        const auto context_body = [](const std::string& cluster_name, const std::string& user,
                                     const std::string& namespace_name) {
            YAML::Node body;
            body["cluster"] = cluster_name;
            body["user"] = user;
            if (!namespace_name.empty()) body["namespace"] = namespace_name;
            return body;
        };

        // main: two contexts on the real cluster, one with a namespace.
        YAML::Node main;
        main["current-context"] = "alpha";
        main["clusters"].push_back(named("real", "cluster", cluster));
        main["users"].push_back(named("admin", "user", admin));
        main["contexts"].push_back(named("alpha", "context", context_body("real", "admin", "ns-alpha")));
        main["contexts"].push_back(named("beta", "context", context_body("real", "admin", "")));
        main["contexts"].push_back(named("odd", "context", context_body("real", "admin", "Not_A_Label")));
        write_file(dir.file("main"), emit_yaml(main));

        // other: another current-context and a "real" cluster that must lose to main's as a whole.
        YAML::Node other;
        other["current-context"] = "gamma";
        YAML::Node shadow;
        shadow["server"] = "https://127.0.0.1:1";
        other["clusters"].push_back(named("real", "cluster", shadow));
        other["contexts"].push_back(named("gamma", "context", context_body("real", "admin", "ns-gamma")));
        write_file(dir.file("other"), emit_yaml(other));

        // contexts-only and credentials-only files, merged.
        YAML::Node contexts_only;
        contexts_only["current-context"] = "delta";
        contexts_only["contexts"].push_back(
            named("delta", "context", context_body("real", "admin", "ns-delta")));
        write_file(dir.file("split/contexts"), emit_yaml(contexts_only));
        YAML::Node credentials_only;
        credentials_only["current-context"] = "alpha";
        credentials_only["clusters"] = main["clusters"];
        credentials_only["users"] = main["users"];
        write_file(dir.file("split/credentials"), emit_yaml(credentials_only));

        // relative: certificate files named relative to the kubeconfig's folder.
        write_file(dir.file("pki/ca.crt"), read_file(cluster_file("pki/ca.crt")));
        // The admin's certificate and key, from their data fields or the files they name.
        const auto pem_of = [&](const std::string& field) {
            if (admin[field + "-data"]) return *kq::base64_decode(admin[field + "-data"].as<std::string>());
            return read_file(admin[field].as<std::string>());
        };
        write_file(dir.file("pki/admin.crt"), pem_of("client-certificate"));
        write_file(dir.file("pki/admin.key"), pem_of("client-key"));
        YAML::Node relative;
        relative["current-context"] = "rel";
        YAML::Node relative_cluster;
        relative_cluster["server"] = cluster["server"];
        relative_cluster["certificate-authority"] = "../pki/ca.crt";
        relative["clusters"].push_back(named("rel-cluster", "cluster", relative_cluster));
        YAML::Node relative_user;
        relative_user["client-certificate"] = "../pki/admin.crt";
        relative_user["client-key"] = "../pki/admin.key";
        relative["users"].push_back(named("rel-user", "user", relative_user));
        relative["contexts"].push_back(
            named("rel", "context", context_body("rel-cluster", "rel-user", "ns-rel")));
        write_file(dir.file("sub/config"), emit_yaml(relative));

        YAML::Node home = YAML::Clone(main);
        home["current-context"] = "beta";
        write_file(dir.file("home/.kube/config"), emit_yaml(home));
        std::filesystem::create_directories(dir.file("empty-home"));

        struct Case {
            std::string name;
            std::vector<std::string> flags;
            EnvChanges env;
        };
        const std::string missing = dir.file("missing");
        const std::vector<Case> cases = {
            {"KUBECONFIG with one file", {}, {{"KUBECONFIG", dir.file("main")}}},
            {"--context", {"--context", "beta"}, {{"KUBECONFIG", dir.file("main")}}},
            {"-n over the context's namespace", {"-n", "ns-flag"}, {{"KUBECONFIG", dir.file("main")}}},
            {"--context and -n", {"--context", "beta", "-n", "ns-flag"}, {{"KUBECONFIG", dir.file("main")}}},
            {"a namespace that is no DNS label", {"--context", "odd"}, {{"KUBECONFIG", dir.file("main")}}},
            {"merged: the first file wins current-context and whole entries",
             {},
             {{"KUBECONFIG", dir.file("main") + ":" + dir.file("other")}}},
            {"merged, the other way round, with --context",
             {"--context", "alpha"},
             {{"KUBECONFIG", missing + ":" + dir.file("main") + ":" + dir.file("other")}}},
            {"merged: contexts from one file, clusters and users from another",
             {},
             {{"KUBECONFIG", dir.file("split/contexts") + ":" + dir.file("split/credentials")}}},
            {"relative certificate paths resolve against the kubeconfig's folder",
             {},
             {{"KUBECONFIG", dir.file("sub/config")}}},
            {"--kubeconfig wins over KUBECONFIG",
             {"--kubeconfig", dir.file("sub/config")},
             {{"KUBECONFIG", dir.file("main")}}},
            {"~/.kube/config without KUBECONFIG",
             {},
             {{"KUBECONFIG", std::nullopt}, {"HOME", dir.file("home")}}},
            {"an empty KUBECONFIG counts as unset", {}, {{"KUBECONFIG", ""}, {"HOME", dir.file("home")}}},
        };
        for (const Case& test : cases) {
            const std::string name = test.name;
            CAPTURE(name);
            EnvChanges env = test.env;
            if (env.count("HOME") == 0) env["HOME"] = dir.file("empty-home");
            for (const char* variable : {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                                         "no_proxy", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"}) {
                env[variable] = std::nullopt;
            }

            std::vector<std::string> view = {kubectl, "config", "view", "--minify", "-o", "json"};
            std::vector<std::string> get = {kubectl, "get", "jobs", "-v=6", "--request-timeout=20s"};
            std::vector<std::string> ours = {"context", "-o", "json"};
            for (size_t i = 0; i < test.flags.size(); ++i) {
                // config view has no -n; the namespace is compared through the request kubectl makes.
                if (test.flags[i] != "-n") view.push_back(test.flags[i]);
                if (test.flags[i] == "-n") ++i;
            }
            get.insert(get.end(), test.flags.begin(), test.flags.end());
            ours.insert(ours.end(), test.flags.begin(), test.flags.end());

            const Run viewed = run_program(view, env);
            const Run listed = run_program(get, env);
            const Run shown = run_kq(ours, env);
            INFO("kubectl config view: ", viewed.err);
            INFO("kubectl get jobs: ", listed.err);
            INFO("kq: ", shown.err);
            REQUIRE(viewed.status == 0);
            REQUIRE(listed.status == 0);
            REQUIRE(shown.status == 0);
            const nlohmann::json theirs = nlohmann::json::parse(viewed.out);
            const nlohmann::json mine = nlohmann::json::parse(shown.out);
            const std::optional<KubectlRequest> request = kubectl_jobs_request(listed.err);
            REQUIRE(request.has_value());

            CHECK(mine["context"] == theirs["current-context"]);
            REQUIRE(theirs["contexts"].size() == 1);
            CHECK(mine["cluster"] == theirs["contexts"][0]["context"]["cluster"]);
            CHECK(mine["user"] == theirs["contexts"][0]["context"]["user"]);
            CHECK(mine["server"] == request->server);
            CHECK(mine["namespace"] == request->namespace_name);
        }
    }

    TEST_CASE("one rule for namespaces from -n and from the context: only what would change the API path") {
        TempDir dir;
        YAML::Node config = YAML::LoadFile(cluster_kubeconfig());
        for (YAML::Node entry : config["contexts"]) {
            if (entry["name"].as<std::string>() == "admin") entry["context"]["namespace"] = "a/b";
        }
        write_file(dir.file("slash"), emit_yaml(config));
        for (YAML::Node entry : config["contexts"]) {
            if (entry["name"].as<std::string>() == "admin") entry["context"]["namespace"] = "Not_A_Label";
        }
        write_file(dir.file("odd"), emit_yaml(config));

        const Run flag = run_kq({"context", "-n", "a/b"});
        CHECK(flag.status == 125);
        CHECK(flag.err == "kq: error: -n/--namespace: namespace \"a/b\" can't be used: it contains \"/\"\n");
        const Run context = run_kq({"context"}, {{"KUBECONFIG", dir.file("slash")}});
        CHECK(context.status == 123);
        CHECK(
            context.err.ends_with("context \"admin\": namespace \"a/b\" can't be used: it contains \"/\"\n"));

        // Not a DNS-1123 label: accepted from either, and the server answers, as with kubectl.
        for (const Run& run : {run_kq({"context", "-o", "json", "-n", "Not_A_Label"}),
                               run_kq({"context", "-o", "json"}, {{"KUBECONFIG", dir.file("odd")}})}) {
            CHECK(run.status == 0);
            CHECK(nlohmann::json::parse(run.out)["namespace"] == "Not_A_Label");
        }
    }

    TEST_CASE("in a pod: a context without a namespace, a missing KUBECONFIG, no current-context") {
        TempDir dir;
        write_file(dir.file("sa/token"), read_file(cluster_file("pki/limited.token")));
        write_file(dir.file("sa/ca.crt"), read_file(cluster_file("pki/ca.crt")));
        write_file(dir.file("sa/namespace"), "kq-e2e\n");
        std::filesystem::create_directories(dir.file("home"));
        YAML::Node config = YAML::LoadFile(cluster_kubeconfig());
        for (YAML::Node entry : config["contexts"]) {
            if (entry["name"].as<std::string>() == "admin") entry["context"].remove("namespace");
        }
        write_file(dir.file("no-namespace"), emit_yaml(config));
        config.remove("current-context");
        write_file(dir.file("no-current"), emit_yaml(config));
        const int port = std::stoi(kq::kube::parse_url(cluster_server())->port);
        EnvChanges pod = {{"HOME", dir.file("home")},
                          {"KUBERNETES_SERVICE_HOST", "127.0.0.1"},
                          {"KUBERNETES_SERVICE_PORT", std::to_string(port)},
                          {"KQ_SERVICEACCOUNT_DIR", dir.file("sa")}};

        // A context that sets no namespace takes the pod's; one that sets "default" keeps it, as with
        // kubectl.
        EnvChanges no_namespace = pod;
        no_namespace["KUBECONFIG"] = dir.file("no-namespace");
        const Run admin = run_kq({"context", "-o", "json"}, no_namespace);
        CHECK(admin.status == 0);
        CHECK(nlohmann::json::parse(admin.out)["context"] == "admin");
        CHECK(nlohmann::json::parse(admin.out)["namespace"] == "kq-e2e");
        const Run explicit_default = run_kq({"context", "-o", "json"}, pod);
        CHECK(nlohmann::json::parse(explicit_default.out)["namespace"] == "default");

        EnvChanges missing = pod;
        missing["KUBECONFIG"] = dir.file("gone") + ":" + dir.file("gone2");
        const Run fallback = run_kq({"context", "--check", "-o", "json"}, missing);
        CHECK(fallback.status == 0);
        CHECK(nlohmann::json::parse(fallback.out)["source"] == "in-cluster configuration");
        CHECK(nlohmann::json::parse(fallback.out)["authenticatedAs"] == "kq-limited");

        EnvChanges no_current = pod;
        no_current["KUBECONFIG"] = dir.file("no-current");
        const Run in_cluster = run_kq({"context", "-o", "json"}, no_current);
        CHECK(in_cluster.status == 0);
        CHECK(nlohmann::json::parse(in_cluster.out)["source"] == "in-cluster configuration");

        // Outside a pod both stay errors.
        const Run outside = run_kq({"context"}, {{"KUBECONFIG", dir.file("no-current")}});
        CHECK(outside.status == 123);
        CHECK(outside.err.find("no current-context is set; choose a context with --context") !=
              std::string::npos);
    }

} // TEST_SUITE
