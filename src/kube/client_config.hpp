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
    Impersonation impersonate;
};

// Resolves a context (empty for current-context) of a loaded kubeconfig; throws kq::Error (cluster)
// naming the file, line and entry at fault when the context can't be used.
ClientConfig resolve_client_config(const Kubeconfig& kubeconfig, const std::string& context,
                                   const ProxyEnvironment& proxy);

// The in-cluster configuration of a pod's service account; nullopt when the variables are unset.
std::optional<ClientConfig> in_cluster_config(const InClusterEnvironment& environment);

// Loads the kubeconfig and resolves the context, or falls back to the in-cluster configuration when no
// kubeconfig exists, as kubectl does.
ClientConfig load_client_config(const ConfigSelection& selection);

// How requests authenticate, for `kq context` and messages: "client certificate", "token",
// "token file /path", "basic auth", "exec plugin aws", "none"; never a secret.
std::string auth_method(const ClientConfig& config);

} // namespace kq::kube
