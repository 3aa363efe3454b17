// The Job-level policy keys (podFailurePolicy, successPolicy, managedBy), each checked alone as the API
// server's validation checks it (kubernetes pkg/apis/batch/validation); job_rules.cpp checks them
// against the job's other keys.

#include "project/fields.hpp"
#include "project/names.hpp"
#include "project/schema.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <array>
#include <set>

namespace kq::project {
namespace {

constexpr std::size_t k_max_pod_failure_rules = 20;
constexpr std::size_t k_max_exit_code_values = 255;
constexpr std::size_t k_max_pod_condition_patterns = 20;
constexpr std::size_t k_max_success_rules = 20;
constexpr std::size_t k_max_managed_by_length = 63;

constexpr std::array<std::string_view, 4> k_pod_failure_actions = {"FailJob", "FailIndex", "Ignore", "Count"};
constexpr std::array<std::string_view, 2> k_exit_code_operators = {"In", "NotIn"};
constexpr std::array<std::string_view, 3> k_condition_statuses = {"True", "False", "Unknown"};

std::string policy_path(std::string_view path, std::string_view key) {
    return fmt::format("{}.{}", path, key);
}

std::string policy_choices_text(std::span<const std::string_view> choices) {
    std::string result;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) result += i + 1 == choices.size() ? " or " : ", ";
        result += quote(choices[i]);
    }
    return result;
}

// The characters Kubernetes allows in the path of a domain-prefixed path.
bool is_path_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("/-._~%!$&'()*+,;=:").find(c) != std::string_view::npos;
}

} // namespace

std::optional<std::string> FieldConverter::choice(const SourceNode& value, std::string_view path,
                                                  std::span<const std::string_view> choices) {
    auto text = string_value(value, path);
    if (!text) return std::nullopt;
    if (text->deferred) return text->value;
    for (const std::string_view known : choices) {
        if (known == text->value) return text->value;
    }
    std::string reason = fmt::format("use {}", policy_choices_text(choices));
    if (auto suggestion = closest_match(text->value, choices)) {
        reason = fmt::format("did you mean {}? {}", quote(*suggestion), reason);
    }
    invalid(value, path, text->value, reason);
    return std::nullopt;
}

std::optional<nlohmann::json> FieldConverter::domain_path(const SourceNode& value, std::string_view path) {
    auto text = string_value(value, path);
    if (!text) return std::nullopt;
    if (text->deferred) return nlohmann::json(text->value);
    const std::string& shown = text->value;
    if (shown.size() > k_max_managed_by_length) {
        invalid(value, path, shown,
                fmt::format("must be at most {} characters, not {}", k_max_managed_by_length, shown.size()));
        return std::nullopt;
    }
    const std::size_t slash = shown.find('/');
    bool ok = slash != std::string::npos && slash + 1 < shown.size() &&
              !check_dns_subdomain(std::string_view(shown).substr(0, slash));
    for (std::size_t i = slash == std::string::npos ? shown.size() : slash + 1; i < shown.size(); ++i)
        ok = ok && is_path_character(shown[i]);
    if (!ok) {
        invalid(value, path, shown, "must be a domain-prefixed path such as \"example.com/my-controller\"");
        return std::nullopt;
    }
    return nlohmann::json(shown);
}

std::optional<nlohmann::json> FieldConverter::containers(const SourceNode& value, std::string_view path) {
    if (!expect(value, NodeKind::sequence, path, "a list of containers such as {name: N, image: I}")) {
        return std::nullopt;
    }
    nlohmann::json result = nlohmann::json::array();
    bool ok = true;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
        const SourceNode& item = value.items[i];
        const std::string item_path = fmt::format("{}[{}]", path, i);
        if (!expect(item, NodeKind::map, item_path, "a map with name, image and the container's keys")) {
            ok = false;
            continue;
        }
        check_keys(item, k_container_keys, item_path);
        // Each container's keys are the job's own, so their messages name the container as the owner.
        FieldConverter inner(m_mode, fmt::format("{} of {}", item_path, m_owner), m_values, m_diagnostics);
        nlohmann::json container = nlohmann::json::object();
        const SourceNode* name = item.find("name");
        if (name == nullptr) {
            m_diagnostics.add(item.location, fmt::format("{} in {} needs \"name\"", item_path, m_owner));
            ok = false;
        } else if (auto text = string_value(*name, policy_path(item_path, "name"))) {
            if (auto problem = text->deferred ? std::nullopt : check_dns_label(text->value)) {
                invalid(*name, policy_path(item_path, "name"), text->value, *problem);
                ok = false;
            }
            container["name"] = text->value;
        } else {
            ok = false;
        }
        for (const SourceEntry& entry : item.entries) {
            if (entry.key == "name") continue;
            const FieldSpec* field = find_job_field(entry.key);
            bool known = false;
            for (const std::string_view key : k_container_keys)
                known = known || key == entry.key;
            if (field == nullptr || !known) {
                ok = false;
                continue;
            }
            auto converted = inner.convert(*field, entry.value);
            if (!converted) {
                ok = false;
                continue;
            }
            container[std::string(field->manifest_key)] = std::move(*converted);
        }
        result.push_back(std::move(container));
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<nlohmann::json> FieldConverter::on_exit_codes(const SourceNode& value, std::string_view path) {
    if (!expect(value, NodeKind::map, path, "a map with operator and values")) return std::nullopt;
    check_keys(value, k_on_exit_codes_keys, path);
    nlohmann::json result = nlohmann::json::object();
    bool ok = true;
    for (const std::string_view required : std::span(k_on_exit_codes_keys).first(2)) {
        if (value.find(required) == nullptr) {
            m_diagnostics.add(value.location,
                              fmt::format("{} in {} needs {}", path, m_owner, quote(required)));
            ok = false;
        }
    }
    std::string operator_name;
    if (const SourceNode* op = value.find("operator")) {
        auto chosen = choice(*op, policy_path(path, "operator"), k_exit_code_operators);
        if (chosen) {
            operator_name = *chosen;
            result["operator"] = *chosen;
        } else {
            ok = false;
        }
    }
    if (const SourceNode* name = value.find("containerName")) {
        const std::string name_path = policy_path(path, "containerName");
        auto text = string_value(*name, name_path);
        if (!text) {
            ok = false;
        } else if (auto problem = text->deferred ? std::nullopt : check_dns_label(text->value)) {
            invalid(*name, name_path, text->value, *problem);
            ok = false;
        } else {
            result["containerName"] = text->value;
        }
    }
    if (const SourceNode* values = value.find("values")) {
        const std::string values_path = policy_path(path, "values");
        if (!expect(*values, NodeKind::sequence, values_path, "a list of exit codes")) return std::nullopt;
        if (values->items.empty() || values->items.size() > k_max_exit_code_values) {
            m_diagnostics.add(values->location,
                              fmt::format("{} in {} must list 1 to {} exit codes, not {}", values_path,
                                          m_owner, k_max_exit_code_values, values->items.size()));
            return std::nullopt;
        }
        nlohmann::json codes = nlohmann::json::array();
        std::set<std::int64_t> seen;
        std::int64_t previous = -1;
        bool ordered = true;
        for (std::size_t i = 0; i < values->items.size(); ++i) {
            const SourceNode& item = values->items[i];
            const std::string item_path = fmt::format("{}[{}]", values_path, i);
            const bool deferred = item.kind == NodeKind::scalar && is_template(item.text);
            auto code = count(item, item_path);
            if (!code) {
                ok = false;
                continue;
            }
            codes.push_back(*code);
            if (deferred) continue;
            const std::int64_t number = code->get<std::int64_t>();
            if (operator_name == "In" && number == 0) {
                invalid(item, item_path, item.text, "must not be 0 for the In operator");
                ok = false;
            } else if (!seen.insert(number).second) {
                invalid(item, item_path, item.text, "is listed twice");
                ok = false;
            } else if (number < previous && ordered) {
                invalid(item, item_path, item.text,
                        "must not be less than the code before it: list exit codes in increasing order");
                ok = false;
                ordered = false;
            }
            previous = number;
        }
        result["values"] = std::move(codes);
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<nlohmann::json> FieldConverter::on_pod_conditions(const SourceNode& value,
                                                                std::string_view path) {
    if (!expect(value, NodeKind::sequence, path, "a list of {type, status}")) return std::nullopt;
    if (value.items.empty() || value.items.size() > k_max_pod_condition_patterns) {
        m_diagnostics.add(value.location,
                          fmt::format("{} in {} must list 1 to {} conditions, not {}", path, m_owner,
                                      k_max_pod_condition_patterns, value.items.size()));
        return std::nullopt;
    }
    nlohmann::json result = nlohmann::json::array();
    bool ok = true;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
        const SourceNode& item = value.items[i];
        const std::string item_path = fmt::format("{}[{}]", path, i);
        if (!expect(item, NodeKind::map, item_path, "a map with type and status")) {
            ok = false;
            continue;
        }
        check_keys(item, k_on_pod_condition_keys, item_path);
        nlohmann::json pattern = nlohmann::json::object();
        const SourceNode* type = item.find("type");
        if (type == nullptr) {
            m_diagnostics.add(item.location, fmt::format("{} in {} needs \"type\"", item_path, m_owner));
            ok = false;
        } else if (auto text = string_value(*type, policy_path(item_path, "type"))) {
            if (auto problem = text->deferred ? std::nullopt : check_qualified_name(text->value)) {
                invalid(*type, policy_path(item_path, "type"), text->value, *problem);
                ok = false;
            }
            pattern["type"] = text->value;
        } else {
            ok = false;
        }
        // The API server defaults status to True.
        if (const SourceNode* status = item.find("status")) {
            auto chosen = choice(*status, policy_path(item_path, "status"), k_condition_statuses);
            if (!chosen) {
                ok = false;
            } else {
                pattern["status"] = *chosen;
            }
        }
        result.push_back(std::move(pattern));
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<nlohmann::json> FieldConverter::pod_failure_policy(const SourceNode& value) {
    const std::string_view path = "podFailurePolicy";
    if (!expect(value, NodeKind::map, path, "a map with rules")) return std::nullopt;
    check_keys(value, k_pod_failure_policy_keys, path);
    const SourceNode* rules = value.find("rules");
    if (rules == nullptr) {
        m_diagnostics.add(value.location, fmt::format("{} in {} needs \"rules\"", path, m_owner));
        return std::nullopt;
    }
    const std::string rules_path = policy_path(path, "rules");
    if (!expect(*rules, NodeKind::sequence, rules_path, "a list")) return std::nullopt;
    if (rules->items.size() > k_max_pod_failure_rules) {
        m_diagnostics.add(rules->location,
                          fmt::format("{} in {} may hold at most {} rules, not {}", rules_path, m_owner,
                                      k_max_pod_failure_rules, rules->items.size()));
        return std::nullopt;
    }
    nlohmann::json converted = nlohmann::json::array();
    bool ok = true;
    for (std::size_t i = 0; i < rules->items.size(); ++i) {
        const SourceNode& rule = rules->items[i];
        const std::string rule_path = fmt::format("{}[{}]", rules_path, i);
        if (!expect(rule, NodeKind::map, rule_path, "a map with action and onExitCodes or onPodConditions")) {
            ok = false;
            continue;
        }
        check_keys(rule, k_pod_failure_rule_keys, rule_path);
        nlohmann::json result = nlohmann::json::object();
        if (const SourceNode* action = rule.find("action")) {
            if (auto chosen = choice(*action, policy_path(rule_path, "action"), k_pod_failure_actions)) {
                result["action"] = *chosen;
            } else {
                ok = false;
            }
        } else {
            m_diagnostics.add(rule.location, fmt::format("{} in {} needs \"action\": {}", rule_path, m_owner,
                                                         policy_choices_text(k_pod_failure_actions)));
            ok = false;
        }
        const SourceNode* exit_codes = rule.find("onExitCodes");
        const SourceNode* conditions = rule.find("onPodConditions");
        if ((exit_codes == nullptr) == (conditions == nullptr)) {
            m_diagnostics.add(rule.location, fmt::format("{} in {} must set one of onExitCodes and "
                                                         "onPodConditions",
                                                         rule_path, m_owner));
            ok = false;
            continue;
        }
        if (exit_codes != nullptr) {
            auto codes = on_exit_codes(*exit_codes, policy_path(rule_path, "onExitCodes"));
            if (!codes) {
                ok = false;
                continue;
            }
            result["onExitCodes"] = std::move(*codes);
        } else {
            auto patterns = on_pod_conditions(*conditions, policy_path(rule_path, "onPodConditions"));
            if (!patterns) {
                ok = false;
                continue;
            }
            result["onPodConditions"] = std::move(*patterns);
        }
        converted.push_back(std::move(result));
    }
    if (!ok) return std::nullopt;
    return nlohmann::json{{"rules", std::move(converted)}};
}

std::optional<nlohmann::json> FieldConverter::success_policy(const SourceNode& value) {
    const std::string_view path = "successPolicy";
    if (!expect(value, NodeKind::map, path, "a map with rules")) return std::nullopt;
    check_keys(value, k_success_policy_keys, path);
    const SourceNode* rules = value.find("rules");
    if (rules == nullptr) {
        m_diagnostics.add(value.location, fmt::format("{} in {} needs \"rules\"", path, m_owner));
        return std::nullopt;
    }
    const std::string rules_path = policy_path(path, "rules");
    if (!expect(*rules, NodeKind::sequence, rules_path, "a list")) return std::nullopt;
    if (rules->items.empty() || rules->items.size() > k_max_success_rules) {
        m_diagnostics.add(rules->location, fmt::format("{} in {} must hold 1 to {} rules, not {}", rules_path,
                                                       m_owner, k_max_success_rules, rules->items.size()));
        return std::nullopt;
    }
    nlohmann::json converted = nlohmann::json::array();
    bool ok = true;
    for (std::size_t i = 0; i < rules->items.size(); ++i) {
        const SourceNode& rule = rules->items[i];
        const std::string rule_path = fmt::format("{}[{}]", rules_path, i);
        if (!expect(rule, NodeKind::map, rule_path, "a map with succeededIndexes or succeededCount")) {
            ok = false;
            continue;
        }
        check_keys(rule, k_success_rule_keys, rule_path);
        nlohmann::json result = nlohmann::json::object();
        const SourceNode* indexes = rule.find("succeededIndexes");
        const SourceNode* succeeded = rule.find("succeededCount");
        if (indexes == nullptr && succeeded == nullptr) {
            m_diagnostics.add(rule.location, fmt::format("{} in {} must set succeededIndexes, succeededCount "
                                                         "or both",
                                                         rule_path, m_owner));
            ok = false;
            continue;
        }
        if (indexes != nullptr) {
            // The indexes are checked against completions, which may come from defaults, in job_rules.cpp.
            if (auto text = this->text(*indexes, policy_path(rule_path, "succeededIndexes"))) {
                result["succeededIndexes"] = std::move(*text);
            } else {
                ok = false;
            }
        }
        if (succeeded != nullptr) {
            if (auto number = count(*succeeded, policy_path(rule_path, "succeededCount"))) {
                result["succeededCount"] = std::move(*number);
            } else {
                ok = false;
            }
        }
        converted.push_back(std::move(result));
    }
    if (!ok) return std::nullopt;
    return nlohmann::json{{"rules", std::move(converted)}};
}

} // namespace kq::project
