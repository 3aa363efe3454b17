#pragma once

#include "cmd/support/context.hpp"
#include "jobs/await.hpp"
#include "kube/client.hpp"
#include "kube/job_logs.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kq::cmd {

// Waits as jobs::await_jobs does, printing as kq does while it waits: the logs on stdout, notes and (on a
// terminal, without logs) a status line on stderr, and with `print_results` each Job's
// `job.batch/x complete|failed` on stdout (kq wait); with a `source`, also the Jobs it makes meanwhile.
jobs::AwaitOutcome await_printing(kube::Client& client, const std::string& namespace_name,
                                  std::vector<nlohmann::json> jobs, const jobs::AwaitOptions& options,
                                  Context& context, bool print_results = false,
                                  jobs::JobSource* source = nullptr);

// Parses a --timeout or similar duration flag ("30s", "5m", "1h30m"); empty means none. Throws a
// usage Error naming the flag.
std::optional<std::chrono::milliseconds> parse_duration_flag(const std::string& flag,
                                                             const std::string& text);

// Compiles the patterns of --include or --exclude; throws a usage Error naming the flag and the pattern
// that does not compile.
std::vector<Pattern> log_patterns(const std::vector<std::string>& sources, const char* flag);

// Registers --include and --exclude (repeatable) on a command that prints logs.
void add_log_filter_flags(CLI::App& command, std::vector<std::string>& include,
                          std::vector<std::string>& exclude);

// Whether a log line prefix was asked for: --prefix, --no-prefix, or neither.
kube::LogPrefix prefix_choice(bool prefix, bool no_prefix);

} // namespace kq::cmd
