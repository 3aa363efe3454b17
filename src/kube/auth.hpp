#pragma once

#include "kube/client_config.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kq::kube {

// A client certificate (possibly with its chain) and its private key, in PEM, kept in memory only.
struct ClientCertificate {
    std::string certificate_pem;
    std::string key_pem;
};

// What one request authenticates with.
struct Credentials {
    std::string authorization; // the Authorization header's value ("Bearer ...", "Basic ..."), or empty
    std::shared_ptr<const ClientCertificate> certificate; // null when none
    std::uint64_t generation = 0;                         // changes whenever the credentials change
};

// What an exec credential plugin printed.
struct ExecCredential {
    std::string token;
    std::string client_certificate_pem;
    std::string client_key_pem;
    std::optional<std::chrono::system_clock::time_point> expiry; // none: valid until a 401
};

// The KUBERNETES_EXEC_INFO document a plugin is started with: its apiVersion, whether it may prompt,
// and with provideClusterInfo the cluster (server, CA data, tls-server-name, proxy, config).
std::string exec_info(const ExecConfig& exec, const ClientConfig& config, bool interactive);

// Reads a plugin's standard output as an ExecCredential of the configured apiVersion; throws
// kq::Error (cluster) saying what is missing or wrong; `plugin` names it in messages.
ExecCredential parse_exec_credential(std::string_view output, const ExecConfig& exec,
                                     const std::string& plugin);

// Runs an exec credential plugin: the command (a path, or looked up on PATH), its args, the process
// environment plus its env and KUBERNETES_EXEC_INFO; standard error passes through, standard input
// only when interactive. Throws kq::Error (cluster) when it can't run or fails.
ExecCredential run_exec_plugin(const ExecConfig& exec, const std::string& info, bool interactive,
                               const std::string& plugin);

// Options of an Authenticator that tests replace.
struct AuthOptions {
    bool stdin_is_terminal = false; // decides interactiveMode IfAvailable and Always
    std::function<std::chrono::system_clock::time_point()> now = [] {
        return std::chrono::system_clock::now();
    };
    std::function<void(const std::string&)> log; // -v lines (an oidc refresh); null for none
};

// Produces the credentials of a ClientConfig for each request: static token, basic auth or client
// certificate; a tokenFile re-read whenever it changes (projected service-account tokens rotate); an
// exec plugin's output, cached until its expirationTimestamp and fetched again after a 401; or an oidc
// auth-provider's id-token while it is valid, refreshed through the issuer when it has expired and
// written back to the kubeconfig that defined it.
class Authenticator {
public:
    explicit Authenticator(const ClientConfig& config, AuthOptions options = {});

    // The credentials for the next request; may run the exec plugin or re-read the token file.
    Credentials credentials();

    // Called after a 401 answered a request made with `used`: fetches fresh credentials (runs the exec
    // plugin once more, re-reads the token file) and returns true when they differ, so that a retry
    // may succeed.
    bool refresh(const Credentials& used);

    // How many times the exec plugin has run.
    int exec_runs() const { return m_exec_runs; }

    // How many times the oidc tokens were refreshed.
    int oidc_refreshes() const { return m_oidc_refreshes; }

private:
    void run_plugin();
    void use_oidc_token();
    bool reload_token_file(bool force);

    ClientConfig m_config;
    AuthOptions m_options;
    std::string m_plugin; // the plugin's name in messages
    Credentials m_current;
    std::optional<std::chrono::system_clock::time_point> m_expiry;
    bool m_have_exec_credentials = false;
    int m_exec_runs = 0;
    int m_oidc_refreshes = 0;
    std::chrono::system_clock::time_point m_oidc_expiry{}; // of the id-token in m_config.oidc
    std::string m_file_token;                              // the token last read from token_file
    struct FileStamp {
        long long mtime_ns = -1;
        long long size = -1;
        unsigned long long inode = 0;
        bool operator==(const FileStamp&) const = default;
    } m_file_stamp;
};

} // namespace kq::kube
