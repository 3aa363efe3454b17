#include "kube/client_config.hpp"
#include "kube/kubeconfig.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

using kq::testing::source_path;
namespace kube = kq::kube;

namespace {

const std::string k_dir = source_path("tests/fixtures/kubeconfig");

std::string fixture(const std::string& name) { return k_dir + "/" + name; }

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

// The message of the kq::Error that `action` throws, or "" when it throws none.
template <typename Action> std::string error_of(Action action) {
    try {
        action();
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::cluster);
        return error.what();
    }
    return "";
}

kube::ClientConfig resolve(const std::string& context) {
    return kube::resolve_client_config(kube::load_kubeconfig_file(fixture("config")), context, {});
}

// A folder under the system's temporary folder, removed with its contents at the end of the test.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "kq-unit-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text) const {
        const std::filesystem::path file = path / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << text;
        return file.string();
    }
};

} // namespace

TEST_CASE("a kubeconfig's relative paths resolve against its folder and data fields are decoded") {
    const kube::Kubeconfig config = kube::load_kubeconfig_file(fixture("config"));
    CHECK(config.current_context == "cert");
    CHECK(config.files == std::vector<std::string>{fixture("config")});
    CHECK(config.clusters.at("local").certificate_authority == k_dir + "/pki/ca.crt");
    CHECK(config.users.at("rsa").client_certificate == k_dir + "/pki/rsa.crt");
    CHECK(config.users.at("token-file").token_file == k_dir + "/tokens/token");
    CHECK(config.users.at("ec").client_certificate_data->starts_with("-----BEGIN CERTIFICATE-----"));
    // A command with a slash is a path relative to the kubeconfig; a bare name is left for PATH.
    CHECK(config.users.at("exec").exec->command == k_dir + "/bin/plugin");
    CHECK(config.users.at("exec-path").exec->command == "aws");
    CHECK(config.users.at("exec").exec->interactive_mode == "IfAvailable"); // v1beta1's default
    CHECK(config.users.at("exec").exec->args == std::vector<std::string>{"--cluster", "demo"});
    CHECK(config.users.at("exec").exec->env.at(0).name == "PLUGIN_MODE");
    CHECK(config.clusters.at("data").exec_extension == nlohmann::json{{"audience", "kq"}, {"retries", 3}});
    CHECK(config.contexts.at("cert").at("namespace").str() == fixture("config") + ":75:51");
}

TEST_CASE("each context resolves to the server, trust and credentials it names") {
    SUBCASE("client certificate from files, with the context's namespace") {
        const kube::ClientConfig config = resolve("");
        CHECK(config.context == "cert");
        CHECK(config.cluster == "local");
        CHECK(config.user == "rsa");
        CHECK(config.server == "https://127.0.0.1:6443");
        CHECK(config.namespace_name == "team-a");
        CHECK(config.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        CHECK(config.ca_origin == "certificate-authority \"" + k_dir + "/pki/ca.crt\" of cluster \"local\"");
        CHECK(config.client_key_pem.find("PRIVATE KEY") != std::string::npos);
        CHECK(kube::auth_method(config) == "client certificate");
    }
    SUBCASE("EC client certificate from data, tls-server-name, proxy-url") {
        const kube::ClientConfig config = resolve("ec");
        CHECK(config.server == "https://example.test:8443/prefix");
        CHECK(config.tls_server_name == "kubernetes.default");
        CHECK(config.proxy_url == "http://user:secret@proxy.test:3128");
        CHECK(config.proxy_origin == "proxy-url of cluster \"data\"");
        CHECK(config.client_key_pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        CHECK(config.namespace_name.empty());
        CHECK(kube::auth_method(config) == "client certificate");
    }
    SUBCASE("token with impersonation, on an insecure cluster given as host:port") {
        const kube::ClientConfig config = resolve("token");
        CHECK(config.server == "https://kube.test:6443");
        CHECK(config.insecure_skip_tls_verify);
        CHECK(config.disable_compression);
        CHECK(config.token == "abc.def");
        CHECK(config.impersonate.user == "jane");
        CHECK(config.impersonate.uid == "1000");
        CHECK(config.impersonate.groups == std::vector<std::string>{"devs", "ops"});
        CHECK(config.impersonate.extra.at("scopes") == std::vector<std::string>{"read", "write"});
        CHECK(kube::auth_method(config) == "token, impersonating \"jane\"");
    }
    SUBCASE("token file") {
        const kube::ClientConfig config = resolve("token-file");
        CHECK(config.token_file == k_dir + "/tokens/token");
        CHECK(kube::auth_method(config) == "token file " + k_dir + "/tokens/token");
    }
    SUBCASE("basic auth is withheld from a host:port with nothing about TLS, which is plain http") {
        const kube::ClientConfig config = resolve("basic");
        CHECK(config.server == "http://kube.test:8080");
        CHECK(config.user == "basic");
        CHECK(config.username.empty());
        CHECK(config.password.empty());
        CHECK(config.credentials_withheld == "the server http://kube.test:8080 is not https");
        CHECK(kube::auth_method(config) == "none (the credentials of user \"basic\" are withheld: the server "
                                           "http://kube.test:8080 is not https)");
    }
    SUBCASE("exec plugin") {
        const kube::ClientConfig config = resolve("exec");
        REQUIRE(config.exec.has_value());
        CHECK(config.exec->provide_cluster_info);
        CHECK(config.exec_cluster_config["audience"] == "kq");
        CHECK(kube::auth_method(config) == "exec plugin plugin");
        CHECK(kube::auth_method(resolve("exec-path")) == "exec plugin aws");
    }
    SUBCASE("a token wins over an exec plugin, as kubectl skips the plugin then") {
        const kube::ClientConfig config = resolve("exec-with-token");
        CHECK_FALSE(config.exec.has_value());
        CHECK(config.token == "wins");
    }
    SUBCASE("a context without a user is anonymous") {
        const kube::ClientConfig config = resolve("anonymous");
        CHECK(config.user.empty());
        CHECK(kube::auth_method(config) == "none");
    }
}

TEST_CASE("KUBECONFIG files merge as kubectl merges them") {
    kube::KubeconfigSearch search;
    search.kubeconfig_env = fixture("merge/a") + ":" + fixture("merge/missing") + "::" + fixture("merge/b") +
                            ":" + fixture("merge/c") + ":" + fixture("merge/a");
    const std::optional<kube::Kubeconfig> merged = kube::load_kubeconfig(search);
    REQUIRE(merged.has_value());
    // Missing files are skipped, repeated ones read once.
    CHECK(merged->files ==
          std::vector<std::string>{fixture("merge/a"), fixture("merge/b"), fixture("merge/c")});
    // The first file to set current-context wins it.
    CHECK(merged->current_context == "from-a");
    // The first file to define a name wins the whole entry: no field of b's "shared" cluster leaks in.
    CHECK(merged->clusters.at("shared").server == "https://a.test:6443");
    CHECK_FALSE(merged->clusters.at("shared").insecure_skip_tls_verify);
    CHECK(merged->clusters.at("shared").location.file == fixture("merge/a"));
    CHECK(merged->users.at("shared").token == "token-b");
    CHECK(merged->contexts.at("shared-ctx").namespace_name == "ns-a");
    CHECK(merged->contexts.at("shared-ctx").cluster == "shared");
    // Entries only the later files define are there.
    CHECK(merged->clusters.count("only-b") == 1);
    CHECK(merged->users.count("only-c") == 1);

    const kube::ClientConfig from_c = kube::resolve_client_config(*merged, "from-c", {});
    CHECK(from_c.server == "https://a.test:6443");
    CHECK(from_c.username == "c");
    CHECK(from_c.source == fixture("merge/a") + ":" + fixture("merge/b") + ":" + fixture("merge/c"));
    const kube::ClientConfig current = kube::resolve_client_config(*merged, "", {});
    CHECK(current.token == "token-b");
    CHECK(current.namespace_name == "ns-a");
}

TEST_CASE("which kubeconfig is loaded: --kubeconfig, KUBECONFIG, ~/.kube/config, none") {
    TempDir home;
    kube::KubeconfigSearch search;
    search.home = home.path.string();
    CHECK_FALSE(kube::load_kubeconfig(search).has_value());

    const std::string home_config = home.write(".kube/config", "current-context: home\n");
    CHECK(kube::load_kubeconfig(search)->current_context == "home");

    search.kubeconfig_env = fixture("merge/b");
    CHECK(kube::load_kubeconfig(search)->current_context == "from-b");
    // An empty KUBECONFIG counts as unset.
    search.kubeconfig_env = "";
    CHECK(kube::load_kubeconfig(search)->current_context == "home");

    search.kubeconfig_env = home.path.string() + "/nope:" + home.path.string() + "/nope2";
    CHECK(error_of([&] { kube::load_kubeconfig(search); }) ==
          "KUBECONFIG: none of its files exists: " + home.path.string() + "/nope, " + home.path.string() +
              "/nope2");

    search.explicit_path = fixture("merge/c");
    CHECK(kube::load_kubeconfig(search)->files == std::vector<std::string>{fixture("merge/c")});
    search.explicit_path = home.path.string() + "/absent";
    CHECK(error_of([&] { kube::load_kubeconfig(search); }) ==
          "--kubeconfig: \"" + home.path.string() + "/absent\" does not exist");
}

TEST_CASE("an empty kubeconfig file is an empty configuration") {
    const kube::Kubeconfig config = kube::parse_kubeconfig("", "/x/config");
    CHECK(config.contexts.empty());
    CHECK(error_of([&] { kube::resolve_client_config(config, "", {}); }) ==
          "/x/config: no current-context is set and the kubeconfig defines no contexts");
}

TEST_CASE("--context must name a context of the kubeconfig") {
    CHECK(error_of([] { resolve("nope"); }) ==
          "--context: context \"nope\" not found in " + fixture("config") +
              " (contexts: anonymous, basic, cert, ec, exec, exec-path, exec-with-token, token, token-file)");
}

TEST_CASE("every malformed kubeconfig is reported with its file, line and entry") {
    // Each fixture's current context (if any) is resolved; the message names the place first.
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"auth-provider-azure",
         ":8:20: user \"u\": the \"azure\" auth-provider is no longer supported by kubectl or kq; install "
         "kubelogin and run 'kubelogin convert-kubeconfig' to switch to its exec plugin"},
        {"auth-provider-gcp", ":9:7: user \"u\": the \"gcp\" auth-provider is no longer supported by kubectl "
                              "or kq; install gke-gcloud-auth-plugin and run 'gcloud container clusters "
                              "get-credentials' to switch to its exec plugin"},
        {"auth-provider-oidc", ":8:20: user \"u\": auth-provider oidc: idp-issuer-url is not set"},
        {"auth-provider-unknown",
         ":8:20: user \"u\": the \"keystone\" auth-provider is not one kubectl or kq "
         "supports; configure an exec credential plugin (users[].user.exec) instead"},
        {"bad-api-version", ":1:13: apiVersion \"v2\" is not a kubeconfig version; use v1"},
        {"bad-base64", ":5:33: cluster \"c\": certificate-authority-data: not valid base64"},
        {"bad-bool", ":5:31: cluster \"c\": insecure-skip-tls-verify: expected true or false"},
        {"bad-kind", ":2:7: kind \"Pod\" is not a kubeconfig; use Config"},
        {"bad-namespace", ":7:36: context \"dev\": namespace \"a/b\" can't be used: it contains \"/\""},
        {"bad-proxy-url", ":6:16: cluster \"c\": proxy-url \"ftp://user:xxxxx@proxy.test:21\": unsupported "
                          "scheme \"ftp\"; use http, https or socks5"},
        {"bad-server", ":4:21: cluster \"c\": server \"ftp://a.test\" is not an http or https URL (e.g. "
                       "https://host:6443)"},
        {"bad-yaml", ":4:1: invalid YAML: end of map flow not found"},
        {"ca-file-not-pem",
         ":6:28: cluster \"c\": certificate-authority \"{pki}/rsa.key\" holds no PEM certificate"},
        {"ca-not-pem", ":6:33: cluster \"c\": certificate-authority-data holds no PEM certificate"},
        {"ca-twice",
         ":6:28: cluster \"c\": both certificate-authority and certificate-authority-data are set; keep one"},
        {"certificate-not-pem", ":8:30: user \"u\": client-certificate-data holds no PEM certificate"},
        {"certificate-twice",
         ":8:25: user \"u\": both client-certificate and client-certificate-data are set; keep one"},
        {"certificate-without-key",
         ":8:25: user \"u\": a client certificate is set without client-key or client-key-data"},
        {"clusters-not-a-list", ":2:3: clusters: expected a list"},
        {"context-without-cluster", ":3:3: context \"dev\": no cluster is set"},
        {"current-context-missing", ":1:18: current-context \"gone\" not found (contexts: dev)"},
        {"duplicate-cluster", ":4:9: duplicate cluster \"a\" (first defined at line 2)"},
        // A file that never ends is read no further than the limit.
        {"endless-ca-file",
         ":6:28: cluster \"c\": certificate-authority \"/dev/zero\": cannot read: larger than "
         "16 MiB"},
        {"entry-not-a-map", ":2:3: users: each entry must be a map with name and user"},
        {"entry-without-name", ":2:3: clusters: an entry has no name"},
        {"exec-bad-interactive-mode",
         ":8:11: user \"u\": exec: interactiveMode \"Sometimes\" is not one of Never, IfAvailable, Always"},
        {"exec-env-without-name", ":8:9: user \"u\": exec: env: an entry has no name"},
        {"exec-old-api-version",
         ":8:11: user \"u\": exec: apiVersion \"client.authentication.k8s.io/v1alpha1\" is not supported; "
         "use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1"},
        {"exec-v1-without-interactive-mode",
         ":8:11: user \"u\": exec: interactiveMode is not set; use Never, IfAvailable or Always"},
        {"exec-without-api-version",
         ":8:11: user \"u\": exec: apiVersion is not set; use client.authentication.k8s.io/v1"},
        {"exec-without-command", ":8:11: user \"u\": exec: command is not set"},
        {"impersonation-without-user",
         ":6:3: user \"u\": as-uid, as-groups or as-user-extra is set without as"},
        {"insecure-with-ca", ":7:31: cluster \"c\": insecure-skip-tls-verify can't be combined with a "
                             "certificate authority; remove one"},
        {"key-mismatch-ec", ":9:17: user \"u\": client-key does not match client-certificate"},
        {"key-mismatch", ":9:17: user \"u\": client-key does not match client-certificate"},
        {"key-not-pem", ":9:22: user \"u\": client-key-data holds no PEM private key"},
        {"key-without-certificate",
         ":8:17: user \"u\": a client key is set without client-certificate or client-certificate-data"},
        {"missing-ca-file", ":6:28: cluster \"c\": certificate-authority \"{dir}/missing/ca.crt\": cannot "
                            "read: No such file or directory"},
        {"missing-client-certificate",
         ":8:25: user \"u\": client-certificate \"{dir}/nope.crt\": cannot read: No such file or directory"},
        {"missing-cluster", ":5:14: context \"dev\": cluster \"nope\" not found"},
        {"missing-token-file",
         ":8:16: user \"u\": tokenFile \"{dir}/secrets/token\": cannot read: No such file or directory"},
        {"missing-user", ":7:31: context \"dev\": user \"nope\" not found"},
        {"no-contexts", ": no current-context is set and the kubeconfig defines no contexts"},
        {"no-current-context",
         ": no current-context is set; choose a context with --context (contexts: a, b)"},
        {"no-server", ":3:3: cluster \"c\": no server is set"},
        // Passwords in URLs are never quoted back.
        {"proxy-url-without-scheme",
         ":6:16: cluster \"c\": proxy-url \"user:xxxxx@proxy.test:3128\" is not a URL"},
        {"server-with-password",
         ":4:21: cluster \"c\": server \"https://admin:xxxxx@a.test:6443\" holds a user name or password; "
         "give "
         "credentials in the user entry (token, client certificate, exec plugin) instead"},
        {"not-a-map", ":1:1: a kubeconfig must be a map with clusters, users and contexts"},
        {"token-and-basic", ":6:3: user \"u\": both token and username/password are set; keep one"},
    };
    for (const auto& [case_name, expected] : cases) {
        // A copy, as CAPTURE's lambda cannot capture a structured binding under clang 14.
        const std::string name = case_name;
        CAPTURE(name);
        const std::string path = fixture("invalid/" + name + ".yaml");
        const std::string message =
            error_of([&] { kube::resolve_client_config(kube::load_kubeconfig_file(path), "", {}); });
        CHECK(message == path + replace_all(replace_all(expected, "{dir}", k_dir + "/invalid"), "{pki}",
                                            k_dir + "/pki"));
    }
}

TEST_CASE("in-cluster configuration comes from the service account folder and the variables") {
    TempDir dir;
    kube::InClusterEnvironment environment;
    environment.serviceaccount_dir = dir.path.string();
    CHECK_FALSE(kube::in_cluster_config(environment).has_value());

    environment.service_host = "10.96.0.1";
    environment.service_port = "443";
    CHECK(error_of([&] { kube::in_cluster_config(environment); }) ==
          "in-cluster configuration: \"" + dir.path.string() +
              "/token\": cannot read the service account token: No such file or directory");

    dir.write("token", "sa-token\n");
    dir.write("namespace", "ci\n");
    std::filesystem::copy_file(fixture("pki/ca.crt"), dir.path / "ca.crt");
    kube::ClientConfig config = *kube::in_cluster_config(environment);
    CHECK(config.in_cluster);
    CHECK(config.server == "https://10.96.0.1:443");
    CHECK(config.token_file == dir.path.string() + "/token");
    CHECK(config.namespace_name == "ci");
    CHECK(config.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    CHECK(kube::auth_method(config) == "service account token " + dir.path.string() + "/token");

    environment.pod_namespace = "from-env";
    environment.service_host = "fd00::1";
    config = *kube::in_cluster_config(environment);
    CHECK(config.namespace_name == "from-env");
    CHECK(config.server == "https://[fd00::1]:443");
}

TEST_CASE("with no kubeconfig at all, kq falls back to in-cluster configuration") {
    TempDir dir;
    dir.write("sa/token", "sa-token");
    kube::ConfigSelection selection;
    selection.search.home = (dir.path / "home").string();
    CHECK(error_of([&] { kube::load_client_config(selection); }) ==
          "no kubeconfig found and not running in a pod: pass --kubeconfig, set KUBECONFIG or create "
          "~/.kube/config");
    selection.in_cluster = {"127.0.0.1", "6443", "", (dir.path / "sa").string()};
    const kube::ClientConfig config = kube::load_client_config(selection);
    CHECK(config.in_cluster);
    CHECK(config.source == "in-cluster configuration");
    // A kubeconfig, when there is one, wins.
    selection.search.explicit_path = fixture("config");
    CHECK(kube::load_client_config(selection).context == "cert");
}

namespace {

// A kubeconfig with one cluster and one user, written to `dir`, resolved for its only context.
kube::ClientConfig resolve_text(const TempDir& dir, const std::string& server, const std::string& user) {
    const std::string path =
        dir.write("config", "current-context: c\n"
                            "clusters:\n- name: k\n  cluster: {server: \"" +
                                server +
                                "\"}\n"
                                "users:\n- name: u\n  user:\n" +
                                user + "contexts:\n- name: c\n  context: {cluster: k, user: u}\n");
    return kube::resolve_client_config(kube::load_kubeconfig_file(path), "", {});
}

} // namespace

TEST_CASE("no credential of any kind is used for a server that is not https") {
    TempDir dir;
    const std::string pki = k_dir + "/pki";
    const std::vector<std::pair<std::string, std::string>> users = {
        {"token", "    token: secret\n"},
        // Not even read: the file does not exist.
        {"token file", "    tokenFile: " + dir.path.string() + "/missing-token\n"},
        {"basic auth", "    username: admin\n    password: hunter2\n"},
        {"client certificate",
         "    client-certificate: " + pki + "/rsa.crt\n    client-key: " + pki + "/rsa.key\n"},
        // Not even looked for: the plugin does not exist.
        {"exec plugin",
         "    exec: {apiVersion: client.authentication.k8s.io/v1, command: /nonexistent/plugin, "
         "interactiveMode: Never}\n"},
        {"oidc", "    auth-provider: {name: oidc, config: {idp-issuer-url: https://idp.test, client-id: kq, "
                 "id-token: a.b.c}}\n"},
        {"legacy auth-provider", "    auth-provider: {name: gcp}\n"},
    };
    for (const auto& [kind_name, user] : users) {
        const std::string kind = kind_name;
        CAPTURE(kind);
        for (const std::string server : {"http://127.0.0.1:6443", "HTTP://127.0.0.1:6443"}) {
            CAPTURE(server);
            const kube::ClientConfig config = resolve_text(dir, server, user + "    as: jane\n");
            CHECK(config.user == "u");
            CHECK(config.token.empty());
            CHECK(config.token_file.empty());
            CHECK(config.username.empty());
            CHECK(config.password.empty());
            CHECK(config.client_certificate_pem.empty());
            CHECK(config.client_key_pem.empty());
            CHECK_FALSE(config.exec.has_value());
            CHECK_FALSE(config.oidc.has_value());
            CHECK(config.credentials_withheld == "the server " + server + " is not https");
            // Impersonation is no credential; kubectl sends it too.
            CHECK(config.impersonate.user == "jane");
            CHECK(kube::auth_method(config) ==
                  "none (the credentials of user \"u\" are withheld: the server " + server +
                      " is not https), impersonating \"jane\"");
        }
        // Over https the same user authenticates (its token file now written); gcp is refused there.
        dir.write("missing-token", "t");
        if (kind != "legacy auth-provider") {
            const kube::ClientConfig secure = resolve_text(dir, "https://127.0.0.1:6443", user);
            CHECK(secure.credentials_withheld.empty());
        }
    }
    // A user with nothing to withhold is not said to have had something withheld.
    const kube::ClientConfig anonymous = resolve_text(dir, "http://127.0.0.1:6443", "    as: jane\n");
    CHECK(anonymous.credentials_withheld.empty());
    CHECK(kube::auth_method(anonymous) == "none, impersonating \"jane\"");
}

TEST_CASE("a server URL keeps only its scheme, host, port and path, as kubectl keeps them") {
    TempDir dir;
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"https://host.test:6443/pfx?x=1#frag", "https://host.test:6443/pfx"},
        {"https://host.test:6443/pfx/?x=1", "https://host.test:6443/pfx"},
        {"https://host.test:6443?x=1", "https://host.test:6443"},
        {"https://host.test#frag", "https://host.test"},
        {"https://[fd00::1]:6443/a/b#c?d", "https://[fd00::1]:6443/a/b"},
    };
    for (const auto& [server_text, expected_text] : cases) {
        const std::string server = server_text;
        const std::string expected = expected_text;
        CAPTURE(server);
        CHECK(resolve_text(dir, server, "    token: t\n").server == expected);
    }
}

TEST_CASE("a namespace is refused only when it can't be part of an API path, as -n is") {
    CHECK(kube::namespace_problem("team-a") == "");
    CHECK(kube::namespace_problem("") == "");
    // Not a DNS-1123 label, but the server answers for it, as with kubectl.
    CHECK(kube::namespace_problem("Bad_NS") == "");
    CHECK(kube::namespace_problem("a/b") == "it contains \"/\"");
    CHECK(kube::namespace_problem("50%") == "it contains \"%\"");
    CHECK(kube::namespace_problem("a?b") == "it contains \"?\"");
    CHECK(kube::namespace_problem("a#b") == "it contains \"#\"");
    CHECK(kube::namespace_problem("a b") == "it contains a space, control or non-ASCII character");
    CHECK(kube::namespace_problem("caf\xc3\xa9") == "it contains a space, control or non-ASCII character");
    CHECK(kube::namespace_problem(".") == "\".\" names no namespace in a path");
    CHECK(kube::namespace_problem("..") == "\"..\" names no namespace in a path");

    TempDir dir;
    const std::string path =
        dir.write("config", "current-context: c\nclusters:\n- name: k\n  cluster: {server: "
                            "https://a.test}\ncontexts:\n- name: c\n  context: {cluster: k, "
                            "namespace: Bad_NS}\n");
    CHECK(kube::resolve_client_config(kube::load_kubeconfig_file(path), "", {}).namespace_name == "Bad_NS");
}

TEST_CASE("the oidc auth-provider is read as kubectl reads it") {
    TempDir dir;
    const kube::ClientConfig config = resolve_text(
        dir, "https://a.test",
        "    auth-provider:\n      name: oidc\n      config:\n        idp-issuer-url: https://idp.test/\n"
        "        client-id: kq\n        client-secret: s3cret\n        id-token: a.b.c\n"
        "        refresh-token: r1\n        idp-certificate-authority: " +
            k_dir + "/pki/ca.crt\n");
    REQUIRE(config.oidc.has_value());
    CHECK(config.oidc->issuer_url == "https://idp.test/");
    CHECK(config.oidc->client_id == "kq");
    CHECK(config.oidc->client_secret == "s3cret");
    CHECK(config.oidc->id_token == "a.b.c");
    CHECK(config.oidc->refresh_token == "r1");
    CHECK(config.oidc->ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
    CHECK(config.oidc->kubeconfig == (dir.path / "config").string());
    CHECK(kube::auth_method(config) == "oidc auth-provider");

    const auto oidc_error = [&](const std::string& settings) {
        return error_of([&] {
            resolve_text(dir, "https://a.test",
                         "    auth-provider:\n      name: oidc\n      config:\n" + settings);
        });
    };
    const std::string config_path = (dir.path / "config").string();
    CHECK(oidc_error("        idp-issuer-url: https://idp.test\n        id-token: a.b.c\n") ==
          config_path + ":9:7: user \"u\": auth-provider oidc: client-id is not set");
    CHECK(oidc_error("        idp-issuer-url: https://idp.test\n        client-id: kq\n") ==
          config_path +
              ":9:7: user \"u\": auth-provider oidc: neither id-token nor refresh-token is set; log "
              "in to the identity provider first");
    CHECK(oidc_error(
              "        idp-issuer-url: https://idp.test\n        client-id: kq\n        id-token: a.b.c\n"
              "        idp-certificate-authority-data: '%%'\n") ==
          config_path +
              ":14:41: user \"u\": auth-provider oidc: idp-certificate-authority-data: not valid base64");
    // A static token wins, as kubectl's oidc plugin leaves a request with an Authorization header alone.
    const kube::ClientConfig token = resolve_text(
        dir, "https://a.test", "    token: t\n    auth-provider: {name: oidc, config: {id-token: a.b.c}}\n");
    CHECK_FALSE(token.oidc.has_value());
    CHECK(token.token == "t");
}

TEST_CASE("in a pod, kubectl's loading rules fall back to the pod's account and namespace") {
    TempDir dir;
    dir.write("sa/token", "sa-token");
    dir.write("sa/namespace", "pod-ns\n");
    const std::string sa = (dir.path / "sa").string();
    kube::ConfigSelection selection;
    selection.search.home = (dir.path / "home").string();
    const kube::InClusterEnvironment pod{"127.0.0.1", "6443", "", sa};
    const std::string kubeconfig = dir.write(
        "config", "current-context: plain\nclusters:\n- name: k\n  cluster: {server: https://a.test}\n"
                  "contexts:\n- name: plain\n  context: {cluster: k}\n"
                  "- name: with-ns\n  context: {cluster: k, namespace: mine}\n"
                  "- name: explicit-default\n  context: {cluster: k, namespace: default}\n");
    const std::string no_current =
        dir.write("no-current", "clusters:\n- name: k\n  cluster: {server: https://a.test}\n"
                                "contexts:\n- name: a\n  context: {cluster: k}\n");

    SUBCASE("a context without a namespace takes the pod's") {
        selection.search.explicit_path = kubeconfig;
        selection.in_cluster = pod;
        kube::ClientConfig config = kube::load_client_config(selection);
        CHECK_FALSE(config.in_cluster);
        CHECK(config.server == "https://a.test");
        CHECK(config.namespace_name == "pod-ns");
        selection.context = "with-ns";
        CHECK(kube::load_client_config(selection).namespace_name == "mine");
        selection.context = "explicit-default";
        CHECK(kube::load_client_config(selection).namespace_name == "default");
        // POD_NAMESPACE wins over the file, as in-cluster.
        selection.context = "";
        selection.in_cluster.pod_namespace = "from-env";
        CHECK(kube::load_client_config(selection).namespace_name == "from-env");
        // Outside a pod (no token file), the context's empty namespace stays empty: "default" later.
        selection.in_cluster = {"127.0.0.1", "6443", "", (dir.path / "nowhere").string()};
        CHECK(kube::load_client_config(selection).namespace_name.empty());
        selection.in_cluster = {};
        CHECK(kube::load_client_config(selection).namespace_name.empty());
    }
    SUBCASE("KUBECONFIG naming only missing files") {
        selection.search.kubeconfig_env = (dir.path / "gone").string() + ":" + (dir.path / "gone2").string();
        const std::string outside = "KUBECONFIG: none of its files exists: " + (dir.path / "gone").string() +
                                    ", " + (dir.path / "gone2").string();
        CHECK(error_of([&] { kube::load_client_config(selection); }) == outside);
        selection.in_cluster = {"127.0.0.1", "6443", "", (dir.path / "nowhere").string()};
        CHECK(error_of([&] { kube::load_client_config(selection); }) == outside);
        selection.in_cluster = pod;
        const kube::ClientConfig config = kube::load_client_config(selection);
        CHECK(config.in_cluster);
        CHECK(config.namespace_name == "pod-ns");
    }
    SUBCASE("a kubeconfig without current-context and no --context") {
        selection.search.explicit_path = no_current;
        CHECK(error_of([&] { kube::load_client_config(selection); }) ==
              no_current + ": no current-context is set; choose a context with --context (contexts: a)");
        selection.in_cluster = pod;
        CHECK(kube::load_client_config(selection).in_cluster);
        // --context still chooses from the kubeconfig, and its namespace-less context takes the pod's.
        selection.context = "a";
        const kube::ClientConfig config = kube::load_client_config(selection);
        CHECK_FALSE(config.in_cluster);
        CHECK(config.namespace_name == "pod-ns");
    }
}
