#include "cmd/support/cluster.hpp"

#include "util/duration.hpp"
#include "util/error.hpp"

#include <unistd.h>

#include <ostream>

namespace kq::cmd {

kube::ClientConfig load_cluster_config(const Context& context) {
    return kube::load_client_config(
        kube::ConfigSelection::from_process(context.global.kubeconfig, context.global.context));
}

std::chrono::milliseconds parse_request_timeout(const std::string& text) {
    if (text.empty()) return std::chrono::milliseconds(0);
    const std::optional<std::chrono::milliseconds> timeout = parse_duration(text);
    if (!timeout) {
        fail(ErrorKind::usage, "--request-timeout: \"{}\" is not a duration (e.g. 30s, 2m, or 0 for none)",
             text);
    }
    return *timeout;
}

kube::ClientOptions client_options(Context& context) {
    kube::ClientOptions options;
    options.request_timeout = parse_request_timeout(context.global.request_timeout);
    options.verbosity = context.global.verbosity;
    std::ostream& err = context.err;
    options.log = [&err](const std::string& line) { err << line << '\n' << std::flush; };
    options.warn = [&err](const std::string& line) { err << "kq: warning: " << line << '\n' << std::flush; };
    options.stdin_is_terminal = isatty(STDIN_FILENO) == 1;
    return options;
}

std::unique_ptr<kube::Client> connect(Context& context) {
    // Flags are checked before the kubeconfig is read, so a bad flag is reported as such.
    kube::ClientOptions options = client_options(context);
    return std::make_unique<kube::Client>(load_cluster_config(context), std::move(options));
}

NamespaceChoice choose_namespace(const std::string& flag, const std::optional<std::string>& job,
                                 const std::optional<std::string>& project, const std::string& context) {
    if (!flag.empty()) {
        // The same rule as for a context's namespace: refuse what would change the API path, and let the
        // server answer for the rest, as kubectl does.
        if (const std::string problem = kube::namespace_problem(flag); !problem.empty())
            fail(ErrorKind::usage, "-n/--namespace: namespace \"{}\" can't be used: {}", flag, problem);
        return {flag, "flag"};
    }
    if (job && !job->empty()) return {*job, "job"};
    if (project && !project->empty()) return {*project, "project"};
    if (!context.empty()) return {context, "context"};
    return {"default", "default"};
}

} // namespace kq::cmd
