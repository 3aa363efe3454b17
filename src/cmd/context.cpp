#include "cmd/commands.hpp"
#include "cmd/support/cluster.hpp"
#include "cmd/support/project_loading.hpp"
#include "kube/client.hpp"
#include "kube/url.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <ostream>

namespace kq::cmd {
namespace {

// Every flag of `kq context`.
struct ContextOptions {
    std::string output; // -o json; empty for text
    bool check = false; // --check: ask the server who we are
};

constexpr const char* k_context_footer =
    R"(The namespace is the one kq would use: -n/--namespace, else the project file's
(when one is found), else the context's, else "default". Nothing secret is printed.

Examples:
  # Show where kq would run Jobs
  kq context

  # The same for another context, as JSON
  kq context --context staging -o json

  # Also connect, and show the server's version and who it takes us for
  kq context --check)";

// The namespace the project file sets, if one is found and loads; `kq context` works without one.
std::optional<std::string> project_namespace(const Context& context) {
    try {
        return load_project(context).namespace_name;
    } catch (const Error&) {
        return std::nullopt;
    }
}

void run_context(const ContextOptions& options, Context& context) {
    const kube::ClientConfig config = load_cluster_config(context);
    const NamespaceChoice namespace_choice = choose_namespace(
        context.global.namespace_name, std::nullopt, project_namespace(context), config.namespace_name);

    nlohmann::ordered_json shown;
    shown["context"] = config.in_cluster ? "" : config.context;
    shown["cluster"] = config.cluster;
    shown["server"] = config.server;
    shown["user"] = config.user;
    shown["namespace"] = namespace_choice.name;
    shown["namespaceSource"] = namespace_choice.source;
    shown["auth"] = kube::auth_method(config);
    shown["source"] = config.source;
    if (!config.proxy_url.empty()) {
        const std::optional<kube::Url> proxy = kube::parse_url(config.proxy_url);
        shown["proxy"] = proxy ? proxy->redacted() : config.proxy_url;
        shown["proxySource"] = config.proxy_origin;
    }
    if (!config.tls_server_name.empty()) shown["tlsServerName"] = config.tls_server_name;
    if (config.insecure_skip_tls_verify) shown["insecureSkipTLSVerify"] = true;

    if (options.check) {
        kube::Client client(config, client_options(context));
        const nlohmann::json version = client.get("/version");
        shown["serverVersion"] = version.value("gitVersion", "");
        // SelfSubjectReview (what `kubectl auth whoami` asks) names the user as the server sees it.
        try {
            const nlohmann::json review =
                client.create("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                              {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
            shown["authenticatedAs"] = review["status"]["userInfo"].value("username", "");
        } catch (const kube::ApiError& error) {
            if (error.unreachable() || error.unauthorized()) throw;
        }
        shown["http"] = client.stats().http_version == 2 ? "HTTP/2" : "HTTP/1.1";
    }

    if (options.output == "json") {
        context.out << shown.dump(4) << '\n';
        return;
    }
    const auto line = [&](const char* label, const std::string& value) {
        context.out << fmt::format("{:<18}{}\n", std::string(label) + ":", value);
    };
    line("context", config.in_cluster ? "(in-cluster)" : config.context);
    line("cluster", config.cluster);
    line("server", config.server);
    line("user", config.user.empty() ? "(none)" : config.user);
    line("namespace", namespace_choice.source == "default" || namespace_choice.source == "context"
                          ? namespace_choice.name
                          : fmt::format("{} (from the {})", namespace_choice.name,
                                        namespace_choice.source == "flag" ? "flag" : "project file"));
    line("auth", shown["auth"].get<std::string>());
    if (shown.contains("proxy")) {
        line("proxy", fmt::format("{} ({})", shown["proxy"].get<std::string>(), config.proxy_origin));
    }
    if (!config.tls_server_name.empty()) line("tls-server-name", config.tls_server_name);
    if (config.insecure_skip_tls_verify) line("tls", "not verified (insecure-skip-tls-verify)");
    line("kubeconfig", config.source);
    if (options.check) {
        line("server version", shown["serverVersion"].get<std::string>());
        if (shown.contains("authenticatedAs"))
            line("authenticated as", shown["authenticatedAs"].get<std::string>());
        line("protocol", shown["http"].get<std::string>());
    }
}

} // namespace

void setup_context(CLI::App& command, Context& context) {
    auto options = std::make_shared<ContextOptions>();
    command.footer(k_context_footer);
    command.add_option("-o,--output", options->output, "Output format: json (default: text)")
        ->check(CLI::IsMember({"json"}));
    command.add_flag("--check", options->check,
                     "Connect, and show the server's version and the user it sees");
    command.callback([options, &context] { run_context(*options, context); });
}

} // namespace kq::cmd
