#pragma once

#include "cmd/support/context.hpp"
#include "kube/client.hpp"
#include "kube/client_config.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace kq::cmd {

// The cluster configuration that --kubeconfig, --context and the environment select.
kube::ClientConfig load_cluster_config(const Context& context);

// Client options from the global flags: --request-timeout, -v (lines on stderr), warnings on stderr.
kube::ClientOptions client_options(Context& context);

// A client for the selected cluster, made from the global flags.
std::unique_ptr<kube::Client> connect(Context& context);

// Parses --request-timeout ("30s", "1m", "0" for none); throws a usage Error naming the flag.
std::chrono::milliseconds parse_request_timeout(const std::string& text);

// The namespace a command uses, and what decided it.
struct NamespaceChoice {
    std::string name;
    std::string source; // "flag", "job", "project", "context" or "default"
};

// Picks the namespace in kq's order: -n/--namespace, the job's, the project file's, the context's,
// then "default".
NamespaceChoice choose_namespace(const std::string& flag, const std::optional<std::string>& job,
                                 const std::optional<std::string>& project, const std::string& context);

} // namespace kq::cmd
