#include "kube/auth.hpp"

#include "kube/oidc.hpp"
#include "kube/pem.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace kq::kube {
namespace {

// Finds a command the way exec.LookPath does: a name with a slash as is, else the first executable
// file of that name on PATH.
std::optional<std::string> find_command(const std::string& command) {
    if (command.find('/') != std::string::npos) {
        if (access(command.c_str(), X_OK) == 0) return command;
        return std::nullopt;
    }
    const char* path_env = std::getenv("PATH");
    const std::string path = path_env == nullptr ? "/usr/local/bin:/usr/bin:/bin" : path_env;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        start = end + 1;
        if (dir.empty()) dir = ".";
        const std::string candidate = dir + "/" + command;
        struct stat info {};
        if (stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
            access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

// Ends a plugin kq no longer waits for: SIGTERM, SIGKILL if it has not ended within a second, then
// reaps it; with `group` the whole process group it leads, so its own children go with it.
void stop_plugin(pid_t pid, bool group) {
    const pid_t target = group ? -pid : pid;
    kill(target, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    pid_t reaped = 0;
    while ((reaped = waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
        usleep(10000);
    }
    if (reaped == 0) {
        kill(target, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
    }
    // The leader is gone, but what it started may live on in its group; while any member lives, the
    // group's id can't be given to a new process, so this reaches only the plugin's own.
    if (group) kill(target, SIGKILL);
}

} // namespace

std::string exec_info(const ExecConfig& exec, const ClientConfig& config, bool interactive) {
    nlohmann::json spec = {{"interactive", interactive}};
    if (exec.provide_cluster_info) {
        nlohmann::json cluster = {{"server", config.server}};
        if (!config.tls_server_name.empty()) cluster["tls-server-name"] = config.tls_server_name;
        if (config.insecure_skip_tls_verify) cluster["insecure-skip-tls-verify"] = true;
        if (!config.ca_pem.empty()) cluster["certificate-authority-data"] = base64_encode(config.ca_pem);
        if (!config.proxy_url.empty()) cluster["proxy-url"] = config.proxy_url;
        if (config.disable_compression) cluster["disable-compression"] = true;
        if (!config.exec_cluster_config.is_null()) cluster["config"] = config.exec_cluster_config;
        spec["cluster"] = cluster;
    }
    const nlohmann::json info = {
        {"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", spec}};
    return info.dump();
}

ExecCredential parse_exec_credential(std::string_view output, const ExecConfig& exec,
                                     const std::string& plugin) {
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(output);
    } catch (const nlohmann::json::parse_error& error) {
        // Only the place: the parser's own message quotes what it read, which may be a bare token.
        fail(ErrorKind::cluster, "{} printed no ExecCredential: not JSON (syntax error at byte {})", plugin,
             error.byte);
    } catch (const nlohmann::json::exception&) {
        fail(ErrorKind::cluster, "{} printed no ExecCredential: a number in it is out of range", plugin);
    }
    if (!document.is_object())
        fail(ErrorKind::cluster, "{} printed no ExecCredential: not a JSON object", plugin);
    const std::string api_version = document.value("apiVersion", "");
    if (api_version != exec.api_version) {
        fail(ErrorKind::cluster, "{} is configured for {} but printed apiVersion \"{}\"", plugin,
             exec.api_version, api_version);
    }
    if (document.value("kind", "") != "ExecCredential") {
        fail(ErrorKind::cluster, "{} printed kind \"{}\", not ExecCredential", plugin,
             document.value("kind", ""));
    }
    const auto status = document.find("status");
    if (status == document.end() || !status->is_object())
        fail(ErrorKind::cluster, "{} printed no status", plugin);

    ExecCredential credential;
    const auto text = [&](const char* field) -> std::string {
        const auto found = status->find(field);
        if (found == status->end() || found->is_null()) return "";
        if (!found->is_string())
            fail(ErrorKind::cluster, "{} printed a status.{} that is not a string", plugin, field);
        return found->get<std::string>();
    };
    credential.token = text("token");
    credential.client_certificate_pem = text("clientCertificateData");
    credential.client_key_pem = text("clientKeyData");
    if (credential.token.empty() && credential.client_certificate_pem.empty() &&
        credential.client_key_pem.empty()) {
        fail(ErrorKind::cluster, "{} printed neither a token nor a client certificate and key", plugin);
    }
    if (credential.client_certificate_pem.empty() != credential.client_key_pem.empty()) {
        fail(ErrorKind::cluster, "{} printed a client {} without its {}", plugin,
             credential.client_key_pem.empty() ? "certificate" : "key",
             credential.client_key_pem.empty() ? "key" : "certificate");
    }
    if (!credential.client_certificate_pem.empty()) {
        switch (check_key_pair(credential.client_certificate_pem, credential.client_key_pem)) {
        case KeyPairProblem::none: break;
        case KeyPairProblem::no_certificate:
            fail(ErrorKind::cluster, "{} printed a clientCertificateData that holds no PEM certificate",
                 plugin);
        case KeyPairProblem::no_key:
            fail(ErrorKind::cluster, "{} printed a clientKeyData that holds no PEM private key", plugin);
        case KeyPairProblem::mismatch:
            fail(ErrorKind::cluster,
                 "{} printed a clientKeyData that does not match its clientCertificateData", plugin);
        }
    }
    const std::string expiry = text("expirationTimestamp");
    if (!expiry.empty()) {
        const std::optional<TimePoint> when = parse_rfc3339(expiry);
        if (!when) {
            fail(ErrorKind::cluster, "{} printed an expirationTimestamp \"{}\" that is not RFC 3339", plugin,
                 expiry);
        }
        credential.expiry = std::chrono::system_clock::time_point(*when);
    }
    return credential;
}

ExecCredential run_exec_plugin(const ExecConfig& exec, const std::string& info, bool interactive,
                               const std::string& plugin) {
    const std::optional<std::string> path = find_command(exec.command);
    if (!path) {
        std::string message =
            exec.command.find('/') != std::string::npos
                ? fmt::format("{}: \"{}\" does not exist or is not executable", plugin, exec.command)
                : fmt::format("{}: \"{}\" is not on PATH", plugin, exec.command);
        if (!exec.install_hint.empty()) message += "\n" + trim(exec.install_hint);
        throw Error(ErrorKind::cluster, message);
    }

    std::vector<std::string> arguments{*path};
    arguments.insert(arguments.end(), exec.args.begin(), exec.args.end());
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        // The configured env and KUBERNETES_EXEC_INFO replace what the process has under those names.
        const std::string_view variable = *entry;
        const std::string name(variable.substr(0, variable.find('=')));
        bool replaced = name == "KUBERNETES_EXEC_INFO";
        for (const ExecEnvVar& env : exec.env)
            replaced = replaced || env.name == name;
        if (!replaced) environment.emplace_back(variable);
    }
    for (const ExecEnvVar& env : exec.env)
        environment.push_back(env.name + "=" + env.value);
    environment.push_back("KUBERNETES_EXEC_INFO=" + info);
    std::vector<char*> argv;
    for (std::string& argument : arguments)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& variable : environment)
        envp.push_back(variable.data());
    envp.push_back(nullptr);

    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        fail(ErrorKind::cluster, "{}: cannot create a pipe: {}", plugin, std::strerror(errno));

    // From here a SIGINT or SIGTERM stops the plugin before kq ends, so that no plugin outlives kq.
    const InterruptScope interrupts;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // A plugin that may not prompt gets no terminal to read from, as kubectl gives it none; it runs in a
    // process group of its own, so that stopping it stops whatever it started as well. One that may
    // prompt stays in kq's group, which owns the terminal.
    if (!interactive) {
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawnattr_setpgroup(&attributes, 0);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    }
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, path->c_str(), &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    close(pipe_fds[1]);
    if (spawned != 0) {
        close(pipe_fds[0]);
        fail(ErrorKind::cluster, "{}: cannot run \"{}\": {}", plugin, *path, std::strerror(spawned));
    }

    std::string output;
    char buffer[4096];
    while (!interrupted()) {
        // A signal cuts the poll short; the timeout only covers one that lands just before it.
        pollfd readable{pipe_fds[0], POLLIN, 0};
        const int ready = poll(&readable, 1, 200);
        if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
        const ssize_t count = read(pipe_fds[0], buffer, sizeof buffer);
        if (count > 0)
            output.append(buffer, static_cast<size_t>(count));
        else if (count == 0 || errno != EINTR)
            break;
    }
    close(pipe_fds[0]);
    int status = 0;
    bool reaped = false;
    while (!interrupted() && !reaped) {
        reaped = waitpid(pid, &status, 0) == pid;
        if (!reaped && errno != EINTR) break;
    }
    if (interrupted()) {
        // A plugin that ended just before the signal is reaped already: nothing is left to stop.
        if (!reaped) stop_plugin(pid, !interactive);
        interrupts.die_if_default();
        throw Error(ErrorKind::interrupted, fmt::format("interrupted while {} ran", plugin));
    }
    if (WIFSIGNALED(status)) fail(ErrorKind::cluster, "{} was killed by signal {}", plugin, WTERMSIG(status));
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        fail(ErrorKind::cluster, "{} failed with exit code {}", plugin, WEXITSTATUS(status));
    }
    return parse_exec_credential(output, exec, plugin);
}

Authenticator::Authenticator(const ClientConfig& config, AuthOptions options)
    : m_config(config), m_options(std::move(options)) {
    if (m_config.exec) {
        m_plugin = fmt::format("exec plugin \"{}\" of user \"{}\"", m_config.exec->command, m_config.user);
    }
    m_current.generation = 1;
    if (!m_config.client_certificate_pem.empty()) {
        m_current.certificate = std::make_shared<const ClientCertificate>(
            ClientCertificate{m_config.client_certificate_pem, m_config.client_key_pem});
    }
    if (!m_config.token.empty()) m_current.authorization = "Bearer " + m_config.token;
    if (!m_config.username.empty() || !m_config.password.empty()) {
        m_current.authorization = "Basic " + base64_encode(m_config.username + ":" + m_config.password);
    }
    if (m_config.oidc && !m_config.oidc->id_token.empty()) {
        m_oidc_expiry = jwt_expiry(m_config.oidc->id_token, fmt::format("user \"{}\"", m_config.user));
    }
}

void Authenticator::use_oidc_token() {
    OidcConfig& oidc = *m_config.oidc;
    if (!oidc.id_token.empty() && m_options.now() + k_oidc_expiry_margin < m_oidc_expiry) {
        const std::string header = "Bearer " + oidc.id_token;
        if (m_current.authorization != header) {
            m_current.authorization = header;
            ++m_current.generation;
        }
        return;
    }
    if (oidc.refresh_token.empty()) {
        fail(ErrorKind::cluster,
             "user \"{}\": the oidc id-token has expired and no refresh-token is set to renew it; log in to "
             "the "
             "identity provider again, or switch to an exec plugin such as kubelogin ('kubectl oidc-login "
             "setup')",
             m_config.user);
    }
    if (m_options.log)
        m_options.log(
            fmt::format("refreshing the oidc id-token of user \"{}\" at {}", m_config.user, oidc.issuer_url));
    const OidcTokens tokens = refresh_oidc_tokens(oidc, m_config.user, ProxyEnvironment::from_process());
    ++m_oidc_refreshes;
    const auto expiry = jwt_expiry(tokens.id_token, fmt::format("user \"{}\"", m_config.user));
    // As kubectl, the new tokens are kept only once they are written back: the identity provider may
    // have retired the old refresh token.
    persist_oidc_tokens(oidc.kubeconfig, m_config.user, tokens);
    oidc.id_token = tokens.id_token;
    oidc.refresh_token = tokens.refresh_token;
    m_oidc_expiry = expiry;
    m_current.authorization = "Bearer " + oidc.id_token;
    ++m_current.generation;
}

bool Authenticator::reload_token_file(bool force) {
    struct stat info {};
    std::string error;
    FileStamp stamp;
    if (stat(m_config.token_file.c_str(), &info) == 0) {
        stamp = {static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec,
                 static_cast<long long>(info.st_size), static_cast<unsigned long long>(info.st_ino)};
    }
    // A rotated projected token is a new file swapped in by a symlink, so the inode changes even when
    // size and time would not.
    if (!force && stamp == m_file_stamp && !m_file_token.empty()) return false;
    std::ifstream in(m_config.token_file, std::ios::binary);
    std::string token;
    if (in) {
        std::ostringstream text;
        text << in.rdbuf();
        token = trim(text.str());
    } else {
        error = std::strerror(errno);
    }
    if (token.empty()) {
        // kubectl falls back to the static token while the file can't be read.
        if (!m_config.token.empty()) {
            m_file_token.clear();
            const std::string fallback = "Bearer " + m_config.token;
            if (m_current.authorization == fallback) return false;
            m_current.authorization = fallback;
            ++m_current.generation;
            return true;
        }
        if (error.empty()) fail(ErrorKind::cluster, "token file \"{}\" is empty", m_config.token_file);
        fail(ErrorKind::cluster, "token file \"{}\": cannot read: {}", m_config.token_file, error);
    }
    m_file_stamp = stamp;
    if (token == m_file_token) return false;
    m_file_token = token;
    m_current.authorization = "Bearer " + token;
    ++m_current.generation;
    return true;
}

void Authenticator::run_plugin() {
    const ExecConfig& exec = *m_config.exec;
    bool interactive = false;
    if (exec.interactive_mode == "Always") {
        if (!m_options.stdin_is_terminal) {
            fail(ErrorKind::cluster,
                 "{} needs a terminal (interactiveMode: Always) but standard input is not one", m_plugin);
        }
        interactive = true;
    } else if (exec.interactive_mode == "IfAvailable") {
        interactive = m_options.stdin_is_terminal;
    }
    ++m_exec_runs;
    ExecCredential credential =
        run_exec_plugin(exec, exec_info(exec, m_config, interactive), interactive, m_plugin);
    m_expiry = credential.expiry;
    m_have_exec_credentials = true;
    m_current.authorization = credential.token.empty() ? "" : "Bearer " + credential.token;
    m_current.certificate.reset();
    if (!credential.client_certificate_pem.empty()) {
        m_current.certificate = std::make_shared<const ClientCertificate>(ClientCertificate{
            std::move(credential.client_certificate_pem), std::move(credential.client_key_pem)});
    }
    ++m_current.generation;
}

Credentials Authenticator::credentials() {
    if (m_config.exec) {
        if (!m_have_exec_credentials || (m_expiry && m_options.now() > *m_expiry)) run_plugin();
    } else if (!m_config.token_file.empty()) {
        reload_token_file(false);
    } else if (m_config.oidc) {
        use_oidc_token();
    }
    return m_current;
}

bool Authenticator::refresh(const Credentials& used) {
    if (m_config.exec) {
        // Requests in flight when the plugin last ran all come back with 401 together; run it once for them.
        if (used.generation != m_current.generation) return true;
        run_plugin();
        return true;
    }
    if (!m_config.token_file.empty()) {
        if (used.generation != m_current.generation) return true;
        return reload_token_file(true);
    }
    return false;
}

} // namespace kq::kube
