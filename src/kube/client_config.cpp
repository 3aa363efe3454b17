#include "kube/client_config.hpp"

#include "kube/pem.hpp"
#include "kube/url.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

namespace kq::kube {
namespace {

constexpr const char* k_serviceaccount_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
constexpr const char* k_exec_v1 = "client.authentication.k8s.io/v1";
constexpr const char* k_exec_v1beta1 = "client.authentication.k8s.io/v1beta1";

[[noreturn]] void entry_error(const Location& where, const std::string& entry, const std::string& message) {
    throw Error(ErrorKind::cluster, fmt::format("{}: {}: {}", where.str(), entry, message));
}

// A URL from the kubeconfig as it may be printed: without the password of its user:password@, even when
// it does not parse as a URL ("user:pass@proxy:3128" without a scheme).
std::string printable_url(const std::string& text) {
    if (const std::optional<Url> url = parse_url(text)) return url->redacted();
    const size_t at = text.rfind('@');
    if (at == std::string::npos) return text;
    const size_t start = text.find("://") == std::string::npos ? 0 : text.find("://") + 3;
    const size_t colon = text.find(':', start);
    if (colon == std::string::npos || colon > at) return text;
    return text.substr(0, colon) + ":xxxxx" + text.substr(at);
}

// The largest certificate, key or token file read: a CA bundle is a few hundred KiB.
constexpr std::size_t k_max_credential_file = 16 * 1024 * 1024;

// A file a kubeconfig or the service account names, read to its end (a pipe or /dev/fd/N too) but
// no further than k_max_credential_file; nullopt with the reason in error.
std::optional<std::string> read_file(const std::string& path, std::string& error) {
    FileText file = read_text(path, k_max_credential_file);
    if (file.too_large) {
        error = fmt::format("larger than {} MiB", k_max_credential_file >> 20);
    } else if (!file.text) {
        error = std::move(file.error);
    }
    return std::move(file.text);
}

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? "" : value;
}

std::string names_of(const auto& entries) {
    std::vector<std::string> names;
    for (const auto& [name, entry] : entries)
        names.push_back(name);
    return fmt::format("{}", fmt::join(names, ", "));
}

std::string auth_provider_advice(const std::string& name) {
    if (name == "gcp") {
        return "install gke-gcloud-auth-plugin and run 'gcloud container clusters get-credentials' to switch "
               "to its "
               "exec plugin";
    }
    if (name == "azure") {
        return "install kubelogin and run 'kubelogin convert-kubeconfig' to switch to its exec plugin";
    }
    return "configure an exec credential plugin (users[].user.exec) instead";
}

// Resolves the cluster entry into `config`; returns true when the server is https.
bool resolve_cluster(const ClusterEntry& cluster, ClientConfig& config, bool has_client_certificate,
                     const ProxyEnvironment& proxy) {
    const std::string entry = fmt::format("cluster \"{}\"", cluster.name);
    config.cluster = cluster.name;
    if (cluster.server.empty()) entry_error(cluster.location, entry, "no server is set");

    const bool has_ca =
        !cluster.certificate_authority.empty() || cluster.certificate_authority_data.has_value();
    std::string server = cluster.server;
    // kubectl takes a bare host:port as https when anything about TLS is configured, else as http.
    if (server.find("://") == std::string::npos) {
        const bool tls = has_ca || cluster.insecure_skip_tls_verify || has_client_certificate;
        server = (tls ? "https://" : "http://") + server;
    }
    const std::optional<Url> url = parse_url(server);
    if (!url || (url->scheme != "https" && url->scheme != "http")) {
        entry_error(cluster.at("server"), entry,
                    fmt::format("server \"{}\" is not an http or https URL (e.g. https://host:6443)",
                                printable_url(cluster.server)));
    }
    // kq prints the server in messages and -v logs; credentials in it would be printed with it.
    if (!url->userinfo.empty()) {
        entry_error(cluster.at("server"), entry,
                    fmt::format("server \"{}\" holds a user name or password; give credentials in the user "
                                "entry (token, client certificate, exec plugin) instead",
                                url->redacted()));
    }
    // Only scheme, host, port and path name the server, as kubectl keeps them: a query or fragment would
    // end up around every request's path.
    config.server = server.substr(0, server.find_first_of("?#"));
    while (config.server.ends_with('/'))
        config.server.pop_back();

    if (!cluster.certificate_authority.empty() && cluster.certificate_authority_data) {
        entry_error(cluster.at("certificate-authority"), entry,
                    "both certificate-authority and certificate-authority-data are set; keep one");
    }
    if (cluster.insecure_skip_tls_verify && has_ca) {
        entry_error(cluster.at("insecure-skip-tls-verify"), entry,
                    "insecure-skip-tls-verify can't be combined with a certificate authority; remove one");
    }
    if (!cluster.certificate_authority.empty()) {
        std::string error;
        std::optional<std::string> pem = read_file(cluster.certificate_authority, error);
        if (!pem) {
            entry_error(cluster.at("certificate-authority"), entry,
                        fmt::format("certificate-authority \"{}\": cannot read: {}",
                                    cluster.certificate_authority, error));
        }
        if (count_pem_certificates(*pem) == 0) {
            entry_error(cluster.at("certificate-authority"), entry,
                        fmt::format("certificate-authority \"{}\" holds no PEM certificate",
                                    cluster.certificate_authority));
        }
        config.ca_pem = std::move(*pem);
        config.ca_origin = fmt::format("certificate-authority \"{}\" of cluster \"{}\"",
                                       cluster.certificate_authority, cluster.name);
    } else if (cluster.certificate_authority_data) {
        if (count_pem_certificates(*cluster.certificate_authority_data) == 0) {
            entry_error(cluster.at("certificate-authority-data"), entry,
                        "certificate-authority-data holds no PEM certificate");
        }
        config.ca_pem = *cluster.certificate_authority_data;
        config.ca_origin = fmt::format("certificate-authority-data of cluster \"{}\"", cluster.name);
    }
    config.insecure_skip_tls_verify = cluster.insecure_skip_tls_verify;
    config.tls_server_name = cluster.tls_server_name;
    config.disable_compression = cluster.disable_compression;
    config.exec_cluster_config = cluster.exec_extension;

    if (!cluster.proxy_url.empty()) {
        const std::optional<Url> proxy_url = parse_url(cluster.proxy_url);
        if (!proxy_url) {
            entry_error(cluster.at("proxy-url"), entry,
                        fmt::format("proxy-url \"{}\" is not a URL", printable_url(cluster.proxy_url)));
        }
        if (proxy_url->scheme != "http" && proxy_url->scheme != "https" && proxy_url->scheme != "socks5") {
            entry_error(cluster.at("proxy-url"), entry,
                        fmt::format("proxy-url \"{}\": unsupported scheme \"{}\"; use http, https or socks5",
                                    proxy_url->redacted(), proxy_url->scheme));
        }
        config.proxy_url = cluster.proxy_url;
        config.proxy_origin = fmt::format("proxy-url of cluster \"{}\"", cluster.name);
    } else {
        config.proxy_url = proxy_from_environment(*url, proxy);
        if (!config.proxy_url.empty())
            config.proxy_origin = url->scheme == "https" ? "HTTPS_PROXY" : "HTTP_PROXY";
    }
    return url->scheme == "https";
}

// Reads a certificate or key from its file or data field into `out`.
void read_pem_field(const UserEntry& user, const std::string& entry, const std::string& field,
                    const std::string& path, const std::optional<std::string>& data, std::string& out) {
    if (!path.empty() && data) {
        entry_error(user.at(field), entry,
                    fmt::format("both {} and {}-data are set; keep one", field, field));
    }
    if (data) {
        out = *data;
        return;
    }
    std::string error;
    std::optional<std::string> text = read_file(path, error);
    if (!text)
        entry_error(user.at(field), entry, fmt::format("{} \"{}\": cannot read: {}", field, path, error));
    out = std::move(*text);
}

// Whether a user entry holds anything that identifies the user (impersonation does not).
bool has_credentials(const UserEntry& user) {
    return !user.client_certificate.empty() || user.client_certificate_data || !user.client_key.empty() ||
           user.client_key_data || !user.token.empty() || !user.token_file.empty() ||
           !user.username.empty() || !user.password.empty() || user.exec || user.auth_provider;
}

void resolve_impersonation(const UserEntry& user, ClientConfig& config) {
    if (user.impersonate.empty() && (!user.impersonate_uid.empty() || !user.impersonate_groups.empty() ||
                                     !user.impersonate_extra.empty())) {
        entry_error(user.location, fmt::format("user \"{}\"", user.name),
                    "as-uid, as-groups or as-user-extra is set without as");
    }
    config.impersonate = {user.impersonate, user.impersonate_uid, user.impersonate_groups,
                          user.impersonate_extra};
}

// Reads the oidc auth-provider's settings, as kubectl's oidc plugin requires them.
void resolve_oidc(const UserEntry& user, const std::string& entry, ClientConfig& config) {
    const AuthProviderConfig& provider = *user.auth_provider;
    const auto value = [&](const std::string& key) {
        const auto found = provider.config.find(key);
        return found == provider.config.end() ? std::string() : found->second;
    };
    const auto at = [&](const std::string& key) {
        const auto found = provider.config_locations.find(key);
        return found == provider.config_locations.end() ? user.at("auth-provider") : found->second;
    };
    OidcConfig oidc;
    oidc.issuer_url = value("idp-issuer-url");
    oidc.client_id = value("client-id");
    oidc.client_secret = value("client-secret");
    oidc.id_token = value("id-token");
    oidc.refresh_token = value("refresh-token");
    oidc.kubeconfig = user.location.file;
    if (oidc.issuer_url.empty()) entry_error(at(""), entry, "auth-provider oidc: idp-issuer-url is not set");
    if (oidc.client_id.empty()) entry_error(at(""), entry, "auth-provider oidc: client-id is not set");
    const std::string ca_file = value("idp-certificate-authority");
    const std::string ca_data = value("idp-certificate-authority-data");
    if (!ca_file.empty() && !ca_data.empty()) {
        entry_error(at("idp-certificate-authority"), entry,
                    "auth-provider oidc: both idp-certificate-authority and idp-certificate-authority-data "
                    "are set; keep one");
    }
    if (!ca_file.empty()) {
        // kubectl reads this path as written, relative to the working folder, not to the kubeconfig.
        std::string error;
        std::optional<std::string> pem = read_file(ca_file, error);
        if (!pem) {
            entry_error(at("idp-certificate-authority"), entry,
                        fmt::format("auth-provider oidc: idp-certificate-authority \"{}\": cannot read: {}",
                                    ca_file, error));
        }
        oidc.ca_pem = std::move(*pem);
        oidc.ca_origin = fmt::format("idp-certificate-authority \"{}\" of user \"{}\"", ca_file, user.name);
    } else if (!ca_data.empty()) {
        std::optional<std::string> pem = base64_decode(ca_data);
        if (!pem) {
            entry_error(at("idp-certificate-authority-data"), entry,
                        "auth-provider oidc: idp-certificate-authority-data: not valid base64");
        }
        oidc.ca_pem = std::move(*pem);
        oidc.ca_origin = fmt::format("idp-certificate-authority-data of user \"{}\"", user.name);
    }
    if (!oidc.ca_pem.empty() && count_pem_certificates(oidc.ca_pem) == 0) {
        entry_error(
            at(ca_file.empty() ? "idp-certificate-authority-data" : "idp-certificate-authority"), entry,
            "auth-provider oidc: the identity provider's certificate authority holds no PEM certificate");
    }
    if (oidc.id_token.empty() && oidc.refresh_token.empty()) {
        entry_error(at(""), entry,
                    "auth-provider oidc: neither id-token nor refresh-token is set; log in to the identity "
                    "provider first");
    }
    config.oidc = std::move(oidc);
}

void resolve_user(const UserEntry& user, ClientConfig& config) {
    const std::string entry = fmt::format("user \"{}\"", user.name);
    if (user.auth_provider && user.auth_provider->name != "oidc") {
        entry_error(user.at("auth-provider"), entry,
                    fmt::format("the \"{}\" auth-provider is {}; {}", user.auth_provider->name,
                                user.auth_provider->name == "gcp" || user.auth_provider->name == "azure"
                                    ? "no longer supported by kubectl or kq"
                                    : "not one kubectl or kq supports",
                                auth_provider_advice(user.auth_provider->name)));
    }
    if (user.auth_provider && user.exec) {
        entry_error(user.at("exec"), entry, "both exec and auth-provider are set; keep one");
    }

    const bool has_certificate = !user.client_certificate.empty() || user.client_certificate_data.has_value();
    const bool has_key = !user.client_key.empty() || user.client_key_data.has_value();
    if (has_certificate && !has_key) {
        entry_error(user.at(user.client_certificate_data ? "client-certificate-data" : "client-certificate"),
                    entry, "a client certificate is set without client-key or client-key-data");
    }
    if (has_key && !has_certificate) {
        entry_error(user.at(user.client_key_data ? "client-key-data" : "client-key"), entry,
                    "a client key is set without client-certificate or client-certificate-data");
    }
    if (has_certificate) {
        read_pem_field(user, entry, "client-certificate", user.client_certificate,
                       user.client_certificate_data, config.client_certificate_pem);
        read_pem_field(user, entry, "client-key", user.client_key, user.client_key_data,
                       config.client_key_pem);
        const std::string certificate_field =
            user.client_certificate_data ? "client-certificate-data" : "client-certificate";
        const std::string key_field = user.client_key_data ? "client-key-data" : "client-key";
        switch (check_key_pair(config.client_certificate_pem, config.client_key_pem)) {
        case KeyPairProblem::none: break;
        case KeyPairProblem::no_certificate:
            entry_error(user.at(certificate_field), entry,
                        fmt::format("{} holds no PEM certificate", certificate_field));
        case KeyPairProblem::no_key:
            entry_error(user.at(key_field), entry, fmt::format("{} holds no PEM private key", key_field));
        case KeyPairProblem::mismatch:
            entry_error(user.at(key_field), entry,
                        fmt::format("{} does not match {}", key_field, certificate_field));
        }
    }

    if (!user.token.empty() && (!user.username.empty() || !user.password.empty())) {
        entry_error(user.location, entry, "both token and username/password are set; keep one");
    }
    config.token = user.token;
    config.token_file = user.token_file;
    if (!user.token_file.empty() && user.token.empty()) {
        std::string error;
        if (!read_file(user.token_file, error)) {
            entry_error(user.at("tokenFile"), entry,
                        fmt::format("tokenFile \"{}\": cannot read: {}", user.token_file, error));
        }
    }
    config.username = user.username;
    config.password = user.password;

    if (user.exec) {
        const ExecConfig& exec = *user.exec;
        const Location where = user.at("exec");
        if (exec.api_version.empty()) {
            entry_error(where, entry, fmt::format("exec: apiVersion is not set; use {}", k_exec_v1));
        }
        if (exec.api_version != k_exec_v1 && exec.api_version != k_exec_v1beta1) {
            entry_error(where, entry,
                        fmt::format("exec: apiVersion \"{}\" is not supported; use {} or {}",
                                    exec.api_version, k_exec_v1, k_exec_v1beta1));
        }
        if (exec.command.empty()) entry_error(where, entry, "exec: command is not set");
        if (exec.interactive_mode.empty()) {
            entry_error(where, entry, "exec: interactiveMode is not set; use Never, IfAvailable or Always");
        }
        if (exec.interactive_mode != "Never" && exec.interactive_mode != "IfAvailable" &&
            exec.interactive_mode != "Always") {
            entry_error(where, entry,
                        fmt::format("exec: interactiveMode \"{}\" is not one of Never, IfAvailable, Always",
                                    exec.interactive_mode));
        }
        // kubectl runs the plugin only when nothing else authenticates the user.
        const bool other = has_certificate || !user.token.empty() || !user.token_file.empty() ||
                           !user.username.empty() || !user.password.empty();
        if (!other) config.exec = exec;
    }

    // A static token or basic auth sets the Authorization header first; kubectl's oidc plugin then adds
    // nothing.
    if (user.auth_provider && user.token.empty() && user.token_file.empty() && user.username.empty() &&
        user.password.empty()) {
        resolve_oidc(user, entry, config);
    }
}

} // namespace

InClusterEnvironment InClusterEnvironment::from_process() {
    std::string dir = env("KQ_SERVICEACCOUNT_DIR");
    if (dir.empty()) dir = k_serviceaccount_dir;
    return {env("KUBERNETES_SERVICE_HOST"), env("KUBERNETES_SERVICE_PORT"), env("POD_NAMESPACE"), dir};
}

ConfigSelection ConfigSelection::from_process(const std::string& kubeconfig_flag,
                                              const std::string& context_flag) {
    ConfigSelection selection;
    selection.search.explicit_path = kubeconfig_flag;
    if (const char* value = std::getenv("KUBECONFIG"); value != nullptr)
        selection.search.kubeconfig_env = value;
    selection.search.home = env("HOME");
    selection.context = context_flag;
    selection.proxy = ProxyEnvironment::from_process();
    selection.in_cluster = InClusterEnvironment::from_process();
    return selection;
}

std::string namespace_problem(const std::string& name) {
    if (name == "." || name == "..") return fmt::format("\"{}\" names no namespace in a path", name);
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '/' || c == '%' || c == '?' || c == '#') return fmt::format("it contains \"{}\"", c);
        if (byte <= 0x20 || byte >= 0x7f) return "it contains a space, control or non-ASCII character";
    }
    return "";
}

ClientConfig resolve_client_config(const Kubeconfig& kubeconfig, const std::string& context,
                                   const ProxyEnvironment& proxy) {
    ClientConfig config;
    config.source = kubeconfig.source();
    const std::string name = context.empty() ? kubeconfig.current_context : context;
    if (name.empty()) {
        if (kubeconfig.contexts.empty()) {
            fail(ErrorKind::cluster, "{}: no current-context is set and the kubeconfig defines no contexts",
                 config.source);
        }
        fail(ErrorKind::cluster,
             "{}: no current-context is set; choose a context with --context (contexts: {})", config.source,
             names_of(kubeconfig.contexts));
    }
    const auto found = kubeconfig.contexts.find(name);
    if (found == kubeconfig.contexts.end()) {
        const std::string known =
            kubeconfig.contexts.empty() ? "it defines none" : "contexts: " + names_of(kubeconfig.contexts);
        if (!context.empty()) {
            fail(ErrorKind::cluster, "--context: context \"{}\" not found in {} ({})", name, config.source,
                 known);
        }
        fail(ErrorKind::cluster, "{}: current-context \"{}\" not found ({})",
             kubeconfig.current_context_location.str(), name, known);
    }
    const ContextEntry& entry = found->second;
    const std::string what = fmt::format("context \"{}\"", entry.name);
    config.context = entry.name;

    if (entry.cluster.empty()) entry_error(entry.location, what, "no cluster is set");
    const auto cluster = kubeconfig.clusters.find(entry.cluster);
    if (cluster == kubeconfig.clusters.end()) {
        entry_error(entry.at("cluster"), what, fmt::format("cluster \"{}\" not found", entry.cluster));
    }
    const UserEntry* user = nullptr;
    if (!entry.user.empty()) {
        const auto found_user = kubeconfig.users.find(entry.user);
        if (found_user == kubeconfig.users.end()) {
            entry_error(entry.at("user"), what, fmt::format("user \"{}\" not found", entry.user));
        }
        user = &found_user->second;
    }
    if (const std::string problem = namespace_problem(entry.namespace_name); !problem.empty()) {
        entry_error(entry.at("namespace"), what,
                    fmt::format("namespace \"{}\" can't be used: {}", entry.namespace_name, problem));
    }
    config.namespace_name = entry.namespace_name;

    const bool has_certificate =
        user != nullptr && (!user->client_certificate.empty() || user->client_certificate_data.has_value());
    const bool tls = resolve_cluster(cluster->second, config, has_certificate, proxy);
    if (user != nullptr) {
        config.user = user->name;
        // kubectl reads a user's credentials only for a TLS connection; over plain http they would travel
        // in clear text. Impersonation is no secret and is sent, as kubectl sends it.
        if (tls) {
            resolve_user(*user, config);
        } else if (has_credentials(*user)) {
            config.credentials_withheld = fmt::format("the server {} is not https", config.server);
        }
        resolve_impersonation(*user, config);
    }
    return config;
}

std::optional<ClientConfig> in_cluster_config(const InClusterEnvironment& environment) {
    if (environment.service_host.empty() || environment.service_port.empty()) return std::nullopt;
    namespace fs = std::filesystem;
    ClientConfig config;
    config.in_cluster = true;
    config.source = "in-cluster configuration";
    config.cluster = "in-cluster";
    const std::string host = environment.service_host.find(':') != std::string::npos
                                 ? "[" + environment.service_host + "]"
                                 : environment.service_host;
    config.server = fmt::format("https://{}:{}", host, environment.service_port);

    config.token_file = (fs::path(environment.serviceaccount_dir) / "token").string();
    std::string error;
    if (!read_file(config.token_file, error)) {
        fail(ErrorKind::cluster,
             "in-cluster configuration: \"{}\": cannot read the service account token: {}", config.token_file,
             error);
    }
    // As kubectl does, a missing or unusable ca.crt leaves the system's roots in place rather than failing.
    const std::string ca_file = (fs::path(environment.serviceaccount_dir) / "ca.crt").string();
    if (std::optional<std::string> ca = read_file(ca_file, error); ca && count_pem_certificates(*ca) > 0) {
        config.ca_pem = std::move(*ca);
        config.ca_origin = fmt::format("the service account's \"{}\"", ca_file);
    }
    config.namespace_name = in_cluster_namespace(environment);
    return config;
}

bool in_cluster_possible(const InClusterEnvironment& environment) {
    if (environment.service_host.empty() || environment.service_port.empty()) return false;
    std::error_code error;
    const auto status =
        std::filesystem::status(std::filesystem::path(environment.serviceaccount_dir) / "token", error);
    return !error && std::filesystem::exists(status) && !std::filesystem::is_directory(status);
}

std::string in_cluster_namespace(const InClusterEnvironment& environment) {
    if (!environment.pod_namespace.empty()) return environment.pod_namespace;
    const std::string path = (std::filesystem::path(environment.serviceaccount_dir) / "namespace").string();
    std::string error;
    std::optional<std::string> text = read_file(path, error);
    if (!text) return "";
    return trim(*text);
}

ClientConfig load_client_config(const ConfigSelection& selection) {
    KubeconfigLookup lookup = find_kubeconfig(selection.search);
    const std::optional<Kubeconfig>& kubeconfig = lookup.kubeconfig;
    const bool pod = in_cluster_possible(selection.in_cluster);
    const bool empty = !kubeconfig || (kubeconfig->contexts.empty() && kubeconfig->clusters.empty() &&
                                       kubeconfig->users.empty() && kubeconfig->current_context.empty());
    if (empty && selection.context.empty() && (lookup.missing_env_files.empty() || pod)) {
        if (std::optional<ClientConfig> config = in_cluster_config(selection.in_cluster)) return *config;
    }
    if (!lookup.missing_env_files.empty()) {
        fail(ErrorKind::cluster, "KUBECONFIG: none of its files exists: {}",
             fmt::join(lookup.missing_env_files, ", "));
    }
    if (!kubeconfig) {
        fail(ErrorKind::cluster,
             "no kubeconfig found and not running in a pod: pass --kubeconfig, set KUBECONFIG or create "
             "~/.kube/config");
    }
    // kubectl reads a kubeconfig that names no context as an empty one, and so uses the pod's account.
    if (pod && selection.context.empty() && kubeconfig->current_context.empty()) {
        if (std::optional<ClientConfig> config = in_cluster_config(selection.in_cluster)) return *config;
    }
    ClientConfig config = resolve_client_config(*kubeconfig, selection.context, selection.proxy);
    // In a pod, a context that sets no namespace takes the pod's, as kubectl's does.
    if (pod && config.namespace_name.empty())
        config.namespace_name = in_cluster_namespace(selection.in_cluster);
    return config;
}

std::string auth_method(const ClientConfig& config) {
    std::string method;
    if (!config.credentials_withheld.empty()) {
        method = fmt::format("none (the credentials of user \"{}\" are withheld: {})", config.user,
                             config.credentials_withheld);
    } else if (config.exec) {
        method =
            fmt::format("exec plugin {}", std::filesystem::path(config.exec->command).filename().string());
    } else if (!config.client_certificate_pem.empty()) {
        method = "client certificate";
        if (!config.token.empty() || !config.token_file.empty()) method += " and token";
    } else if (config.in_cluster) {
        method = fmt::format("service account token {}", config.token_file);
    } else if (!config.token_file.empty()) {
        method = fmt::format("token file {}", config.token_file);
    } else if (!config.token.empty()) {
        method = "token";
    } else if (!config.username.empty() || !config.password.empty()) {
        method = "basic auth";
    } else if (config.oidc) {
        method = "oidc auth-provider";
    } else {
        method = "none";
    }
    if (!config.impersonate.user.empty())
        method += fmt::format(", impersonating \"{}\"", config.impersonate.user);
    return method;
}

} // namespace kq::kube
