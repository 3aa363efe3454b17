#include "fake_api_server.hpp"
#include "kube/auth.hpp"
#include "kube/oidc.hpp"
#include "test_helpers.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

using kq::testing::source_path;
namespace kube = kq::kube;
using namespace std::chrono_literals;

namespace {

// A folder under the system's temporary folder, removed with its contents at the end of the test.
struct Scratch {
    std::filesystem::path path;
    Scratch() {
        std::string pattern = (std::filesystem::temp_directory_path() / "kq-auth-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~Scratch() { std::filesystem::remove_all(path); }
    std::string write(const std::string& name, const std::string& text, bool executable = false) const {
        const std::string file = (path / name).string();
        std::ofstream(file) << text;
        if (executable) chmod(file.c_str(), 0755);
        return file;
    }
    std::string read(const std::string& name) const {
        std::ifstream in(path / name);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A plugin script that counts its runs in `calls`, keeps its environment, and prints `output`.
std::string plugin_script(const Scratch& scratch, const std::string& output, int exit_code = 0) {
    return scratch.write("plugin",
                         "#!/bin/sh\n"
                         "echo run >> \"$(dirname \"$0\")/calls\"\n"
                         "printf '%s' \"$KUBERNETES_EXEC_INFO\" > \"$(dirname \"$0\")/info\"\n"
                         "printf '%s|%s' \"$PLUGIN_MODE\" \"$*\" > \"$(dirname \"$0\")/env\"\n"
                         "cat <<'JSON'\n" +
                             output + "\nJSON\nexit " + std::to_string(exit_code) + "\n",
                         true);
}

int calls(const Scratch& scratch) {
    std::ifstream in(scratch.path / "calls");
    int count = 0;
    std::string line;
    while (std::getline(in, line))
        ++count;
    return count;
}

std::string error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const kq::Error& error) {
        return error.what();
    }
    return "";
}

kube::ClientConfig exec_config(const std::string& command, const std::string& api_version) {
    kube::ClientConfig config;
    config.user = "eks";
    config.server = "https://k8s.test:6443";
    config.exec = kube::ExecConfig{};
    config.exec->api_version = api_version;
    config.exec->command = command;
    config.exec->interactive_mode = "Never";
    return config;
}

} // namespace

TEST_CASE("static credentials: bearer token, basic auth, client certificate") {
    kube::ClientConfig config;
    config.token = "abc";
    kube::Authenticator token(config);
    CHECK(token.credentials().authorization == "Bearer abc");
    CHECK_FALSE(token.refresh(token.credentials())); // nothing could change

    config = {};
    config.username = "admin";
    config.password = "secret";
    CHECK(kube::Authenticator(config).credentials().authorization ==
          "Basic " + kq::base64_encode("admin:secret"));

    config = {};
    config.client_certificate_pem = "CERT";
    config.client_key_pem = "KEY";
    const kube::Credentials credentials = kube::Authenticator(config).credentials();
    CHECK(credentials.authorization.empty());
    REQUIRE(credentials.certificate != nullptr);
    CHECK(credentials.certificate->certificate_pem == "CERT");
    CHECK(credentials.certificate->key_pem == "KEY");
}

TEST_CASE("a token file is read again when it changes, as rotated service-account tokens do") {
    Scratch scratch;
    kube::ClientConfig config;
    config.token_file = scratch.write("token", "first\n");
    kube::Authenticator auth(config);
    const kube::Credentials first = auth.credentials();
    CHECK(first.authorization == "Bearer first");
    CHECK(auth.credentials().generation == first.generation);

    // Projected tokens are swapped in by renaming a new file over the link, so the inode changes.
    const std::string next = scratch.write("token.new", "second-token");
    std::filesystem::rename(next, config.token_file);
    const kube::Credentials second = auth.credentials();
    CHECK(second.authorization == "Bearer second-token");
    CHECK(second.generation != first.generation);

    // After a 401 the file is read again even when nothing about it seems to have changed.
    CHECK_FALSE(auth.refresh(second));
    CHECK(auth.refresh(first)); // an older request's 401: newer credentials exist already

    std::filesystem::remove(config.token_file);
    CHECK(error_of([&] { auth.refresh(auth.credentials()); }) ==
          "token file \"" + config.token_file + "\": cannot read: No such file or directory");

    // A static token, when there is one, stands in while the file can't be read.
    config.token = "fallback";
    kube::Authenticator with_fallback(config);
    CHECK(with_fallback.credentials().authorization == "Bearer fallback");

    scratch.write("token", "   \n");
    config.token.clear();
    kube::Authenticator empty(config);
    CHECK(error_of([&] { empty.credentials(); }) == "token file \"" + config.token_file + "\" is empty");
}

TEST_CASE("an exec plugin runs once, its token is cached until it expires, and a 401 runs it again") {
    Scratch scratch;
    const std::string command =
        plugin_script(scratch, R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
                               R"("status":{"token":"tok-1","expirationTimestamp":"2030-01-01T00:00:00Z"}})");
    kube::ClientConfig config = exec_config(command, "client.authentication.k8s.io/v1");
    config.exec->args = {"--region", "eu"};
    config.exec->env = {{"PLUGIN_MODE", "test"}};
    std::chrono::system_clock::time_point now =
        std::chrono::sys_days{std::chrono::year{2029} / 12 / 31} + std::chrono::hours{23};
    kube::AuthOptions options;
    options.now = [&] { return now; };
    kube::Authenticator auth(config, options);

    const kube::Credentials first = auth.credentials();
    CHECK(first.authorization == "Bearer tok-1");
    CHECK(auth.credentials().authorization == "Bearer tok-1");
    CHECK(auth.credentials().generation == first.generation);
    CHECK(calls(scratch) == 1);
    CHECK(auth.exec_runs() == 1);
    CHECK(scratch.read("env") == "test|--region eu");
    CHECK(nlohmann::json::parse(scratch.read("info")) ==
          nlohmann::json::parse(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
                                R"("spec":{"interactive":false}})"));

    // Past the expiry the plugin runs again.
    now += 2h;
    CHECK(auth.credentials().generation != first.generation);
    CHECK(calls(scratch) == 2);
    now -= 2h;

    // A 401 runs it once more; other requests that failed with the same credentials don't run it again.
    const kube::Credentials used = auth.credentials();
    CHECK(auth.refresh(used));
    CHECK(calls(scratch) == 3);
    CHECK(auth.refresh(used));
    CHECK(calls(scratch) == 3);
}

TEST_CASE("an exec plugin's client certificate is used, and provideClusterInfo passes the cluster") {
    Scratch scratch;
    const std::string certificate = slurp(source_path("tests/fixtures/kubeconfig/pki/ec.crt"));
    const std::string key = slurp(source_path("tests/fixtures/kubeconfig/pki/ec.key"));
    const nlohmann::json output = {
        {"apiVersion", "client.authentication.k8s.io/v1beta1"},
        {"kind", "ExecCredential"},
        {"status", {{"clientCertificateData", certificate}, {"clientKeyData", key}}}};
    kube::ClientConfig config =
        exec_config(plugin_script(scratch, output.dump()), "client.authentication.k8s.io/v1beta1");
    config.exec->provide_cluster_info = true;
    config.exec->interactive_mode = "IfAvailable";
    config.ca_pem = "CA PEM";
    config.tls_server_name = "kubernetes";
    config.proxy_url = "http://proxy.test:3128";
    config.exec_cluster_config = {{"audience", "kq"}};
    kube::AuthOptions options;
    options.stdin_is_terminal = true;
    kube::Authenticator auth(config, options);
    const kube::Credentials credentials = auth.credentials();
    CHECK(credentials.authorization.empty());
    REQUIRE(credentials.certificate != nullptr);
    CHECK(credentials.certificate->certificate_pem == certificate);
    CHECK(credentials.certificate->key_pem == key);
    CHECK(nlohmann::json::parse(scratch.read("info")) ==
          nlohmann::json{{"apiVersion", "client.authentication.k8s.io/v1beta1"},
                         {"kind", "ExecCredential"},
                         {"spec",
                          {{"interactive", true},
                           {"cluster",
                            {{"server", "https://k8s.test:6443"},
                             {"tls-server-name", "kubernetes"},
                             {"certificate-authority-data", kq::base64_encode("CA PEM")},
                             {"proxy-url", "http://proxy.test:3128"},
                             {"config", {{"audience", "kq"}}}}}}}});
}

TEST_CASE("exec plugin failures say which plugin and what went wrong") {
    Scratch scratch;
    const std::string v1 = "client.authentication.k8s.io/v1";
    const std::string prefix = "exec plugin \"";
    const auto run = [&](const std::string& output, int exit_code = 0, const std::string& mode = "Never") {
        const std::string command = plugin_script(scratch, output, exit_code);
        kube::ClientConfig config = exec_config(command, v1);
        config.exec->interactive_mode = mode;
        kube::Authenticator auth(config);
        return error_of([&] { auth.credentials(); });
    };
    const std::string plugin = prefix + (scratch.path / "plugin").string() + "\" of user \"eks\"";
    CHECK(run("{}", 3) == plugin + " failed with exit code 3");
    CHECK(run("not json") == plugin + " printed no ExecCredential: not JSON (syntax error at byte 2)");
    // A bare token printed by mistake is not quoted back (the JSON parser's own message would).
    CHECK(run("31415926535897932384secret") ==
          plugin + " printed no ExecCredential: not JSON (syntax error at byte 21)");
    CHECK(
        run(R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"x"}})") ==
        plugin + " is configured for client.authentication.k8s.io/v1 but printed apiVersion "
                 "\"client.authentication.k8s.io/v1beta1\"");
    CHECK(run(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})") ==
          plugin + " printed no status");
    CHECK(run(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})") ==
          plugin + " printed neither a token nor a client certificate and key");
    CHECK(
        run(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientKeyData":"k"}})") ==
        plugin + " printed a client key without its certificate");
    CHECK(run(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",)"
              R"("status":{"token":"t","expirationTimestamp":"tomorrow"}})") ==
          plugin + " printed an expirationTimestamp \"tomorrow\" that is not RFC 3339");
    CHECK(
        run(R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t"}})",
            0, "Always") ==
        plugin + " needs a terminal (interactiveMode: Always) but standard input is not one");

    kube::ClientConfig missing = exec_config("kq-no-such-plugin", v1);
    missing.exec->install_hint = "Install it with: apt install kq-no-such-plugin\n";
    CHECK(error_of([&] { kube::Authenticator(missing).credentials(); }) ==
          "exec plugin \"kq-no-such-plugin\" of user \"eks\": \"kq-no-such-plugin\" is not on PATH\n"
          "Install it with: apt install kq-no-such-plugin");
    kube::ClientConfig no_file = exec_config("/nonexistent/plugin", v1);
    CHECK(error_of([&] { kube::Authenticator(no_file).credentials(); }) ==
          "exec plugin \"/nonexistent/plugin\" of user \"eks\": \"/nonexistent/plugin\" does not exist or is "
          "not "
          "executable");
}

TEST_CASE("SIGTERM while an exec plugin runs stops the plugin and its children, and says so") {
    Scratch scratch;
    const std::string pids = (scratch.path / "pids").string();
    const std::string command = scratch.write("plugin",
                                              "#!/bin/sh\n"
                                              "echo $$ > '" +
                                                  pids +
                                                  "'\n"
                                                  "sleep 30 &\n"
                                                  "echo $! >> '" +
                                                  pids +
                                                  "'\n"
                                                  "wait $!\n",
                                              true);
    const auto read_pids = [&] {
        std::vector<pid_t> found;
        std::ifstream in(pids);
        for (pid_t pid = 0; in >> pid;)
            found.push_back(pid);
        return found;
    };
    const auto running = [](pid_t pid) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string text;
        if (!std::getline(stat, text)) return false;
        const size_t paren = text.rfind(')');
        return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
    };
    // A command that catches interrupts itself gets an interrupted Error; the flag stays for it to see.
    struct sigaction previous_int {};
    struct sigaction previous_term {};
    sigaction(SIGINT, nullptr, &previous_int);
    sigaction(SIGTERM, nullptr, &previous_term);
    kq::clear_interrupt();
    kq::catch_interrupts();
    std::thread signaller([&] {
        for (int i = 0; i < 500 && read_pids().size() < 2; ++i)
            std::this_thread::sleep_for(10ms);
        kill(getpid(), SIGTERM);
    });
    kube::Authenticator auth(exec_config(command, "client.authentication.k8s.io/v1"));
    const auto started = std::chrono::steady_clock::now();
    std::optional<kq::Error> failure;
    try {
        auth.credentials();
    } catch (const kq::Error& error) {
        failure = error;
    }
    signaller.join();
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(failure);
    CHECK(failure->kind() == kq::ErrorKind::interrupted);
    CHECK(std::string(failure->what()) ==
          "interrupted while exec plugin \"" + command + "\" of user \"eks\" ran");
    CHECK(kq::interrupt_signal() == SIGTERM);
    CHECK(took < 10s); // a bound on failure, not a speed test: the plugin alone would take 30 s
    const std::vector<pid_t> plugin = read_pids();
    REQUIRE(plugin.size() == 2);
    CHECK_FALSE(running(plugin[0]));
    CHECK_FALSE(running(plugin[1]));
    kq::clear_interrupt();
    sigaction(SIGINT, &previous_int, nullptr);
    sigaction(SIGTERM, &previous_term, nullptr);
}

TEST_CASE("expirationTimestamp is read as RFC 3339, with fractions and offsets") {
    kube::ExecConfig exec;
    exec.api_version = "client.authentication.k8s.io/v1";
    const auto expiry = [&](const std::string& timestamp) {
        const nlohmann::json output = {{"apiVersion", exec.api_version},
                                       {"kind", "ExecCredential"},
                                       {"status", {{"token", "t"}, {"expirationTimestamp", timestamp}}}};
        return kube::parse_exec_credential(output.dump(), exec, "plugin").expiry;
    };
    const std::chrono::system_clock::time_point new_year =
        std::chrono::sys_days{std::chrono::year{2030} / 1 / 1};
    CHECK(expiry("2030-01-01T00:00:00Z") == new_year);
    CHECK(expiry("2030-01-01T00:00:00.123456789Z") == new_year);
    CHECK(expiry("2030-01-01T01:30:00+01:30") == new_year);
    CHECK(expiry("2029-12-31T22:00:00-02:00") == new_year);
    CHECK(error_of([&] { expiry("2030-01-01 00:00:00"); }) ==
          "plugin printed an expirationTimestamp \"2030-01-01 00:00:00\" that is not RFC 3339");
    CHECK(error_of([&] { expiry("2030-13-01T00:00:00Z"); }) ==
          "plugin printed an expirationTimestamp \"2030-13-01T00:00:00Z\" that is not RFC 3339");
}

namespace {

// An unsigned JWT whose payload is `claims`, as an identity provider's id-token is laid out.
std::string jwt(const nlohmann::json& claims) {
    std::string payload = kq::base64_encode(claims.dump());
    for (char& c : payload) {
        if (c == '+') c = '-';
        if (c == '/') c = '_';
    }
    while (payload.ends_with('='))
        payload.pop_back();
    return "eyJhbGciOiJSUzI1NiJ9." + payload + ".c2lnbmF0dXJl";
}

const auto k_auth_now = std::chrono::system_clock::time_point(std::chrono::seconds(1'900'000'000));

kube::AuthOptions at_now() {
    kube::AuthOptions options;
    options.now = [] { return k_auth_now; };
    return options;
}

kube::ClientConfig oidc_config(const std::string& id_token, const std::string& refresh_token) {
    kube::ClientConfig config;
    config.user = "oidc-user";
    config.server = "https://k8s.test:6443";
    config.oidc = kube::OidcConfig{};
    config.oidc->issuer_url = "https://idp.test";
    config.oidc->client_id = "kq";
    config.oidc->id_token = id_token;
    config.oidc->refresh_token = refresh_token;
    return config;
}

} // namespace

TEST_CASE("an oidc id-token is sent while its exp claim lies more than 10 seconds ahead") {
    const std::string valid = jwt({{"iss", "https://idp.test"}, {"exp", 1'900'000'011}});
    kube::Authenticator authenticator(oidc_config(valid, ""), at_now());
    CHECK(authenticator.credentials().authorization == "Bearer " + valid);
    CHECK(authenticator.oidc_refreshes() == 0);

    // Expiring within the margin, or without exp at all, it counts as expired, as kubectl counts it.
    for (const nlohmann::json& claims :
         {nlohmann::json{{"exp", 1'900'000'010}}, nlohmann::json{{"sub", "x"}}}) {
        kube::Authenticator expired(oidc_config(jwt(claims), ""), at_now());
        CHECK(error_of([&] { expired.credentials(); }) ==
              "user \"oidc-user\": the oidc id-token has expired and no refresh-token is set to renew it; "
              "log in "
              "to the identity provider again, or switch to an exec plugin such as kubelogin ('kubectl "
              "oidc-login setup')");
    }
    CHECK(error_of([] { kube::Authenticator(oidc_config("not-a-jwt", ""), at_now()); }) ==
          "user \"oidc-user\": the oidc id-token is not a JWT (three dot-separated parts)");
    CHECK(error_of([] { kube::Authenticator(oidc_config("a.%%%.c", ""), at_now()); }) ==
          "user \"oidc-user\": the oidc id-token's payload is not base64url");
}

TEST_CASE("kubeconfig oidc tokens are rewritten in place, the rest of the file kept as written") {
    const kube::OidcTokens tokens{"new.id.token", "new-refresh"};
    const std::string block = "# my clusters\n"
                              "users:\n"
                              "- name: other\n"
                              "  user: {token: x}   # keep\n"
                              "- name: me\n"
                              "  user:\n"
                              "    auth-provider:\n"
                              "      name: oidc\n"
                              "      config:\n"
                              "        client-id: kq   # the app\n"
                              "        id-token: \"old.id.token\"\n"
                              "        refresh-token: old-refresh # rotated\n";
    CHECK(kube::rewrite_oidc_tokens(block, "cfg", "me", tokens) ==
          "# my clusters\n"
          "users:\n"
          "- name: other\n"
          "  user: {token: x}   # keep\n"
          "- name: me\n"
          "  user:\n"
          "    auth-provider:\n"
          "      name: oidc\n"
          "      config:\n"
          "        client-id: kq   # the app\n"
          "        id-token: \"new.id.token\"\n"
          "        refresh-token: new-refresh # rotated\n");

    // A config without an id-token gets one, indented as its first key.
    const std::string without =
        "users:\n- name: me\n  user:\n    auth-provider:\n      name: oidc\n      config:\n"
        "        refresh-token: 'old'\n        client-id: kq\n";
    CHECK(kube::rewrite_oidc_tokens(without, "cfg", "me", tokens) ==
          "users:\n- name: me\n  user:\n    auth-provider:\n      name: oidc\n      config:\n"
          "        id-token: new.id.token\n        refresh-token: 'new-refresh'\n        client-id: kq\n");

    const std::string flow =
        "users:\n- name: me\n  user:\n    auth-provider: {name: oidc, config: {client-id: kq, "
        "refresh-token: old}}\n";
    CHECK(kube::rewrite_oidc_tokens(flow, "cfg", "me", tokens) ==
          "users:\n- name: me\n  user:\n    auth-provider: {name: oidc, config: {id-token: new.id.token, "
          "client-id: kq, refresh-token: new-refresh}}\n");

    // A value kq can't rewrite exactly is refused rather than guessed at.
    const std::string folded =
        "users:\n- name: me\n  user:\n    auth-provider:\n      name: oidc\n      config:\n"
        "        refresh-token: >\n          old\n";
    CHECK(error_of([&] { kube::rewrite_oidc_tokens(folded, "cfg", "me", tokens); }) ==
          "cfg: can't write the refreshed oidc tokens of user \"me\": its refresh-token is written in a form "
          "kq "
          "does not rewrite");
    CHECK(error_of([&] { kube::rewrite_oidc_tokens("users: []\n", "cfg", "me", tokens); }) ==
          "cfg: can't write the refreshed oidc tokens of user \"me\": it no longer defines the user's "
          "auth-provider config");
}

TEST_CASE("an expired oidc id-token is refreshed at the issuer's token endpoint and written back") {
    using kq::testing::FakeApiServer;
    using kq::testing::FakeRequest;
    using kq::testing::FakeResponse;
    const std::string fresh = jwt({{"exp", 1'900'003'600}});
    std::string issuer;
    FakeApiServer idp([&](const FakeRequest& request, int) {
        FakeResponse response;
        if (request.path() == "/realm/.well-known/openid-configuration") {
            response.body = nlohmann::json{{"issuer", issuer}, {"token_endpoint", issuer + "/token"}}.dump();
        } else if (request.path() == "/realm/token") {
            response.body = nlohmann::json{
                {"access_token", "at"},
                {"token_type", "Bearer"},
                {"id_token", fresh},
                {"refresh_token",
                 "r2"}}.dump();
        } else {
            response.status = 404;
        }
        return response;
    });
    issuer = idp.url() + "/realm";
    Scratch scratch;
    const std::string expired = jwt({{"exp", 1'899'999'000}});
    const std::string path = scratch.write("config", "# comment kept\n"
                                                     "users:\n"
                                                     "- name: oidc-user\n"
                                                     "  user:\n"
                                                     "    auth-provider:\n"
                                                     "      name: oidc\n"
                                                     "      config:\n"
                                                     "        idp-issuer-url: " +
                                                         issuer +
                                                         "/\n"
                                                         "        client-id: kq\n"
                                                         "        client-secret: s3cret\n"
                                                         "        id-token: " +
                                                         expired + "\n        refresh-token: r1\n");
    chmod(path.c_str(), 0600);
    kube::ClientConfig config = oidc_config(expired, "r1");
    config.oidc->issuer_url = issuer + "/";
    config.oidc->client_secret = "s3cret";
    config.oidc->kubeconfig = path;
    kube::Authenticator authenticator(config, at_now());
    CHECK(authenticator.credentials().authorization == "Bearer " + fresh);
    CHECK(authenticator.oidc_refreshes() == 1);
    // Valid now: no second refresh.
    CHECK(authenticator.credentials().authorization == "Bearer " + fresh);
    CHECK(authenticator.oidc_refreshes() == 1);

    const std::vector<FakeRequest> requests = idp.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].method == "GET");
    CHECK(requests[1].method == "POST");
    CHECK(requests[1].headers.at("content-type") == "application/x-www-form-urlencoded");
    CHECK(requests[1].headers.at("authorization") == "Basic " + kq::base64_encode("kq:s3cret"));
    CHECK(requests[1].body == "grant_type=refresh_token&refresh_token=r1");

    CHECK(slurp(path) ==
          "# comment kept\nusers:\n- name: oidc-user\n  user:\n    auth-provider:\n      name: oidc\n"
          "      config:\n        idp-issuer-url: " +
              issuer + "/\n        client-id: kq\n        client-secret: s3cret\n        id-token: " + fresh +
              "\n        refresh-token: r2\n");
    struct stat info {};
    REQUIRE(stat(path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    // No temporary file is left beside it.
    CHECK(std::distance(std::filesystem::directory_iterator(scratch.path),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("a failed oidc refresh says where and why, without the tokens") {
    using kq::testing::FakeApiServer;
    using kq::testing::FakeRequest;
    using kq::testing::FakeResponse;
    std::string issuer;
    FakeApiServer idp([&](const FakeRequest& request, int) {
        FakeResponse response;
        if (request.path() == "/.well-known/openid-configuration") {
            response.body = nlohmann::json{{"token_endpoint", issuer + "/token"}}.dump();
        } else {
            response.status = 400;
            response.body = R"({"error":"invalid_grant","error_description":"Token is not active"})";
        }
        return response;
    });
    issuer = idp.url();
    kube::ClientConfig config = oidc_config(jwt({{"exp", 1}}), "r1");
    config.oidc->issuer_url = issuer;
    kube::Authenticator authenticator(config, at_now());
    CHECK(error_of([&] { authenticator.credentials(); }) ==
          "user \"oidc-user\": oidc: refreshing the id-token at " + issuer +
              "/token failed: HTTP 400 Bad Request (invalid_grant: Token is not active); log in again");
    // Basic auth first, then the client's id in the form, as Go's oauth2 package tries them.
    const std::vector<FakeRequest> requests = idp.requests();
    REQUIRE(requests.size() == 3);
    CHECK(requests[2].body == "grant_type=refresh_token&refresh_token=r1&client_id=kq");

    // Over plain http to another machine, the refresh token is not sent at all.
    config.oidc->issuer_url = "http://idp.test";
    kube::Authenticator remote(config, at_now());
    CHECK(error_of([&] { remote.credentials(); }) ==
          "user \"oidc-user\": oidc: idp-issuer-url \"http://idp.test/.well-known/openid-configuration\" is "
          "not "
          "https; kq sends the refresh token only over TLS");
}
