#include "project/fields.hpp"

#include "project/labels.hpp"
#include "project/names.hpp"
#include "project/quantity.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <limits>

namespace kq::project {
namespace {

std::string join_path(std::string_view path, std::string_view key) {
    if (path.empty()) return std::string(key);
    return fmt::format("{}.{}", path, key);
}

std::string choices_text(std::span<const std::string_view> choices) {
    std::string result;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) result += i + 1 == choices.size() ? " or " : ", ";
        result += quote(choices[i]);
    }
    return result;
}

} // namespace

bool is_reserved_label(std::string_view key) {
    return starts_with(key, k_reserved_prefix) || key == k_label_managed_by || key == k_label_name;
}

FieldConverter::FieldConverter(ConvertMode mode, std::string owner, const TemplateValues* values,
                               Diagnostics& diagnostics)
    : m_mode(mode), m_owner(std::move(owner)), m_values(values), m_diagnostics(diagnostics) {}

void FieldConverter::wrong_type(const SourceNode& value, std::string_view path, std::string_view expected) {
    m_diagnostics.add(value.location, fmt::format("{} in {} must be {}, not {}", path, m_owner, expected,
                                                  describe_kind(value)));
}

void FieldConverter::invalid(const SourceNode& value, std::string_view path, std::string_view shown,
                             std::string_view reason) {
    m_diagnostics.add(value.location,
                      fmt::format("invalid {} {} in {}: {}", path, quote(shown), m_owner, reason));
}

bool FieldConverter::expect(const SourceNode& value, NodeKind kind, std::string_view path,
                            std::string_view expected) {
    if (value.kind == kind) return true;
    wrong_type(value, path, expected);
    return false;
}

void FieldConverter::check_keys(const SourceNode& map, std::span<const std::string_view> known,
                                std::string_view path) {
    for (const SourceEntry& entry : map.entries) {
        bool found = false;
        for (const std::string_view key : known)
            found = found || key == entry.key;
        if (found) continue;
        std::string message =
            path.empty() ? fmt::format("unknown key {} in {}", quote(entry.key), m_owner)
                         : fmt::format("unknown key {} in {} of {}", quote(entry.key), path, m_owner);
        if (const auto suggestion = closest_match(entry.key, known)) {
            message += fmt::format("; did you mean {}?", quote(*suggestion));
        } else {
            std::string list;
            for (const std::string_view key : known)
                list += (list.empty() ? "" : ", ") + std::string(key);
            if (known.size() <= 6) message += fmt::format("; known keys: {}", list);
        }
        m_diagnostics.add(entry.key_location, std::move(message));
    }
}

std::optional<FieldConverter::Text> FieldConverter::string_value(const SourceNode& value,
                                                                 std::string_view path) {
    if (value.kind != NodeKind::scalar || scalar_type(value) == ScalarType::null) {
        wrong_type(value, path, "a string");
        return std::nullopt;
    }
    if (!is_template(value.text)) return Text{value.text, false};
    std::string error;
    if (m_mode == ConvertMode::check) {
        parse_template(value.text, error);
        if (!error.empty()) {
            m_diagnostics.add(value.location, fmt::format("{} in {}: {}", path, m_owner, error));
            return std::nullopt;
        }
        return Text{value.text, true};
    }
    if (m_mode == ConvertMode::trial) {
        const std::vector<TemplatePart> parts = parse_template(value.text, error);
        if (!error.empty()) {
            m_diagnostics.add(value.location, fmt::format("{} in {}: {}", path, m_owner, error));
            return std::nullopt;
        }
        for (const TemplatePart& part : parts) {
            const bool unknown = part.kind == TemplatePart::Kind::env ||
                                 (part.kind == TemplatePart::Kind::param &&
                                  (m_values->params == nullptr || !m_values->params->contains(part.value)));
            if (unknown) return Text{value.text, true};
        }
    }
    std::optional<std::string> expanded = expand_template(value.text, *m_values, error);
    if (!expanded) {
        m_diagnostics.add(value.location, fmt::format("{} in {}: {}", path, m_owner, error));
        return std::nullopt;
    }
    return Text{std::move(*expanded), false};
}

std::optional<std::string> FieldConverter::text(const SourceNode& value, std::string_view path) {
    auto result = string_value(value, path);
    if (!result) return std::nullopt;
    return std::move(result->value);
}

std::optional<nlohmann::json> FieldConverter::count(const SourceNode& value, std::string_view path) {
    if (value.kind == NodeKind::scalar && scalar_type(value) == ScalarType::boolean) {
        wrong_type(value, path, "a whole number");
        return std::nullopt;
    }
    auto text = string_value(value, path);
    if (!text) return std::nullopt;
    if (text->deferred) return nlohmann::json(0);
    const std::string_view digits = text->value;
    std::size_t start = digits.size() > 1 && (digits[0] == '-' || digits[0] == '+') ? 1 : 0;
    bool whole = start < digits.size();
    for (std::size_t i = start; i < digits.size(); ++i)
        whole = whole && digits[i] >= '0' && digits[i] <= '9';
    if (!whole) {
        invalid(value, path, text->value, "must be a whole number");
        return std::nullopt;
    }
    if (digits[0] == '-' && digits.find_first_not_of('0', 1) != std::string_view::npos) {
        invalid(value, path, text->value, "must be 0 or more");
        return std::nullopt;
    }
    std::int64_t number = 0;
    for (std::size_t i = start; i < digits.size(); ++i) {
        number = number * 10 + (digits[i] - '0');
        if (number > std::numeric_limits<std::int32_t>::max()) {
            invalid(value, path, text->value, "must be at most 2147483647");
            return std::nullopt;
        }
    }
    return nlohmann::json(number);
}

std::optional<bool> FieldConverter::boolean(const SourceNode& value, std::string_view path) {
    if (value.kind == NodeKind::scalar && value.quoted && is_template(value.text)) {
        auto text = string_value(value, path);
        if (!text) return std::nullopt;
        if (text->deferred) return false;
        if (text->value == "true") return true;
        if (text->value == "false") return false;
        invalid(value, path, text->value, "must be true or false");
        return std::nullopt;
    }
    if (value.kind != NodeKind::scalar || scalar_type(value) != ScalarType::boolean) {
        wrong_type(value, path, "true or false");
        return std::nullopt;
    }
    return value.text[0] == 't' || value.text[0] == 'T';
}

std::optional<nlohmann::json> FieldConverter::string_list(const SourceNode& value, std::string_view path,
                                                          bool names) {
    if (!expect(value, NodeKind::sequence, path, names ? "a list of names" : "a list of strings")) {
        return std::nullopt;
    }
    nlohmann::json result = nlohmann::json::array();
    bool ok = true;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
        const std::string item_path = fmt::format("{}[{}]", path, i);
        auto item = string_value(value.items[i], item_path);
        if (!item) {
            ok = false;
            continue;
        }
        if (names) {
            if (!item->deferred) {
                if (auto problem = check_dns_subdomain(item->value)) {
                    invalid(value.items[i], item_path, item->value, *problem);
                    ok = false;
                    continue;
                }
            }
            result.push_back({{"name", item->value}});
        } else {
            result.push_back(item->value);
        }
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<nlohmann::json> FieldConverter::string_map(const FieldSpec& field, const SourceNode& value) {
    if (!expect(value, NodeKind::map, field.key, "a map of strings")) return std::nullopt;
    nlohmann::json result = nlohmann::json::object();
    bool ok = true;
    for (const SourceEntry& entry : value.entries) {
        const std::string path = join_path(field.key, entry.key);
        if (auto problem = check_qualified_name(entry.key)) {
            m_diagnostics.add(entry.key_location,
                              fmt::format("invalid key {} in {} of {}: {}", quote(entry.key), field.key,
                                          m_owner, *problem));
            ok = false;
            continue;
        }
        if (field.kind != FieldKind::selector_map && is_reserved_label(entry.key)) {
            m_diagnostics.add(entry.key_location, fmt::format("{} in {} is set by kq; choose another key",
                                                              quote(entry.key), m_owner));
            ok = false;
            continue;
        }
        auto text = string_value(entry.value, path);
        if (!text) {
            ok = false;
            continue;
        }
        if (field.kind != FieldKind::annotation_map && !text->deferred) {
            if (auto problem = check_label_value(text->value)) {
                invalid(entry.value, path, text->value, *problem);
                ok = false;
                continue;
            }
        }
        result[entry.key] = text->value;
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<nlohmann::json> FieldConverter::key_ref(const SourceNode& value, std::string_view path,
                                                      bool needs_key) {
    if (!expect(value, NodeKind::map, path, "a map")) return std::nullopt;
    const std::span<const std::string_view> known = needs_key
                                                        ? std::span<const std::string_view>(k_key_ref_keys)
                                                        : std::span<const std::string_view>(k_name_ref_keys);
    check_keys(value, known, path);
    nlohmann::json result = nlohmann::json::object();
    bool ok = true;
    for (const std::string_view required : known.first(needs_key ? 2 : 1)) {
        const SourceNode* field = value.find(required);
        const std::string field_path = join_path(path, required);
        if (field == nullptr) {
            m_diagnostics.add(value.location,
                              fmt::format("{} in {} needs {}", path, m_owner, quote(required)));
            ok = false;
            continue;
        }
        auto text = string_value(*field, field_path);
        if (!text) {
            ok = false;
            continue;
        }
        if (required == "name" && !text->deferred) {
            if (auto problem = check_dns_subdomain(text->value)) {
                invalid(*field, field_path, text->value, *problem);
                ok = false;
                continue;
            }
        }
        result[std::string(required)] = text->value;
    }
    if (const SourceNode* optional = value.find("optional")) {
        auto flag = boolean(*optional, join_path(path, "optional"));
        if (!flag) return std::nullopt;
        result["optional"] = *flag;
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<nlohmann::json> FieldConverter::env_source(const SourceNode& value, std::string_view path) {
    check_keys(value, k_env_source_keys, path);
    if (value.entries.size() != 1) {
        if (value.entries.empty() || value.entries.size() > 1) {
            m_diagnostics.add(
                value.location,
                fmt::format("{} in {} must set exactly one of secretKeyRef, configMapKeyRef, fieldRef "
                            "and resourceFieldRef",
                            path, m_owner));
        }
        return std::nullopt;
    }
    const SourceEntry& source = value.entries.front();
    const std::string source_path = join_path(path, source.key);
    nlohmann::json converted;
    if (source.key == "secretKeyRef" || source.key == "configMapKeyRef") {
        auto ref = key_ref(source.value, source_path, true);
        if (!ref) return std::nullopt;
        converted = std::move(*ref);
    } else if (source.key == "fieldRef" || source.key == "resourceFieldRef") {
        if (!expect(source.value, NodeKind::map, source_path, "a map")) return std::nullopt;
        const bool field_ref = source.key == "fieldRef";
        const std::span<const std::string_view> known =
            field_ref ? std::span<const std::string_view>(k_field_ref_keys)
                      : std::span<const std::string_view>(k_resource_field_ref_keys);
        check_keys(source.value, known, source_path);
        if (source.value.find(known.front()) == nullptr) {
            m_diagnostics.add(source.value.location,
                              fmt::format("{} in {} needs {}", source_path, m_owner, quote(known.front())));
            return std::nullopt;
        }
        converted = nlohmann::json::object();
        bool ok = true;
        for (const SourceEntry& entry : source.value.entries) {
            bool is_known = false;
            for (const std::string_view key : known)
                is_known = is_known || key == entry.key;
            if (!is_known) {
                ok = false;
                continue;
            }
            const std::string entry_path = join_path(source_path, entry.key);
            std::optional<std::string> text = entry.key == "divisor" ? quantity(entry.value, entry_path)
                                                                     : this->text(entry.value, entry_path);
            if (!text) {
                ok = false;
                continue;
            }
            converted[entry.key] = std::move(*text);
        }
        if (!ok) return std::nullopt;
    } else {
        return std::nullopt;
    }
    return nlohmann::json{{source.key, std::move(converted)}};
}

std::optional<nlohmann::json> FieldConverter::env(const SourceNode& value) {
    if (!expect(value, NodeKind::map, "env", "a map of variable names to values")) return std::nullopt;
    nlohmann::json result = nlohmann::json::array();
    bool ok = true;
    for (const SourceEntry& entry : value.entries) {
        const std::string path = join_path("env", entry.key);
        if (auto problem = check_env_name(entry.key)) {
            m_diagnostics.add(entry.key_location,
                              fmt::format("invalid environment variable name {} in {}: {}", quote(entry.key),
                                          m_owner, *problem));
            ok = false;
            continue;
        }
        if (entry.value.kind == NodeKind::map) {
            auto source = env_source(entry.value, path);
            if (!source) {
                ok = false;
                continue;
            }
            result.push_back({{"name", entry.key}, {"valueFrom", std::move(*source)}});
            continue;
        }
        if (entry.value.kind == NodeKind::sequence) {
            wrong_type(entry.value, path, "a string or a map such as {secretKeyRef: {name: N, key: K}}");
            ok = false;
            continue;
        }
        // An empty value is a variable set to "", as in a shell's "NAME=".
        if (entry.value.kind == NodeKind::null || scalar_type(entry.value) == ScalarType::null) {
            result.push_back({{"name", entry.key}, {"value", entry.value.quoted ? entry.value.text : ""}});
            continue;
        }
        auto text = string_value(entry.value, path);
        if (!text) {
            ok = false;
            continue;
        }
        result.push_back({{"name", entry.key}, {"value", text->value}});
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<nlohmann::json> FieldConverter::env_from(const SourceNode& value) {
    if (!expect(value, NodeKind::sequence, "envFrom", "a list")) return std::nullopt;
    nlohmann::json result = nlohmann::json::array();
    bool ok = true;
    for (std::size_t i = 0; i < value.items.size(); ++i) {
        const SourceNode& item = value.items[i];
        const std::string path = fmt::format("envFrom[{}]", i);
        if (!expect(item, NodeKind::map, path, "a map with configMapRef or secretRef")) {
            ok = false;
            continue;
        }
        check_keys(item, k_env_from_keys, path);
        const SourceNode* config_map = item.find("configMapRef");
        const SourceNode* secret = item.find("secretRef");
        if ((config_map == nullptr) == (secret == nullptr)) {
            m_diagnostics.add(
                item.location,
                fmt::format("{} in {} must set one of configMapRef and secretRef", path, m_owner));
            ok = false;
            continue;
        }
        const char* ref_key = config_map != nullptr ? "configMapRef" : "secretRef";
        auto ref = key_ref(config_map != nullptr ? *config_map : *secret, join_path(path, ref_key), false);
        if (!ref) {
            ok = false;
            continue;
        }
        nlohmann::json converted = {{ref_key, std::move(*ref)}};
        if (const SourceNode* prefix = item.find("prefix")) {
            auto text = this->text(*prefix, join_path(path, "prefix"));
            if (!text) {
                ok = false;
                continue;
            }
            converted["prefix"] = std::move(*text);
        }
        result.push_back(std::move(converted));
    }
    if (!ok) return std::nullopt;
    return result;
}

std::optional<std::string> FieldConverter::quantity(const SourceNode& value, std::string_view path) {
    // Plain numbers (cpu: 1, cpu: 0.5) are quantities too; they render as strings, as kubectl shows them.
    auto text = string_value(value, path);
    if (!text) return std::nullopt;
    if (text->deferred) return text->value;
    if (auto problem = check_quantity(text->value)) {
        invalid(value, path, text->value, *problem);
        return std::nullopt;
    }
    if (is_negative_quantity(text->value)) {
        invalid(value, path, text->value, "must not be negative");
        return std::nullopt;
    }
    return text->value;
}

std::optional<nlohmann::json> FieldConverter::resources(const SourceNode& value) {
    if (!expect(value, NodeKind::map, "resources", "a map with requests and limits")) return std::nullopt;
    check_keys(value, k_resources_keys, "resources");
    nlohmann::json result = nlohmann::json::object();
    bool ok = true;
    for (const SourceEntry& section : value.entries) {
        if (section.key != "requests" && section.key != "limits") {
            ok = false;
            continue;
        }
        const std::string section_path = join_path("resources", section.key);
        if (!expect(section.value, NodeKind::map, section_path, "a map of resource names to quantities")) {
            ok = false;
            continue;
        }
        nlohmann::json amounts = nlohmann::json::object();
        for (const SourceEntry& entry : section.value.entries) {
            if (auto problem = check_qualified_name(entry.key)) {
                m_diagnostics.add(entry.key_location,
                                  fmt::format("invalid resource name {} in {} of {}: {}", quote(entry.key),
                                              section_path, m_owner, *problem));
                ok = false;
                continue;
            }
            auto amount = quantity(entry.value, join_path(section_path, entry.key));
            if (!amount) {
                ok = false;
                continue;
            }
            amounts[entry.key] = std::move(*amount);
        }
        result[section.key] = std::move(amounts);
    }
    if (!ok) return std::nullopt;
    if (!check_requests_against_limits(value, result)) return std::nullopt;
    return result;
}

// The API server's rules between a container's requests and limits: a request is at most its limit,
// and extended resources and hugepages cannot be overcommitted, so their request needs a limit equal
// to it. Quantities still holding a template (validate mode) are checked when rendered.
bool FieldConverter::check_requests_against_limits(const SourceNode& value, const nlohmann::json& resources) {
    const SourceNode* requests = nullptr;
    for (const SourceEntry& section : value.entries) {
        if (section.key == "requests") requests = &section.value;
    }
    if (!requests || !resources.contains("requests")) return true;
    const nlohmann::json limits = resources.value("limits", nlohmann::json::object());
    bool ok = true;
    for (const SourceEntry& entry : requests->entries) {
        const std::string requested = resources["requests"].value(entry.key, "");
        const std::optional<long double> amount = quantity_value(requested);
        if (!amount) continue;
        const std::string path = join_path("resources.requests", entry.key);
        const bool overcommit = is_overcommit_allowed(entry.key);
        if (!limits.contains(entry.key)) {
            if (overcommit) continue;
            m_diagnostics.add(
                entry.value.location,
                fmt::format("{} in {} needs resources.limits.{} set to the same amount: extended "
                            "resources and hugepages cannot be overcommitted",
                            path, m_owner, entry.key));
            ok = false;
            continue;
        }
        const std::string limited = limits[entry.key].get<std::string>();
        const std::optional<long double> limit = quantity_value(limited);
        if (!limit) continue;
        if (!overcommit && *amount != *limit) {
            invalid(entry.value, path, requested,
                    fmt::format("must equal the {} limit {}: extended resources and hugepages cannot be "
                                "overcommitted",
                                entry.key, quote(limited)));
            ok = false;
        } else if (*amount > *limit) {
            invalid(entry.value, path, requested,
                    fmt::format("must be less than or equal to the {} limit {}", entry.key, quote(limited)));
            ok = false;
        }
    }
    return ok;
}

std::optional<nlohmann::json> FieldConverter::raw(const SourceNode& value, std::string_view path) {
    switch (value.kind) {
    case NodeKind::null: return nlohmann::json(nullptr);
    case NodeKind::map: {
        nlohmann::json result = nlohmann::json::object();
        bool ok = true;
        for (const SourceEntry& entry : value.entries) {
            auto converted = raw(entry.value, join_path(path, entry.key));
            if (!converted) {
                ok = false;
                continue;
            }
            result[entry.key] = std::move(*converted);
        }
        if (!ok) return std::nullopt;
        return result;
    }
    case NodeKind::sequence: {
        nlohmann::json result = nlohmann::json::array();
        bool ok = true;
        for (std::size_t i = 0; i < value.items.size(); ++i) {
            auto converted = raw(value.items[i], fmt::format("{}[{}]", path, i));
            if (!converted) {
                ok = false;
                continue;
            }
            result.push_back(std::move(*converted));
        }
        if (!ok) return std::nullopt;
        return result;
    }
    case NodeKind::scalar: break;
    }
    const std::string& text = value.text;
    switch (scalar_type(value)) {
    case ScalarType::null: return nlohmann::json(nullptr);
    case ScalarType::boolean: return nlohmann::json(text[0] == 't' || text[0] == 'T');
    case ScalarType::integer: {
        try {
            std::size_t used = 0;
            int base = 10;
            std::string digits = text;
            if (starts_with(text, "0x")) {
                base = 16;
                digits = text.substr(2);
            } else if (starts_with(text, "0o")) {
                base = 8;
                digits = text.substr(2);
            }
            const long long number = std::stoll(digits, &used, base);
            if (used == digits.size()) return nlohmann::json(number);
        } catch (const std::exception&) {
            // Too large for 64 bits: kept as written, below.
        }
        return nlohmann::json(text);
    }
    case ScalarType::floating: {
        try {
            std::size_t used = 0;
            const double number = std::stod(text, &used);
            // JSON has no infinity or NaN; such values stay text.
            if (used == text.size() && number - number == 0) return nlohmann::json(number);
        } catch (const std::exception&) {
            // Out of range: kept as written, below.
        }
        return nlohmann::json(text);
    }
    case ScalarType::string: break;
    }
    auto expanded = string_value(value, path);
    if (!expanded) return std::nullopt;
    return nlohmann::json(std::move(expanded->value));
}

std::optional<nlohmann::json> FieldConverter::convert(const FieldSpec& field, const SourceNode& value) {
    switch (field.kind) {
    case FieldKind::text: {
        auto result = text(value, field.key);
        if (!result) return std::nullopt;
        return nlohmann::json(std::move(*result));
    }
    case FieldKind::choice:
    case FieldKind::dns_label:
    case FieldKind::dns_subdomain: {
        auto result = string_value(value, field.key);
        if (!result) return std::nullopt;
        if (result->deferred) return nlohmann::json(std::move(result->value));
        std::optional<std::string> problem;
        if (field.kind == FieldKind::dns_label) problem = check_dns_label(result->value);
        if (field.kind == FieldKind::dns_subdomain) problem = check_dns_subdomain(result->value);
        if (field.kind == FieldKind::choice) {
            bool known = false;
            for (const std::string_view choice : field.choices)
                known = known || choice == result->value;
            if (!known) {
                problem = fmt::format("use {}", choices_text(field.choices));
                if (auto suggestion = closest_match(result->value, field.choices)) {
                    problem = fmt::format("did you mean {}? use {}", quote(*suggestion),
                                          choices_text(field.choices));
                }
            }
        }
        if (problem) {
            invalid(value, field.key, result->value, *problem);
            return std::nullopt;
        }
        return nlohmann::json(std::move(result->value));
    }
    case FieldKind::count: return count(value, field.key);
    case FieldKind::string_list: return string_list(value, field.key, false);
    case FieldKind::name_list: return string_list(value, field.key, true);
    case FieldKind::label_map:
    case FieldKind::selector_map:
    case FieldKind::annotation_map: return string_map(field, value);
    case FieldKind::env: return env(value);
    case FieldKind::env_from: return env_from(value);
    case FieldKind::resources: return resources(value);
    case FieldKind::flag: {
        auto flag = boolean(value, field.key);
        if (!flag) return std::nullopt;
        return nlohmann::json(*flag);
    }
    case FieldKind::domain_path: return domain_path(value, field.key);
    case FieldKind::pod_failure_policy: return pod_failure_policy(value);
    case FieldKind::success_policy: return success_policy(value);
    case FieldKind::containers: return containers(value, field.key);
    case FieldKind::object:
        if (!expect(value, NodeKind::map, field.key, "a map")) return std::nullopt;
        return raw(value, field.key);
    case FieldKind::list:
        if (!expect(value, NodeKind::sequence, field.key, "a list")) return std::nullopt;
        return raw(value, field.key);
    case FieldKind::params:
    case FieldKind::schedule: return nlohmann::json(nullptr);
    case FieldKind::payload: return payload(value);
    }
    return std::nullopt;
}

} // namespace kq::project
