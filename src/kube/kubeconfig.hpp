#pragma once

#include "yaml/location.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kq::kube {

// Where something was written: a file and, when known, a 1-based line and column.
using Location = yaml::Location;

// One environment variable an exec credential plugin is started with.
struct ExecEnvVar {
    std::string name;
    std::string value;
};

// A user's `exec` section: a credential plugin that prints an ExecCredential.
struct ExecConfig {
    std::string api_version; // client.authentication.k8s.io/v1 or v1beta1
    std::string command;     // a name looked up on PATH, or a path (relative ones resolved on load)
    std::vector<std::string> args;
    std::vector<ExecEnvVar> env;
    std::string install_hint;
    bool provide_cluster_info = false;
    std::string interactive_mode; // Never, IfAvailable or Always (defaulted to IfAvailable for v1beta1)
};

// One entry of `clusters`, with where each of its fields was written.
struct ClusterEntry {
    std::string name;
    std::string server;
    std::string certificate_authority;                     // a path, absolute after loading
    std::optional<std::string> certificate_authority_data; // decoded bytes
    bool insecure_skip_tls_verify = false;
    std::string tls_server_name;
    std::string proxy_url;
    bool disable_compression = false;
    nlohmann::json exec_extension; // extensions[client.authentication.k8s.io/exec], passed to plugins
    Location location;
    std::map<std::string, Location> field_locations;

    // Where a field was written, or the entry's location when the field was not.
    Location at(std::string_view field) const;
};

// A user's legacy `auth-provider` section: its name and its config map of strings.
struct AuthProviderConfig {
    std::string name;
    std::map<std::string, std::string> config;
    std::map<std::string, Location> config_locations; // where each config value was written
};

// One entry of `users` (kubectl's AuthInfo), with where each of its fields was written.
struct UserEntry {
    std::string name;
    std::string client_certificate;                     // a path, absolute after loading
    std::optional<std::string> client_certificate_data; // decoded bytes
    std::string client_key;                             // a path, absolute after loading
    std::optional<std::string> client_key_data;         // decoded bytes
    std::string token;
    std::string token_file; // a path, absolute after loading
    std::string username;
    std::string password;
    std::string impersonate; // `as`
    std::string impersonate_uid;
    std::vector<std::string> impersonate_groups;
    std::map<std::string, std::vector<std::string>> impersonate_extra;
    std::optional<AuthProviderConfig> auth_provider; // the legacy auth-provider, if one is configured
    std::optional<ExecConfig> exec;
    Location location;
    std::map<std::string, Location> field_locations;

    // Where a field was written, or the entry's location when the field was not.
    Location at(std::string_view field) const;
};

// One entry of `contexts`.
struct ContextEntry {
    std::string name;
    std::string cluster;
    std::string user;
    std::string namespace_name;
    Location location;
    std::map<std::string, Location> field_locations;

    // Where a field was written, or the entry's location when the field was not.
    Location at(std::string_view field) const;
};

// One kubeconfig file, or several merged as kubectl merges them.
struct Kubeconfig {
    std::vector<std::string> files; // the files read, in precedence order
    std::string current_context;
    Location current_context_location;
    std::map<std::string, ClusterEntry> clusters;
    std::map<std::string, UserEntry> users;
    std::map<std::string, ContextEntry> contexts;

    // The files as one string for messages: "a" or "a:b".
    std::string source() const;
};

// Limits that keep any kubeconfig, however malformed, from exhausting memory or the stack: the largest
// file read, in bytes, the deepest nesting and the most values (an alias counting as a copy).
inline constexpr std::size_t k_max_kubeconfig_bytes = 16 * 1024 * 1024;
inline constexpr std::size_t k_max_kubeconfig_depth = 64;
inline constexpr std::size_t k_max_kubeconfig_values = 200000;

// Parses the text of one kubeconfig file; relative paths in it resolve against `path`'s folder.
// Throws kq::Error (cluster) naming the file, line and entry at fault; refuses invalid UTF-8, control
// characters and files beyond the limits above.
Kubeconfig parse_kubeconfig(std::string_view text, const std::string& path);

// Reads and parses one kubeconfig file.
Kubeconfig load_kubeconfig_file(const std::string& path);

// Merges files as kubectl does: the first file to define a cluster, user or context name wins that
// whole entry, and the first file that sets current-context wins it.
Kubeconfig merge_kubeconfigs(const std::vector<Kubeconfig>& files);

// Where kubectl looks for kubeconfig files: the flag, the environment variable and the home folder.
struct KubeconfigSearch {
    std::string explicit_path;                 // --kubeconfig
    std::optional<std::string> kubeconfig_env; // $KUBECONFIG, when set
    std::string home;                          // $HOME
};

// What the search for kubeconfig files found: the merged kubeconfig, or none; when $KUBECONFIG named
// files and none of them exists, those files (kubectl then falls back to the in-cluster configuration).
struct KubeconfigLookup {
    std::optional<Kubeconfig> kubeconfig;
    std::vector<std::string> missing_env_files;
};

// Finds and loads the kubeconfig as load_kubeconfig does, but reports a KUBECONFIG whose files are all
// missing instead of throwing.
KubeconfigLookup find_kubeconfig(const KubeconfigSearch& search);

// Loads the kubeconfig kubectl would: --kubeconfig (which must exist), else every existing file of
// $KUBECONFIG merged (missing ones skipped, an error when none exists), else ~/.kube/config; nullopt
// when there is none of them, so that the caller may fall back to in-cluster configuration.
std::optional<Kubeconfig> load_kubeconfig(const KubeconfigSearch& search);

} // namespace kq::kube
