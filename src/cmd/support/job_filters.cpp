#include "cmd/support/job_filters.hpp"

#include "cmd/support/targets.hpp"
#include "project/names.hpp"
#include "util/duration.hpp"
#include "util/error.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace kq::cmd {

std::optional<kube::JobStateFilter> parse_state_filter(const std::string& text, const char* flag) {
    if (text.empty()) return std::nullopt;
    if (text == "active") return kube::JobStateFilter::active;
    if (text == "succeeded") return kube::JobStateFilter::succeeded;
    if (text == "failed") return kube::JobStateFilter::failed;
    if (text == "finished") return kube::JobStateFilter::finished;
    fail(ErrorKind::usage, "{}: \"{}\" is not a state; use active, succeeded, failed or finished", flag,
         text);
}

std::optional<std::chrono::seconds> parse_age_filter(const std::string& text, const char* flag) {
    if (text.empty()) return std::nullopt;
    // Ages of Jobs worth cleaning up run to days, which Go's durations lack: a leading whole number of
    // days is read here, the rest (if any) as a Go duration.
    std::chrono::seconds days{0};
    std::string_view rest = text;
    const std::size_t unit = rest.find('d');
    const bool has_days = unit != std::string_view::npos && unit > 0 && unit <= 6 &&
                          rest.substr(0, unit).find_first_not_of("0123456789") == std::string_view::npos;
    if (has_days) {
        days = std::chrono::hours(24) * std::stoll(std::string(rest.substr(0, unit)));
        rest.remove_prefix(unit + 1);
    }
    const std::optional<std::chrono::milliseconds> age =
        has_days && rest.empty() ? std::chrono::milliseconds(0) : parse_duration(rest);
    if (!age) {
        fail(ErrorKind::usage, "{}: \"{}\" is not a duration (e.g. 90m, 36h, 7d)", flag, text);
    }
    return days + std::chrono::duration_cast<std::chrono::seconds>(*age);
}

void check_definition_name(const std::string& definition) {
    if (definition.empty()) return;
    if (const auto problem = project::check_label_value(definition)) {
        fail(ErrorKind::usage, "invalid definition name \"{}\": {}", definition, *problem);
    }
}

std::string command_namespace(Context& context, kube::Client& client, const std::string& definition) {
    if (!context.global.namespace_name.empty()) return context.global.namespace_name;
    return jobs_namespace(context, client.config(), load_project_if_any(context), definition);
}

std::size_t list_page_size() {
    const char* text = std::getenv("KQ_LIST_PAGE_SIZE");
    if (text == nullptr || *text == '\0') return 500;
    const long value = std::strtol(text, nullptr, 10);
    return value > 0 ? static_cast<std::size_t>(value) : 500;
}

std::string no_resources_message(const std::string& namespace_name) {
    if (namespace_name.empty()) return "No resources found";
    return fmt::format("No resources found in {} namespace.", namespace_name);
}

void check_delete_selection(const DeleteSelection& selection) {
    std::vector<std::string> bulk;
    if (!selection.definition.empty()) bulk.push_back("--job");
    if (!selection.selector.empty()) bulk.push_back("-l/--selector");
    if (selection.all) bulk.push_back("--all");
    std::vector<std::string> filters;
    if (!selection.status.empty()) filters.push_back("--status");
    if (!selection.older_than.empty()) filters.push_back("--older-than");
    if (!selection.names.empty()) {
        if (!bulk.empty() || !filters.empty()) {
            fail(ErrorKind::usage, "delete: Job names cannot be combined with {}; use one or the other",
                 bulk.empty() ? filters.front() : bulk.front());
        }
        return;
    }
    if (bulk.size() > 1) fail(ErrorKind::usage, "delete: use only one of {} and {}", bulk[0], bulk[1]);
    if (bulk.empty() && filters.empty()) {
        fail(ErrorKind::usage, "delete: name a Job, or use --job, -l, --status, --older-than or --all");
    }
}

} // namespace kq::cmd
