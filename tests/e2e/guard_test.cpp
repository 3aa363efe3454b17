// End-to-end: kq keeps its secrets and its promises under interruption. No token, password, client key
// or exec plugin output reaches its output or a file at any verbosity, TLS is verified unless the
// kubeconfig says otherwise and https is never downgraded; SIGINT and SIGTERM end every command promptly
// with 130 or 143, leaving whole lines, whole documents and no child process behind.

#include "build_paths.hpp"
#include "e2e_helpers.hpp"
#include "job_fixtures.hpp"
#include "kube/url.hpp"
#include "util/base64.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

using namespace kq::e2e;
using GuardClock = std::chrono::steady_clock;

namespace {

std::string emit(const YAML::Node& node) {
    YAML::Emitter out;
    out << node;
    return std::string(out.c_str()) + "\n";
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

std::string random_word() {
    static std::mt19937 random{std::random_device{}()};
    return fmt::format("{:08x}{:08x}", random(), random());
}

std::string limited_token() { return trimmed(read_file(cluster_file("pki/limited.token"))); }

// The cluster's kubeconfig as YAML, with its one cluster called "kq".
YAML::Node base_kubeconfig() { return YAML::LoadFile(cluster_kubeconfig()); }

YAML::Node user_of(const YAML::Node& config, const std::string& name) {
    for (const YAML::Node& entry : config["users"]) {
        if (entry["name"].as<std::string>() == name) return YAML::Clone(entry["user"]);
    }
    FAIL("no user ", name, " in the cluster's kubeconfig");
    return {};
}

YAML::Node cluster_of(const YAML::Node& config) { return YAML::Clone(config["clusters"][0]["cluster"]); }

// Adds a cluster, a user and a context, all called `name`, to a kubeconfig.
void add_context(YAML::Node& config, const std::string& name, const YAML::Node& cluster,
                 const YAML::Node& user) {
    YAML::Node cluster_entry;
    cluster_entry["name"] = name;
    cluster_entry["cluster"] = cluster;
    config["clusters"].push_back(cluster_entry);
    YAML::Node user_entry;
    user_entry["name"] = name;
    user_entry["user"] = user;
    config["users"].push_back(user_entry);
    YAML::Node context;
    context["name"] = name;
    context["context"]["cluster"] = name;
    context["context"]["user"] = name;
    config["contexts"].push_back(context);
}

// An exec plugin script: writes its pid (and, with `sleep_seconds`, the pid of a sleep it waits for) to
// DIR/NAME.pid, then prints an ExecCredential with `token`.
std::string write_plugin(const TempDir& dir, const std::string& name, const std::string& token,
                         int sleep_seconds = 0) {
    std::string script = "#!/bin/sh\n"
                         "echo $$ > '" +
                         dir.file(name + ".pid") + "'\n";
    if (sleep_seconds > 0) {
        script +=
            fmt::format("sleep {} &\necho $! >> '{}'\nwait $!\n", sleep_seconds, dir.file(name + ".pid"));
    }
    script += "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
              "\"status\":{\"token\":\"" +
              token + "\"}}'\n";
    const std::string path = dir.file("bin/" + name);
    write_file(path, script, true);
    return path;
}

YAML::Node exec_user(const std::string& command) {
    YAML::Node user;
    user["exec"]["apiVersion"] = "client.authentication.k8s.io/v1";
    user["exec"]["command"] = command;
    user["exec"]["interactiveMode"] = "Never";
    return user;
}

// True while a process runs: it exists and is not a zombie waiting for its parent.
bool process_alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(stat, text)) return false;
    const size_t paren = text.rfind(')');
    return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

std::vector<pid_t> pids_in(const std::string& path) {
    std::vector<pid_t> pids;
    std::ifstream in(path);
    for (pid_t pid = 0; in >> pid;)
        pids.push_back(pid);
    return pids;
}

// kq started in the background, its own process (no shell), with its stdout and stderr in files or its
// stdout in a pipe that the test reads when it chooses.
class Started {
public:
    Started(const std::vector<std::string>& args, const EnvChanges& env, bool stdout_pipe = false) {
        m_out = m_dir.file("out");
        m_err = m_dir.file("err");
        int fds[2] = {-1, -1};
        if (stdout_pipe) REQUIRE(pipe2(fds, O_CLOEXEC) == 0);
        std::vector<std::string> argv{kq::testing::k_kq_binary};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> pointers;
        for (std::string& arg : argv)
            pointers.push_back(arg.data());
        pointers.push_back(nullptr);
        // Until the child has the default actions back (it inherits the test's handlers until exec), a
        // signal sent to it must wait.
        sigset_t interrupts;
        sigemptyset(&interrupts);
        sigaddset(&interrupts, SIGINT);
        sigaddset(&interrupts, SIGTERM);
        sigset_t previous;
        sigprocmask(SIG_BLOCK, &interrupts, &previous);
        m_pid = fork();
        if (m_pid != 0) sigprocmask(SIG_SETMASK, &previous, nullptr);
        REQUIRE(m_pid >= 0);
        if (m_pid == 0) {
            ::signal(SIGINT, SIG_DFL);
            ::signal(SIGTERM, SIG_DFL);
            sigprocmask(SIG_SETMASK, &previous, nullptr);
            const int in = open("/dev/null", O_RDONLY);
            const int out = stdout_pipe ? fds[1] : open(m_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int err = open(m_err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(in, STDIN_FILENO);
            dup2(out, STDOUT_FILENO);
            dup2(err, STDERR_FILENO);
            for (const char* name :
                 {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
                  "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KQ_FILE"})
                unsetenv(name);
            setenv("KUBECONFIG", cluster_kubeconfig().c_str(), 1);
            for (const auto& [name, value] : env) {
                if (value)
                    setenv(name.c_str(), value->c_str(), 1);
                else
                    unsetenv(name.c_str());
            }
            execv(pointers[0], pointers.data());
            _exit(127);
        }
        if (stdout_pipe) {
            close(fds[1]);
            m_pipe = fds[0];
        }
    }

    ~Started() {
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
        if (m_pipe >= 0) close(m_pipe);
    }

    Started(const Started&) = delete;
    Started& operator=(const Started&) = delete;

    pid_t pid() const { return m_pid; }

    // Sends a signal and notes when.
    void signal(int number) {
        m_signalled = GuardClock::now();
        kill(m_pid, number);
    }

    // Waits up to `limit` for the process to end: its exit code, or 128 + the signal that ended it;
    // -1 (after killing it) when it did not end in time.
    int wait(std::chrono::seconds limit) {
        const auto deadline = GuardClock::now() + limit;
        int status = 0;
        while (GuardClock::now() < deadline) {
            if (m_pipe >= 0) drain(false);
            const pid_t done = waitpid(m_pid, &status, WNOHANG);
            if (done == m_pid) {
                m_pid = -1;
                m_ended = GuardClock::now();
                if (m_pipe >= 0) drain(true);
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        m_pid = -1;
        return -1;
    }

    // Seconds from the signal to the end.
    double seconds_to_end() const { return std::chrono::duration<double>(m_ended - m_signalled).count(); }

    // True when the stdout pipe is full, so that kq is blocked writing to it.
    bool pipe_full() const {
        int bytes = 0;
        ioctl(m_pipe, FIONREAD, &bytes);
        // A pipe's pages need not be filled to the brim (a write's tail may start a page of its own), so
        // a writer is blocked once most of the pipe's size is taken.
        return bytes > 0 && bytes >= fcntl(m_pipe, F_GETPIPE_SZ) * 3 / 4;
    }

    std::string out() const { return m_pipe >= 0 ? m_piped : read_or_empty(m_out); }
    std::string err() const { return read_or_empty(m_err); }

private:
    static std::string read_or_empty(const std::string& path) {
        std::error_code error;
        return std::filesystem::exists(path, error) ? read_file(path) : "";
    }

    void drain(bool to_end) {
        for (;;) {
            pollfd readable{m_pipe, POLLIN, 0};
            if (poll(&readable, 1, to_end ? 1000 : 0) <= 0) return;
            char buffer[65536];
            const ssize_t count = read(m_pipe, buffer, sizeof buffer);
            if (count <= 0) return;
            m_piped.append(buffer, static_cast<size_t>(count));
        }
    }

    TempDir m_dir;
    std::string m_out;
    std::string m_err;
    std::string m_piped;
    int m_pipe = -1;
    pid_t m_pid = -1;
    GuardClock::time_point m_signalled{};
    GuardClock::time_point m_ended{};
};

// Polls until `done` or `limit` passes.
bool within(std::chrono::milliseconds limit, const std::function<bool()>& done) {
    const auto deadline = GuardClock::now() + limit;
    while (GuardClock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

size_t count_lines(const std::string& text) {
    return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// A project file for the tests: "hello" prints a line and succeeds; "slow" runs for a minute, printing a
// line every second; "many" makes a Job whose pods never start (parallelism 0), cheap to make 200 of.
constexpr const char* k_project = R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
jobs:
  hello:
    annotations: {kq.test/log: "hello from the job", kq.test/run-seconds: "1"}
  slow:
    annotations: {kq.test/run-seconds: "60", kq.test/log: "started\ntick\ntick\ntick\ntick\ntick\ntick", kq.test/log-interval: "1s"}
  many:
    parallelism: 0
)";

} // namespace

TEST_SUITE("guard") {

    TEST_CASE("no credential reaches stdout, stderr or a file, at any verbosity, on success or failure") {
        TempDir dir;
        TempDir home; // HOME, the XDG folders and TMPDIR of every run: whatever kq writes lands here
        TestNamespace ns("kq-guard");
        write_file(dir.file("kq.yaml"), k_project);
        const std::string word = random_word();

        const YAML::Node original = base_kubeconfig();
        YAML::Node config = YAML::Clone(original);
        const YAML::Node cluster = cluster_of(original);
        const YAML::Node admin = user_of(original, "kq-admin");
        const std::string server = cluster["server"].as<std::string>();

        // The secrets, and the names of the contexts that use them.
        const std::string token = limited_token();
        const std::string key_data = admin["client-key-data"].as<std::string>(); // base64 of the key's PEM
        const std::optional<std::string> key_pem = kq::base64_decode(key_data);
        REQUIRE(key_pem);
        const std::string file_token = "kq-guard-file-token-" + word;
        const std::string exec_token = "kq-guard-exec-token-" + word;
        const std::string username = "kq-guard-user";
        const std::string password = "kq-guard-password-" + word;
        const std::string proxy_user = "kq-guard-proxy-user";
        const std::string proxy_password = "kq-guard-proxy-password-" + word;

        YAML::Node limited;
        limited["token"] = token;
        add_context(config, "g-token", cluster, limited);
        add_context(config, "g-key", cluster, admin);
        write_file(dir.file("token-file"), file_token + "\n");
        YAML::Node token_file;
        token_file["tokenFile"] = dir.file("token-file");
        add_context(config, "g-token-file", cluster, token_file);
        add_context(config, "g-exec", cluster, exec_user(write_plugin(dir, "plugin-good", token)));
        add_context(config, "g-exec-bad", cluster, exec_user(write_plugin(dir, "plugin-bad", exec_token)));
        // A plugin that prints a bare token instead of an ExecCredential (a common mistake): the error
        // must not quote what it printed.
        const std::string bare_token = "31415926535897932384" + word;
        write_file(dir.file("bin/plugin-bare"), "#!/bin/sh\necho '" + bare_token + "'\n", true);
        add_context(config, "g-exec-bare", cluster, exec_user(dir.file("bin/plugin-bare")));
        YAML::Node basic;
        basic["username"] = username;
        basic["password"] = password;
        add_context(config, "g-basic", cluster, basic);
        Tinyproxy proxy;
        YAML::Node proxied = YAML::Clone(cluster);
        proxied["proxy-url"] =
            fmt::format("http://{}:{}@127.0.0.1:{}", proxy_user, proxy_password, proxy.port());
        add_context(config, "g-proxy", proxied, admin);
        YAML::Node proxy_down = YAML::Clone(cluster);
        proxy_down["proxy-url"] =
            fmt::format("http://{}:{}@127.0.0.1:{}", proxy_user, proxy_password, free_port());
        add_context(config, "g-proxy-down", proxy_down, limited);
        // Credentials written into URLs: the server's (refused) and a proxy-url without a scheme.
        const std::string server_password = "kq-guard-server-password-" + word;
        YAML::Node server_userinfo = YAML::Clone(cluster);
        server_userinfo["server"] =
            server.substr(0, 8) + "kq-guard-user:" + server_password + "@" + server.substr(8);
        add_context(config, "g-server-userinfo", server_userinfo, limited);
        const std::string bare_proxy_password = "kq-guard-bare-proxy-password-" + word;
        YAML::Node bare_proxy = YAML::Clone(cluster);
        bare_proxy["proxy-url"] =
            fmt::format("{}:{}@127.0.0.1:{}", proxy_user, bare_proxy_password, free_port());
        add_context(config, "g-proxy-no-scheme", bare_proxy, limited);
        YAML::Node unreachable = YAML::Clone(cluster);
        unreachable["server"] = fmt::format("https://127.0.0.1:{}", free_port());
        add_context(config, "g-unreachable", unreachable, limited);
        YAML::Node broken;
        for (const YAML::Node& entry : original["contexts"]) {
            if (entry["name"].as<std::string>() == "broken-ca") {
                const std::string cluster_name = entry["context"]["cluster"].as<std::string>();
                for (const YAML::Node& candidate : original["clusters"]) {
                    if (candidate["name"].as<std::string>() == cluster_name)
                        broken = YAML::Clone(candidate["cluster"]);
                }
            }
        }
        REQUIRE(broken.IsMap());
        add_context(config, "g-bad-tls", broken, limited);
        const std::string kubeconfig = dir.file("kubeconfig");
        write_file(kubeconfig, emit(config));

        struct Secret {
            std::string what;
            std::string text;
        };
        std::vector<Secret> secrets = {
            {"the bearer token", token},
            {"the bearer token in base64", kq::base64_encode(token)},
            {"the token file's token", file_token},
            {"the exec plugin's token", exec_token},
            {"the start of the bare token a plugin printed", bare_token.substr(0, 16)},
            {"the password", password},
            {"the password in base64", kq::base64_encode(password)},
            {"username:password in base64", kq::base64_encode(username + ":" + password)},
            {"the proxy password", proxy_password},
            {"the proxy password in base64", kq::base64_encode(proxy_password)},
            {"proxy user:password in base64", kq::base64_encode(proxy_user + ":" + proxy_password)},
            {"the password in the server URL", server_password},
            {"the password of the proxy-url without a scheme", bare_proxy_password},
            {"the client key's data (base64 of its PEM)", key_data.substr(key_data.size() / 2, 60)},
        };
        // The lines of the key's PEM body: the key itself in base64.
        for (const std::string& line : lines_of(*key_pem)) {
            if (!line.starts_with("-----") && line.size() >= 40)
                secrets.push_back({"a line of the client key's PEM", line});
        }
        REQUIRE(secrets.size() >= 12);
        // The search must be able to fail: the kubeconfig itself holds every plain secret.
        const std::string written = read_file(kubeconfig) + read_file(dir.file("token-file")) +
                                    read_file(dir.file("bin/plugin-bad")) +
                                    read_file(dir.file("bin/plugin-bare"));
        for (const std::string& plain : {token, file_token, exec_token, bare_token, password, proxy_password,
                                         key_data.substr(key_data.size() / 2, 60)}) {
            CHECK(written.find(plain) != std::string::npos);
        }

        const EnvChanges env = {{"KUBECONFIG", kubeconfig},
                                {"HOME", home.path().string()},
                                {"XDG_CACHE_HOME", home.file(".cache")},
                                {"XDG_CONFIG_HOME", home.file(".config")},
                                {"XDG_STATE_HOME", home.file(".local/state")},
                                {"XDG_DATA_HOME", home.file(".local/share")},
                                {"TMPDIR", home.file("tmp")},
                                // libcurl writes TLS session keys here unless kq stops it.
                                {"SSLKEYLOGFILE", home.file("tls-keys")}};
        std::filesystem::create_directories(home.file("tmp"));

        const std::vector<std::vector<std::string>> commands = {
            {"context"},
            {"context", "--check"},
            {"context", "--check", "-o", "json"},
            {"jobs"},
            {"render", "hello"},
            {"validate"},
            {"submit", "hello", "--wait"},
            {"list"},
            {"list", "-o", "json"},
            {"list", "-A", "-o", "yaml"},
            {"logs", "--job", "hello"},
            {"status", "--job", "hello"},
            {"wait", "--job", "hello", "--timeout", "20s"},
            {"delete", "--status", "finished"},
            {"__complete", "logs", ""},
            {"__complete", "-n", ""},
            {"__complete", "--context", ""},
        };
        const std::vector<std::string> contexts = {
            "g-key",       "g-token",           "g-token-file",     "g-exec",       "g-exec-bad",
            "g-exec-bare", "g-basic",           "g-proxy",          "g-proxy-down", "g-unreachable",
            "g-bad-tls",   "g-server-userinfo", "g-proxy-no-scheme"};
        struct Output {
            std::string label;
            std::string text;
        };
        std::vector<Output> outputs;
        std::map<std::string, std::set<int>> statuses; // per context
        for (const std::string& context : contexts) {
            for (const std::vector<std::string>& command : commands) {
                // The highest verbosity kq has is 3 (-vvv: connection events too); more is the same.
                std::vector<std::string> args = {
                    "-f", dir.file("kq.yaml"), "--context", context, "-n", ns.name(), "-v", "-v", "-v", "-v"};
                if (command.front() == "__complete")
                    args = {"__complete", "-f",    dir.file("kq.yaml"),
                            "--context",  context, "-n",
                            ns.name(),    "-v",    "-v",
                            "-v",         "-v"};
                args.insert(args.end(),
                            command.front() == "__complete" ? command.begin() + 1 : command.begin(),
                            command.end());
                const Run run = run_kq(args, env);
                const std::string label = fmt::format("kq {} (exit {})", fmt::join(args, " "), run.status);
                outputs.push_back({label + " stdout", run.out});
                outputs.push_back({label + " stderr", run.err});
                statuses[context].insert(run.status);
            }
        }

        // The runs did what they should: the good contexts got through, the bad ones were refused.
        const auto all_refused = [&](const std::string& context) {
            const std::set<int>& codes = statuses[context];
            return codes.count(123) == 1 && codes.count(0) == 1; // offline commands still succeed
        };
        CHECK(statuses["g-key"] == std::set<int>{0});
        CHECK(statuses["g-proxy"] == std::set<int>{0});
        for (const char* context :
             {"g-token", "g-exec", "g-token-file", "g-exec-bad", "g-exec-bare", "g-basic", "g-proxy-down",
              "g-unreachable", "g-bad-tls", "g-server-userinfo", "g-proxy-no-scheme"}) {
            CHECK_MESSAGE(all_refused(context), context);
        }
        CHECK(proxy.log().find("CONNECT") != std::string::npos);
        CHECK(std::filesystem::exists(dir.file("plugin-good.pid")));
        CHECK(std::filesystem::exists(dir.file("plugin-bad.pid")));
        // -v really logs requests (so the search covers the request log).
        const auto logged = [&](const std::string& needle) {
            return std::any_of(outputs.begin(), outputs.end(), [&](const Output& output) {
                return output.text.find(needle) != std::string::npos;
            });
        };
        CHECK(logged("Authorization: Bearer <redacted>"));
        CHECK(logged("Authorization: Basic <redacted>"));
        CHECK(logged(" 401 Unauthorized"));
        CHECK(logged(" 403 Forbidden"));

        // Every file kq may have written: the home, XDG and temporary folders, and the project's folder.
        std::vector<std::string> files;
        for (const std::filesystem::path& root : {home.path(), dir.path()}) {
            for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
                if (!entry.is_regular_file()) continue;
                const std::string path = entry.path().string();
                // The test's own inputs hold the secrets on purpose.
                if (path == kubeconfig || path == dir.file("token-file") || path == dir.file("kq.yaml") ||
                    path.find("/bin/plugin-") != std::string::npos)
                    continue;
                files.push_back(path);
                outputs.push_back({"file " + path, read_file(path)});
            }
        }
        // kq keeps no cache and no temporary file: nothing at all appeared under HOME, XDG_* or TMPDIR.
        const bool home_empty = std::none_of(files.begin(), files.end(), [&](const std::string& path) {
            return path.starts_with(home.path().string() + "/");
        });
        CHECK_MESSAGE(home_empty, "files kq wrote: ", fmt::format("{}", fmt::join(files, ", ")));
        for (const Secret& secret : secrets) {
            for (const Output& output : outputs) {
                CHECK_MESSAGE(output.text.find(secret.text) == std::string::npos, secret.what, " appears in ",
                              output.label, ":\n", output.text);
            }
        }
    }

    TEST_CASE("TLS is verified at every verbosity, with no environment variable or flag to turn it off") {
        TempDir home;
        const std::string ca = cluster_file("pki/ca.crt");
        for (const std::vector<std::string>& verbosity : std::vector<std::vector<std::string>>{
                 {}, {"-v"}, {"-v", "-v"}, {"-v", "-v", "-v"}, {"-v", "-v", "-v", "-v"}}) {
            std::vector<std::string> args = {"--context", "broken-ca"};
            args.insert(args.end(), verbosity.begin(), verbosity.end());
            args.insert(args.end(), {"context", "--check"});
            // Variables that turn verification off or swap the trusted authorities in other tools.
            const Run run = run_kq(args, {{"HOME", home.path().string()},
                                          {"SSL_CERT_FILE", ca},
                                          {"SSL_CERT_DIR", cluster_file("pki")},
                                          {"CURL_CA_BUNDLE", ca},
                                          {"CURL_SSL_NO_VERIFY", "1"},
                                          {"KUBECTL_INSECURE_SKIP_TLS_VERIFY", "true"},
                                          {"KUBE_INSECURE_SKIP_TLS_VERIFY", "true"},
                                          {"GODEBUG", "x509ignoreCN=1"},
                                          {"NODE_TLS_REJECT_UNAUTHORIZED", "0"}});
            INFO("verbosity ", verbosity.size(), ": ", run.err);
            CHECK(run.status == 123);
            CHECK(run.out.empty());
            // kq's wording of x509's "certificate signed by unknown authority".
            CHECK(run.err.find("kq: error: cannot verify https://") != std::string::npos);
            CHECK(run.err.find("its certificate is signed by an unknown authority") != std::string::npos);
        }
        // No flag skips verification.
        for (const char* flag : {"--insecure-skip-tls-verify", "--insecure", "-k"}) {
            const Run run = run_kq({"--context", "broken-ca", flag, "context", "--check"});
            INFO(flag, ": ", run.err);
            CHECK(run.status == 125);
        }
        // The kubeconfig's own insecure-skip-tls-verify does: the one way.
        YAML::Node config = base_kubeconfig();
        for (YAML::Node entry : config["clusters"]) {
            entry["cluster"].remove("certificate-authority-data");
            entry["cluster"].remove("certificate-authority");
            entry["cluster"]["insecure-skip-tls-verify"] = true;
        }
        write_file(home.file("kubeconfig"), emit(config));
        const Run skipped =
            run_kq({"--context", "admin", "context", "--check"}, {{"KUBECONFIG", home.file("kubeconfig")}});
        CHECK(skipped.status == 0);
        CHECK(skipped.out.find("not verified (insecure-skip-tls-verify)") != std::string::npos);
    }

    TEST_CASE("https is never downgraded to http; http only when the kubeconfig names it") {
        TempDir dir;
        // A server that speaks only plain HTTP: it notes whether each connection opened with a TLS
        // handshake or with a request in the clear (and which), then answers 404 in plain HTTP.
        write_file(dir.file("plain-http.py"), R"py(import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen(16)
log = open(sys.argv[2], "a")
while True:
    connection, _ = server.accept()
    connection.settimeout(5)
    try:
        data = connection.recv(65536)
    except OSError:
        data = b""
    if not data:
        log.write("empty\n")
    elif data[:1] == b"\x16":
        log.write("tls\n")
    else:
        log.write("plain " + data.split(b"\r\n")[0].decode("latin-1") + "\n")
    log.flush()
    connection.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    connection.close()
)py");
        const int port = free_port();
        const std::string log = dir.file("connections");
        write_file(log, "");
        BackgroundProcess server({"python3", dir.file("plain-http.py"), std::to_string(port), log});
        REQUIRE(wait_for_port(port, std::chrono::seconds(30)));
        // wait_for_port's own probe is a connection too; start counting after it.
        REQUIRE(within(std::chrono::seconds(5), [&] { return !read_file(log).empty(); }));
        write_file(log, "");

        YAML::Node original = base_kubeconfig();
        YAML::Node config = YAML::Clone(original);
        YAML::Node plain_port = cluster_of(original); // https and the cluster's CA, on a port speaking HTTP
        plain_port["server"] = fmt::format("https://127.0.0.1:{}", port);
        YAML::Node limited;
        limited["token"] = limited_token();
        add_context(config, "https-to-http", plain_port, limited);
        YAML::Node named_http; // http:// named in the kubeconfig: used as such
        named_http["server"] = fmt::format("http://127.0.0.1:{}", port);
        add_context(config, "http", named_http, limited);
        write_file(dir.file("kubeconfig"), emit(config));
        const EnvChanges env = {{"KUBECONFIG", dir.file("kubeconfig")}};

        for (const char* verbosity : {"-v", "-vvv"}) {
            const Run run = run_kq({"--context", "https-to-http", verbosity, "context", "--check"}, env);
            INFO(run.err);
            CHECK(run.status == 123);
            CHECK(run.out.empty());
            // A handshake answered in plain HTTP fails as such; nothing is tried without TLS.
            CHECK(run.err.find(fmt::format("kq: error: TLS handshake with https://127.0.0.1:{} failed",
                                           port)) != std::string::npos);
        }
        // Every connection opened with a TLS handshake; nothing was sent in the clear.
        const std::string https_log = read_file(log);
        INFO("connections: ", https_log);
        CHECK(!https_log.empty());
        CHECK(https_log.find("plain") == std::string::npos);

        write_file(log, "");
        const Run http = run_kq({"--context", "http", "context", "--check"}, env);
        CHECK(http.status == 123);
        CHECK(within(std::chrono::seconds(5), [&] {
            return read_file(log).find("plain GET /version HTTP/1.1") != std::string::npos;
        }));
    }

    TEST_CASE("SIGINT and SIGTERM end kq wait and kq logs -f promptly with 130 and 143") {
        TempDir dir;
        TestNamespace ns("kq-guard");
        write_file(dir.file("kq.yaml"), k_project);
        const Run submitted = run_kq({"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", "slow"});
        REQUIRE(submitted.status == 0);
        const std::string name = submitted.out.substr(10, submitted.out.find(' ') - 10);
        auto client = cluster_client("admin");
        wait_running(*client, ns.name(), name);

        for (const std::pair<int, int>& expected :
             std::vector<std::pair<int, int>>{{SIGINT, 130}, {SIGTERM, 143}}) {
            // Not a structured binding: clang 14 can't capture one in the lambdas of INFO and REQUIRE.
            const int signal = expected.first;
            const int code = expected.second;
            for (const std::vector<std::string>& command :
                 std::vector<std::vector<std::string>>{{"wait", name}, {"logs", "-f", name}}) {
                std::vector<std::string> args = {"-n", ns.name()};
                args.insert(args.end(), command.begin(), command.end());
                Started kq(args, {});
                if (command.front() == "logs") {
                    REQUIRE(within(std::chrono::seconds(30),
                                   [&] { return kq.out().find("started\n") != std::string::npos; }));
                } else {
                    std::this_thread::sleep_for(std::chrono::seconds(1));
                }
                kq.signal(signal);
                const int status = kq.wait(std::chrono::seconds(5));
                INFO("kq ", fmt::format("{}", fmt::join(command, " ")), " signal ", signal,
                     " stderr: ", kq.err());
                CHECK(status == code);
                MESSAGE("kq ", command.front(), " ended ", kq.seconds_to_end(), " s after signal ", signal);
                // Whatever it printed is whole lines.
                CHECK((kq.out().empty() || kq.out().ends_with("\n")));
                CHECK((kq.err().empty() || kq.err().ends_with("\n")));
            }
        }
        CHECK(job_exists(*client, ns.name(), name)); // interrupting a wait leaves the Job alone
    }

    TEST_CASE("SIGINT in the middle of kq submit --count 200 leaves whole lines naming Jobs that exist") {
        TempDir dir;
        TestNamespace ns("kq-guard");
        write_file(dir.file("kq.yaml"), k_project);
        Started kq({"-f", dir.file("kq.yaml"), "-n", ns.name(), "submit", "many", "--count", "200"}, {});
        REQUIRE(within(std::chrono::seconds(60), [&] { return count_lines(kq.out()) >= 10; }));
        kq.signal(SIGINT);
        const int status = kq.wait(std::chrono::seconds(5));
        INFO("stderr: ", kq.err());
        CHECK(status == 130);
        const std::string out = kq.out();
        CHECK(out.ends_with("\n"));
        const std::vector<std::string> lines = lines_of(out);
        MESSAGE("kq submit --count 200 printed ", lines.size(), " names before SIGINT ended it");
        CHECK(lines.size() < 200);
        auto client = cluster_client("admin");
        const std::vector<std::string> existing = job_names(*client, ns.name());
        const std::set<std::string> exists(existing.begin(), existing.end());
        for (const std::string& line : lines) {
            REQUIRE_MESSAGE(line.starts_with("job.batch/"), line);
            REQUIRE_MESSAGE(line.ends_with(" created"), line);
            const std::string name = line.substr(10, line.size() - 10 - 8);
            CHECK_MESSAGE(exists.count(name) == 1, name);
        }
        CHECK(exists.size() >= lines.size());
    }

    TEST_CASE("an interrupted kq list -o json writes the whole document or nothing, never a torn one") {
        TestNamespace ns("kq-guard");
        auto client = cluster_client("admin");
        std::vector<TestJob> jobs;
        for (int i = 0; i < 300; ++i) {
            TestJob job;
            job.name = fmt::format("listed-{:03}", i);
            job.definition = "listed";
            job.suspend = true;
            jobs.push_back(job);
        }
        create_jobs(*client, ns.name(), jobs);
        // Small pages make many requests, so a signal has many places to land.
        const EnvChanges env = {{"KQ_LIST_PAGE_SIZE", "20"}};
        const std::vector<std::string> args = {"-n", ns.name(), "list", "-o", "json"};

        // Signals at spread-out moments: each run ends whole (0) or interrupted (130) with nothing or a
        // complete document on stdout.
        int interrupted = 0;
        for (int delay_ms : {10, 30, 60, 100, 150, 250, 400}) {
            Started kq(args, env);
            std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
            kq.signal(SIGINT);
            const int status = kq.wait(std::chrono::seconds(5));
            INFO("delay ", delay_ms, " ms, stderr: ", kq.err());
            CHECK((status == 0 || status == 130));
            if (status == 130) ++interrupted;
            const std::string out = kq.out();
            if (status != 0 && out.empty()) continue;
            const nlohmann::json document = nlohmann::json::parse(out, nullptr, false);
            REQUIRE_FALSE(document.is_discarded());
            CHECK(document["items"].size() == 300);
        }
        MESSAGE(interrupted, " of 7 runs of kq list -o json were interrupted before they ended");
        CHECK(interrupted > 0);

        // A reader that stops reading: kq blocks while writing the document (a pipe holds 64 KiB) and
        // the signal lands then. The document still comes out whole, and kq then ends by the signal.
        for (const std::pair<int, int>& expected :
             std::vector<std::pair<int, int>>{{SIGINT, 130}, {SIGTERM, 143}}) {
            // Not a structured binding: clang 14 can't capture one in the lambdas of INFO and REQUIRE.
            const int signal = expected.first;
            const int code = expected.second;
            Started kq(args, env, true);
            REQUIRE(within(std::chrono::seconds(30), [&] { return kq.pipe_full(); }));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            kq.signal(signal);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            const int status = kq.wait(std::chrono::seconds(5));
            INFO("stderr: ", kq.err());
            CHECK(status == code);
            const nlohmann::json document = nlohmann::json::parse(kq.out(), nullptr, false);
            REQUIRE_FALSE(document.is_discarded());
            CHECK(document["items"].size() == 300);
        }

        // -o name and the table: whole lines, always.
        for (const std::vector<std::string>& output :
             std::vector<std::vector<std::string>>{{"-o", "name"}, {}}) {
            for (int delay_ms : {30, 100, 200}) {
                std::vector<std::string> list = {"-n", ns.name(), "list"};
                list.insert(list.end(), output.begin(), output.end());
                Started kq(list, env);
                std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
                kq.signal(SIGTERM);
                const int status = kq.wait(std::chrono::seconds(5));
                CHECK((status == 0 || status == 143));
                CHECK((kq.out().empty() || kq.out().ends_with("\n")));
            }
        }
    }

    TEST_CASE(
        "SIGTERM or SIGINT while a slow exec plugin runs ends kq promptly and leaves no plugin behind") {
        TempDir dir;
        YAML::Node config = base_kubeconfig();
        add_context(config, "slow-plugin", cluster_of(config),
                    exec_user(write_plugin(dir, "slow-plugin", limited_token(), 30)));
        write_file(dir.file("kubeconfig"), emit(config));
        const EnvChanges env = {{"KUBECONFIG", dir.file("kubeconfig")}};
        const std::string pid_file = dir.file("slow-plugin.pid");

        struct Case {
            std::vector<std::string> args;
            int signal;
            int code;
        };
        const std::vector<Case> cases = {
            {{"--context", "slow-plugin", "-n", "kq-e2e", "list"}, SIGTERM, 143},
            {{"--context", "slow-plugin", "context", "--check"}, SIGINT, 130},
            {{"--context", "slow-plugin", "-n", "kq-e2e", "wait", "nothing-such"}, SIGTERM, 143},
            {{"--context", "slow-plugin", "-n", "kq-e2e", "-v", "-v", "-v", "logs", "-f", "nothing-such"},
             SIGINT,
             130},
        };
        for (const Case& test : cases) {
            std::filesystem::remove(pid_file);
            Started kq(test.args, env);
            // The plugin has started, and so has its sleep.
            REQUIRE(within(std::chrono::seconds(20), [&] { return pids_in(pid_file).size() == 2; }));
            const std::vector<pid_t> plugin = pids_in(pid_file);
            CHECK(process_alive(plugin[0]));
            CHECK(process_alive(plugin[1]));
            kq.signal(test.signal);
            const int status = kq.wait(std::chrono::seconds(5));
            INFO("kq ", fmt::format("{}", fmt::join(test.args, " ")), ", stderr: ", kq.err());
            CHECK(status == test.code);
            MESSAGE("kq ", test.args.back(), " ended ", kq.seconds_to_end(), " s after signal ", test.signal);
            // No plugin and no child of the plugin outlives kq: the plugin's group was signalled, and
            // a loaded machine may take a moment to deliver that to the plugin's own child.
            CHECK_FALSE(process_alive(plugin[0]));
            CHECK(within(std::chrono::seconds(5), [&] { return !process_alive(plugin[1]); }));
            CHECK(kq.out().empty());
        }
    }

} // TEST_SUITE
