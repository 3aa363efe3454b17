#pragma once

#include "cmd/support/context.hpp"
#include "kube/client.hpp"
#include "kube/job_queries.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace kq::cmd {

// Reads a --status value (active, succeeded, failed or finished; empty for no filter); throws a usage
// Error naming `flag` for anything else.
std::optional<kube::JobStateFilter> parse_state_filter(const std::string& text, const char* flag);

// Reads an --older-than duration: Go's ("90m", "36h"), optionally after whole days ("7d", "1d12h");
// nullopt for empty; throws a usage Error naming `flag` for text that is not one.
std::optional<std::chrono::seconds> parse_age_filter(const std::string& text, const char* flag);

// Checks that a DEF argument can be a definition name (a label value), so it cannot widen a selector.
void check_definition_name(const std::string& definition);

// The namespace of a command about Jobs: -n, else the definition's or project file's (read only when -n
// is not given, so a broken project file does not stop `-n NS`), else the context's, else "default".
std::string command_namespace(Context& context, kube::Client& client, const std::string& definition = "");

// Items asked for per page when listing Jobs: 500, or $KQ_LIST_PAGE_SIZE (a test hook, so that tests
// exercise several pages without creating thousands of Jobs).
std::size_t list_page_size();

// kubectl's words for an empty result: "No resources found in NS namespace." or, across all
// namespaces (an empty name), "No resources found".
std::string no_resources_message(const std::string& namespace_name);

// How `kq delete` was told which Jobs to delete.
struct DeleteSelection {
    std::vector<std::string> names; // NAME...: any Jobs, by name
    std::string definition;         // --job DEF: the definition's newest Job
    std::string selector;           // -l/--selector: kq's Jobs matching it
    std::string status;             // --status: narrows the bulk forms
    std::string older_than;         // --older-than: narrows the bulk forms
    bool all = false;               // --all: every Job kq made in the namespace
};

// Checks that names are used alone, that at most one of --job, -l and --all is, and that something
// was chosen at all; throws a usage Error naming the flags.
void check_delete_selection(const DeleteSelection& selection);

} // namespace kq::cmd
