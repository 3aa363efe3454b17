#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace kq::cmd {

// The name under which kq is a kubectl plugin: `kubectl kq ...` runs it.
inline constexpr const char* k_kubectl_plugin = "kubectl-kq";
// The name under which kubectl asks kq for completions of `kubectl kq ...` (cobra's __complete format).
inline constexpr const char* k_kubectl_completer = "kubectl_complete-kq";

// Parses the command line, runs the chosen command and returns the process exit status. `program` is
// what help and usage messages call kq: "kq", or "kubectl kq" as a plugin; k_kubectl_completer answers a
// completion request of kubectl's.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool out_is_terminal = false, bool err_is_terminal = false, const std::string& program = "kq");

// The process entry point: run() on argv, stdout and stderr.
int main(int argc, char** argv);

} // namespace kq::cmd
