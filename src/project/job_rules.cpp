#include "project/job_rules.hpp"

#include "project/schema.hpp"
#include "project/templating.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace kq::project {
namespace {

constexpr std::int64_t k_max_failed_indexes_limit = 100000;

// The job's value of a Job spec key: jobSpec's when it sets one (it is merged over the rendered spec).
const SourceNode* spec_value(const SourceNode& job, std::string_view key) {
    if (const SourceNode* job_spec = job.find("jobSpec");
        job_spec != nullptr && job_spec->kind == NodeKind::map) {
        if (const SourceNode* value = job_spec->find(key)) return value;
    }
    return job.find(key);
}

// A scalar's text, or nullopt for templates and non-scalars (left to the API server).
std::optional<std::string> plain_text(const SourceNode* node) {
    if (node == nullptr || node->kind != NodeKind::scalar || is_template(node->text)) return std::nullopt;
    return node->text;
}

// A whole number written plainly, or nullopt.
std::optional<std::int64_t> plain_number(const SourceNode* node) {
    const std::optional<std::string> text = plain_text(node);
    if (!text || text->empty() || text->size() > 12) return std::nullopt;
    std::size_t start = (*text)[0] == '+' ? 1 : 0;
    if (start == text->size()) return std::nullopt;
    std::int64_t number = 0;
    for (std::size_t i = start; i < text->size(); ++i) {
        const char c = (*text)[i];
        if (c < '0' || c > '9') return std::nullopt;
        number = number * 10 + (c - '0');
    }
    return number;
}

// The first problem of a succeededIndexes list ("0,2-4") against completions, or an empty string; sets
// indexes to how many indexes it names.
std::string succeeded_indexes_problem(std::string_view text, std::int64_t completions,
                                      std::int64_t& indexes) {
    indexes = 0;
    std::int64_t last = -1;
    std::vector<std::string> parts(1);
    for (const char c : text) {
        if (c == ',') {
            parts.emplace_back();
        } else {
            parts.back() += c;
        }
    }
    for (const std::string& part : parts) {
        const std::size_t dash = part.find('-');
        const std::string first_text = part.substr(0, dash);
        const std::string last_text = dash == std::string::npos ? first_text : part.substr(dash + 1);
        auto parse = [](const std::string& digits) -> std::optional<std::int64_t> {
            if (digits.empty() || digits.size() > 9) return std::nullopt;
            std::int64_t number = 0;
            for (const char c : digits) {
                if (c < '0' || c > '9') return std::nullopt;
                number = number * 10 + (c - '0');
            }
            return number;
        };
        const auto from = parse(first_text);
        const auto to = parse(last_text);
        if (!from || !to) {
            return fmt::format("{} is not an index or a range of indexes such as \"2-4\"", quote(part));
        }
        if (*to < *from) return fmt::format("the range {} ends before it starts", quote(part));
        if (*from <= last) return "list indexes in increasing order, without overlaps";
        if (*to >= completions) {
            return fmt::format("index {} is not below completions ({})", *to, completions);
        }
        indexes += *to - *from + 1;
        last = *to;
    }
    return {};
}

// The names of the main container, then of initContainers and sidecars, as written.
std::vector<std::string> container_names(const SourceNode& job, std::string_view job_name) {
    std::vector<std::string> names;
    const std::optional<std::string> container = plain_text(job.find("containerName"));
    names.push_back(container ? *container : std::string(job_name));
    for (const char* key : {"initContainers", "sidecars"}) {
        const SourceNode* list = job.find(key);
        if (list == nullptr) continue;
        for (const SourceNode& item : list->items) {
            if (const std::optional<std::string> name = plain_text(item.find("name"))) names.push_back(*name);
        }
    }
    return names;
}

// Reports a container name used twice among the main container, initContainers and sidecars.
void check_container_names(const SourceNode& job, std::string_view job_name, std::string_view owner,
                           Diagnostics& diagnostics) {
    const std::optional<std::string> main_name = plain_text(job.find("containerName"));
    if (job.find("containerName") != nullptr && !main_name) return;
    std::vector<std::string> seen = {main_name ? *main_name : std::string(job_name)};
    for (const char* key : {"initContainers", "sidecars"}) {
        const SourceNode* list = job.find(key);
        if (list == nullptr) continue;
        for (std::size_t i = 0; i < list->items.size(); ++i) {
            const SourceNode* name = list->items[i].find("name");
            const std::optional<std::string> text = plain_text(name);
            if (!text) continue;
            if (std::find(seen.begin(), seen.end(), *text) != seen.end()) {
                diagnostics.add(
                    name->location,
                    fmt::format("invalid {}[{}].name {} in {}: another container of the job has "
                                "that name{}",
                                key, i, quote(*text), owner,
                                *text == seen.front() ? " (the main container's; see containerName)" : ""));
                continue;
            }
            seen.push_back(*text);
        }
    }
}

} // namespace

void check_job_rules(const SourceNode& job, std::string_view job_name, std::string_view owner,
                     Diagnostics& diagnostics) {
    const SourceNode* job_spec = job.find("jobSpec");
    if (job_spec != nullptr && job_spec->kind == NodeKind::map) {
        for (const SourceEntry& entry : job_spec->entries) {
            if (entry.key == "template") {
                diagnostics.add(entry.key_location,
                                fmt::format("jobSpec.template in {} would replace kq's pod template; set its "
                                            "fields with podTemplate",
                                            owner));
            } else if (entry.key == "selector" || entry.key == "manualSelector") {
                diagnostics.add(entry.key_location,
                                fmt::format("jobSpec.{} in {} is not kq's to set: the API server makes the "
                                            "selector",
                                            entry.key, owner));
            }
        }
    }

    check_container_names(job, job_name, owner, diagnostics);

    const SourceNode* mode = spec_value(job, "completionMode");
    const bool indexed = plain_text(mode) == "Indexed";
    const bool mode_known = mode == nullptr || plain_text(mode).has_value();
    const SourceNode* completions_node = spec_value(job, "completions");
    const std::optional<std::int64_t> completions = plain_number(completions_node);
    const SourceNode* per_index = spec_value(job, "backoffLimitPerIndex");
    const SourceNode* max_failed = spec_value(job, "maxFailedIndexes");
    const SourceNode* failure_policy = spec_value(job, "podFailurePolicy");
    const SourceNode* success_policy = spec_value(job, "successPolicy");
    const SourceNode* replacement = spec_value(job, "podReplacementPolicy");

    if (indexed && completions_node == nullptr) {
        diagnostics.add(mode->location,
                        fmt::format("completionMode \"Indexed\" in {} needs completions", owner));
    }
    const auto needs_indexed = [&](const SourceNode* node, std::string_view key) {
        if (node == nullptr || indexed || !mode_known) return;
        diagnostics.add(node->location, fmt::format("{} in {} needs completionMode: Indexed", key, owner));
    };
    needs_indexed(per_index, "backoffLimitPerIndex");
    needs_indexed(success_policy, "successPolicy");
    if (max_failed != nullptr) {
        const std::optional<std::int64_t> limit = plain_number(max_failed);
        if (per_index == nullptr) {
            diagnostics.add(max_failed->location,
                            fmt::format("maxFailedIndexes in {} needs backoffLimitPerIndex", owner));
        } else if (!indexed && mode_known) {
            diagnostics.add(max_failed->location,
                            fmt::format("maxFailedIndexes in {} needs completionMode: Indexed", owner));
        } else if (limit && completions && *limit > *completions) {
            diagnostics.add(max_failed->location,
                            fmt::format("invalid maxFailedIndexes {} in {}: must be at most completions ({})",
                                        quote(max_failed->text), owner, *completions));
        } else if (limit && *limit > k_max_failed_indexes_limit) {
            diagnostics.add(max_failed->location,
                            fmt::format("invalid maxFailedIndexes {} in {}: must be at "
                                        "most {}",
                                        quote(max_failed->text), owner, k_max_failed_indexes_limit));
        }
    }

    if (failure_policy != nullptr && failure_policy->kind == NodeKind::map) {
        // podTemplate's restartPolicy is merged over the rendered one, which is Never unless set.
        const SourceNode* restart = job.find("restartPolicy");
        if (const SourceNode* pod_template = job.find("podTemplate")) {
            const SourceNode* pod_spec = pod_template->find("spec");
            if (pod_spec != nullptr && pod_spec->find("restartPolicy") != nullptr) {
                restart = pod_spec->find("restartPolicy");
            }
        }
        const std::optional<std::string> restart_policy = plain_text(restart);
        if (restart_policy && *restart_policy != "Never") {
            diagnostics.add(
                restart->location,
                fmt::format("invalid restartPolicy {} in {}: must be \"Never\" with podFailurePolicy",
                            quote(*restart_policy), owner));
        }
        const std::optional<std::string> replacement_policy = plain_text(replacement);
        if (replacement_policy && *replacement_policy != "Failed") {
            diagnostics.add(replacement->location,
                            fmt::format("invalid podReplacementPolicy {} in {}: must be \"Failed\" with "
                                        "podFailurePolicy",
                                        quote(*replacement_policy), owner));
        }
        // The container names a rule may name: kq's one container, unless podTemplate sets its own.
        const SourceNode* pod_template = job.find("podTemplate");
        const SourceNode* template_spec = pod_template != nullptr ? pod_template->find("spec") : nullptr;
        const bool own_containers =
            template_spec != nullptr && (template_spec->find("containers") != nullptr ||
                                         template_spec->find("initContainers") != nullptr);
        const std::optional<std::string> container = plain_text(job.find("containerName"));
        const std::vector<std::string> names = container_names(job, job_name);
        const SourceNode* rules = failure_policy->find("rules");
        for (std::size_t i = 0; rules != nullptr && i < rules->items.size(); ++i) {
            const SourceNode& rule = rules->items[i];
            const std::optional<std::string> action = plain_text(rule.find("action"));
            if (action == "FailIndex" && per_index == nullptr) {
                diagnostics.add(rule.find("action")->location,
                                fmt::format("podFailurePolicy.rules[{}].action \"FailIndex\" in {} needs "
                                            "backoffLimitPerIndex",
                                            i, owner));
            }
            const SourceNode* exit_codes = rule.find("onExitCodes");
            const SourceNode* name = exit_codes != nullptr ? exit_codes->find("containerName") : nullptr;
            const std::optional<std::string> named = plain_text(name);
            if (!named || own_containers || (job.find("containerName") != nullptr && !container)) continue;
            bool known = false;
            for (const std::string& candidate : names)
                known = known || candidate == *named;
            if (!known) {
                diagnostics.add(
                    name->location,
                    fmt::format("invalid podFailurePolicy.rules[{}].onExitCodes.containerName {} in "
                                "{}: no container has that name; the job's containers: {}",
                                i, quote(*named), owner, join(names, ", ")));
            }
        }
    }

    if (success_policy != nullptr && success_policy->kind == NodeKind::map && indexed && completions) {
        const SourceNode* rules = success_policy->find("rules");
        for (std::size_t i = 0; rules != nullptr && i < rules->items.size(); ++i) {
            const SourceNode& rule = rules->items[i];
            const std::string rule_path = fmt::format("successPolicy.rules[{}]", i);
            std::optional<std::int64_t> named_indexes;
            const SourceNode* indexes = rule.find("succeededIndexes");
            if (const std::optional<std::string> text = plain_text(indexes)) {
                std::int64_t count = 0;
                const std::string problem = succeeded_indexes_problem(*text, *completions, count);
                if (!problem.empty()) {
                    diagnostics.add(indexes->location, fmt::format("invalid {}.succeededIndexes {} in {}: {}",
                                                                   rule_path, quote(*text), owner, problem));
                    continue;
                }
                named_indexes = count;
            }
            const SourceNode* succeeded = rule.find("succeededCount");
            const std::optional<std::int64_t> count = plain_number(succeeded);
            if (!count) continue;
            if (*count > *completions) {
                diagnostics.add(
                    succeeded->location,
                    fmt::format("invalid {}.succeededCount {} in {}: must be at most completions ({})",
                                rule_path, quote(succeeded->text), owner, *completions));
            } else if (named_indexes && *count > *named_indexes) {
                diagnostics.add(
                    succeeded->location,
                    fmt::format("invalid {}.succeededCount {} in {}: must be at most the {} indexes "
                                "succeededIndexes names",
                                rule_path, quote(succeeded->text), owner, *named_indexes));
            }
        }
    }
}

} // namespace kq::project
