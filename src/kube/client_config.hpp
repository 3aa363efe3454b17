#pragma once

#include "kube/kubeconfig.hpp"
#include "kube/proxy.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kq::kube {

// Where a pod finds its service account: the variables and folder kubectl's in-cluster configuration reads.
struct InClusterEnvironment {
    std::string service_host;       // $KUBERNETES_SERVICE_HOST
    std::string service_port;       // $KUBERNETES_SERVICE_PORT
    std::string pod_namespace;      // $POD_NAMESPACE, which wins over the namespace file
    std::string serviceaccount_dir; // holds token, ca.crt and namespace

    // Reads the variables from the process; the folder is /var/run/secrets/kubernetes.io/serviceaccount
    // unless $KQ_SERVICEACCOUNT_DIR (for tests) names another.
    static InClusterEnvironment from_process();
};

// Everything besides the kubeconfig's contents that decides how to reach the cluster.
struct ConfigSelection {
    KubeconfigSearch search;
    std::string context; // --context; empty for current-context
    ProxyEnvironment proxy;
    InClusterEnvironment in_cluster;

    // The selection the process environment makes, with the two flags.
    static ConfigSelection from_process(const std::string& kubeconfig_flag, const std::string& context_flag);
};

// Impersonation headers a user entry asks for (`as`, `as-uid`, `as-groups`, `as-user-extra`).
struct Impersonation {
    std::string user;
    std::string uid;
    std::vector<std::string> groups;
    std::map<std::string, std::vector<std::string>> extra;
};

// A user's `oidc` auth-provider, as kubectl reads it: the id-token, sent while its `exp` claim lies ahead,
// and what refreshes it through the issuer's token endpoint.
struct OidcConfig {
    std::string issuer_url;    // idp-issuer-url
    std::string client_id;     // client-id
    std::string client_secret; // client-secret
    std::string id_token;      // id-token
    std::string refresh_token; // refresh-token
    std::string ca_pem;        // idp-certificate-authority(-data); empty for the system's roots
    std::string ca_origin;     // where ca_pem came from, for messages
    std::string kubeconfig;    // the file that defined the user, where refreshed tokens are written
};

// How to reach and authenticate to one cluster: a context resolved to plain values. Holds secrets;
// never print it whole (auth_method() and the names are safe).
struct ClientConfig {
    std::string context; // the context's name; empty in-cluster
    std::string cluster; // the cluster entry's name
    std::string user;    // the user entry's name
    std::string source;  // the kubeconfig file(s), or "in-cluster configuration"
    bool in_cluster = false;

    std::string server; // the API server's base URL, without a trailing slash
    std::string ca_pem; // the CA bundle to trust; empty for the system's
    std::string
        ca_origin; // where ca_pem came from, for messages ("certificate-authority-data of cluster \"x\"")
    bool insecure_skip_tls_verify = false;
    std::string tls_server_name;
    std::string proxy_url;    // empty for a direct connection
    std::string proxy_origin; // where proxy_url came from, for messages
    bool disable_compression = false;
    std::string namespace_name; // the context's namespace (the pod's in-cluster); empty when none is set

    std::string client_certificate_pem;
    std::string client_key_pem;
    std::string token;
    std::string token_file; // re-read when it changes; wins over `token` while it can be read
    std::string username;
    std::string password;
    std::optional<ExecConfig> exec;     // only when no token, basic auth or certificate is set, as kubectl
    nlohmann::json exec_cluster_config; // the cluster's exec extension, for provideClusterInfo
    std::optional<OidcConfig> oidc;     // the oidc auth-provider
    Impersonation impersonate;          // sent even to a plain-http server, as kubectl does: no secret
    // Why the user's credentials are not sent, for messages and -v: set when the server is not https,
    // since kubectl attaches credentials only to a TLS connection. Empty when they are sent.
    std::string credentials_withheld;
};

// Why `name` can't be used as a namespace in an API path (e.g. `it contains "/"`), or empty when it can. kq
// refuses only what would change the request's path, as kubectl does, and lets the server answer the
// rest; the same rule applies to -n/--namespace and to a context's namespace.
std::string namespace_problem(const std::string& name);

// Resolves a context (empty for current-context) of a loaded kubeconfig; throws kq::Error (cluster)
// naming the file, line and entry at fault when the context can't be used.
ClientConfig resolve_client_config(const Kubeconfig& kubeconfig, const std::string& context,
                                   const ProxyEnvironment& proxy);

// The in-cluster configuration of a pod's service account; nullopt when the variables are unset.
std::optional<ClientConfig> in_cluster_config(const InClusterEnvironment& environment);

// True in a pod, as kubectl decides it: the service host and port are set and the token is a file.
bool in_cluster_possible(const InClusterEnvironment& environment);

// The namespace of a pod: $POD_NAMESPACE, else the service account's namespace file; empty when neither
// gives one.
std::string in_cluster_namespace(const InClusterEnvironment& environment);

// Loads the kubeconfig and resolves the context, as kubectl does. In a pod it falls back to the
// in-cluster configuration when the kubeconfig is empty or missing (including a KUBECONFIG whose files
// all are missing) or sets no current-context and --context is not given, and a context without a
// namespace takes the pod's.
ClientConfig load_client_config(const ConfigSelection& selection);

// How requests authenticate, for `kq context` and messages: "client certificate", "token",
// "token file /path", "basic auth", "exec plugin aws", "none"; never a secret.
std::string auth_method(const ClientConfig& config);

} // namespace kq::kube
