#include "project/json_schema.hpp"

#include "project/labels.hpp"
#include "project/man_descriptions.hpp"
#include "project/names.hpp"
#include "project/project.hpp"
#include "project/quantity.hpp"
#include "project/schema.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

namespace kq::project {
namespace {

using nlohmann::json;

constexpr std::string_view k_top_section = "TOP-LEVEL KEYS";
constexpr std::string_view k_job_section = "JOB KEYS";
constexpr std::string_view k_params_section = "PARAMS";

json names(std::span<const std::string_view> keys) {
    json result = json::array();
    for (const std::string_view key : keys)
        result.push_back(key);
    return result;
}

// A string holding "{{": the loader checks the value once it is expanded, so anything goes here.
json template_string() { return {{"type", "string"}, {"pattern", R"(\{\{)"}}; }

// A scalar the loader reads as text: YAML numbers and booleans are written as they were typed.
json text() { return {{"type", json::array({"string", "number", "boolean"})}}; }

// A string matching pattern, or a template; numbers too when their text can match (a namespace 123).
json named(std::string_view pattern, const json& numbers) {
    json string = {{"type", "string"}, {"pattern", pattern}};
    json choices = json::array({string, template_string()});
    if (!numbers.is_null()) choices.push_back(numbers);
    return {{"anyOf", std::move(choices)}};
}

json dns_label() { return named(dns_label_pattern(), {{"type", "integer"}, {"minimum", 0}}); }

json dns_subdomain() {
    json schema = named(k_dns_subdomain_pattern, {{"type", "number"}, {"minimum", 0}});
    schema["anyOf"][0]["maxLength"] = 253;
    return schema;
}

json quantity() {
    json schema = named(quantity_pattern(), {{"type", "number"}, {"minimum", 0}});
    schema["anyOf"][0]["maxLength"] = k_max_quantity_length;
    return schema;
}

// true or false, or a quoted template that expands to one.
json boolean() { return {{"anyOf", json::array({{{"type", "boolean"}}, template_string()})}}; }

// A whole number from 0 to 2^31-1, also as a string ("3", "+3", "-0") or a template.
json count() {
    return {{"anyOf", json::array({{{"type", "integer"},
                                    {"minimum", 0},
                                    {"maximum", std::numeric_limits<std::int32_t>::max()}},
                                   {{"type", "string"}, {"pattern", R"(^(\+?[0-9]+|-0+)$)"}},
                                   template_string()})}};
}

json qualified_name(bool reserved_allowed) {
    json schema = {{"pattern", k_qualified_name_pattern}};
    if (!reserved_allowed) {
        std::string prefix = "^";
        for (const char c : k_reserved_prefix)
            prefix += c == '.' ? std::string(R"(\.)") : std::string(1, c);
        schema["not"] = {
            {"anyOf", json::array({{{"pattern", prefix}},
                                   {{"enum", json::array({k_label_managed_by, k_label_name})}}})}};
    }
    return schema;
}

json label_value() {
    return {{"anyOf", json::array({{{"type", "string"}, {"pattern", k_label_value_pattern}},
                                   {{"type", json::array({"number", "boolean"})}},
                                   template_string()})}};
}

// A map with exactly these keys allowed, the first `required` of them required.
json closed_map(std::span<const std::string_view> keys, std::size_t required, json properties) {
    json schema = {
        {"type", "object"}, {"additionalProperties", false}, {"properties", std::move(properties)}};
    if (required > 0) schema["required"] = names(keys.first(required));
    return schema;
}

json key_ref() {
    return closed_map(k_key_ref_keys, 2,
                      {{"name", dns_subdomain()}, {"key", text()}, {"optional", boolean()}});
}

json name_ref() {
    return closed_map(k_name_ref_keys, 1, {{"name", dns_subdomain()}, {"optional", boolean()}});
}

json env_value() {
    json sources = {
        {"secretKeyRef", key_ref()},
        {"configMapKeyRef", key_ref()},
        {"fieldRef", closed_map(k_field_ref_keys, 1, {{"fieldPath", text()}, {"apiVersion", text()}})},
        {"resourceFieldRef",
         closed_map(k_resource_field_ref_keys, 1,
                    {{"resource", text()}, {"containerName", text()}, {"divisor", quantity()}})},
    };
    json source = closed_map(k_env_source_keys, 0, std::move(sources));
    source["minProperties"] = 1;
    source["maxProperties"] = 1;
    // An empty value is the empty string.
    return {
        {"anyOf", json::array({{{"type", json::array({"string", "number", "boolean", "null"})}}, source})}};
}

json env_from() {
    json item =
        closed_map(k_env_from_keys, 0,
                   {{k_env_from_keys[0], name_ref()}, {k_env_from_keys[1], name_ref()}, {"prefix", text()}});
    item["oneOf"] = json::array({{{"required", json::array({k_env_from_keys[0]})}},
                                 {{"required", json::array({k_env_from_keys[1]})}}});
    return {{"type", "array"}, {"items", std::move(item)}};
}

json resources() {
    const json amounts = {
        {"type", "object"}, {"propertyNames", qualified_name(true)}, {"additionalProperties", quantity()}};
    json properties = json::object();
    for (const std::string_view key : k_resources_keys)
        properties[std::string(key)] = amounts;
    return closed_map(k_resources_keys, 0, std::move(properties));
}

json enumeration(std::span<const std::string_view> values) {
    return {{"anyOf", json::array({{{"enum", names(values)}}, template_string()})}};
}

// A list of between min and max items of schema.
json bounded_list(json items, int min, int max) {
    return {{"type", "array"}, {"minItems", min}, {"maxItems", max}, {"items", std::move(items)}};
}

json pod_failure_policy() {
    constexpr std::array<std::string_view, 4> actions = {"FailJob", "FailIndex", "Ignore", "Count"};
    constexpr std::array<std::string_view, 2> operators = {"In", "NotIn"};
    constexpr std::array<std::string_view, 3> statuses = {"True", "False", "Unknown"};
    json on_exit_codes = closed_map(k_on_exit_codes_keys, 2,
                                    {{"operator", enumeration(operators)},
                                     {"values", bounded_list(count(), 1, 255)},
                                     {"containerName", dns_label()}});
    json on_pod_conditions = bounded_list(
        closed_map(k_on_pod_condition_keys, 1,
                   {{"type", named(k_qualified_name_pattern, nullptr)}, {"status", enumeration(statuses)}}),
        1, 20);
    json rule = closed_map(k_pod_failure_rule_keys, 1,
                           {{"action", enumeration(actions)},
                            {"onExitCodes", std::move(on_exit_codes)},
                            {"onPodConditions", std::move(on_pod_conditions)}});
    rule["oneOf"] = json::array(
        {{{"required", json::array({"onExitCodes"})}}, {{"required", json::array({"onPodConditions"})}}});
    return closed_map(k_pod_failure_policy_keys, 1, {{"rules", bounded_list(std::move(rule), 0, 20)}});
}

json success_policy() {
    json rule =
        closed_map(k_success_rule_keys, 0, {{"succeededIndexes", text()}, {"succeededCount", count()}});
    rule["minProperties"] = 1;
    return closed_map(k_success_policy_keys, 1, {{"rules", bounded_list(std::move(rule), 1, 20)}});
}

// A domain-prefixed path such as example.com/controller, at most 63 characters.
json domain_path() {
    json schema = named(
        R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$)",
        nullptr);
    schema["anyOf"][0]["maxLength"] = 63;
    return schema;
}

json param() {
    json properties = {
        {"default", {{"type", json::array({"string", "number", "boolean", "null"})}}},
        {"required", {{"type", "boolean"}}},
        {"description", text()},
        {"pattern", text()},
        {"enum", {{"type", "array"}, {"minItems", 1}, {"items", text()}}},
    };
    for (auto entry = properties.begin(); entry != properties.end(); ++entry) {
        const std::string_view description = man_description(k_params_section, entry.key());
        if (!description.empty()) (*entry)["description"] = description;
    }
    json schema = closed_map(k_param_keys, 0, std::move(properties));
    schema["type"] = json::array({"object", "null"});
    // A required param may not have a default.
    schema["if"] = {{"type", "object"},
                    {"required", json::array({"required"})},
                    {"properties", {{"required", {{"const", true}}}}}};
    schema["then"] = {{"not", {{"required", json::array({"default"})}}}};
    return schema;
}

json field_schema(const FieldSpec& field) {
    switch (field.kind) {
    case FieldKind::text: return text();
    case FieldKind::choice: {
        json choices = json::array();
        for (const std::string_view choice : field.choices)
            choices.push_back(choice);
        return {{"anyOf", json::array({{{"enum", std::move(choices)}}, template_string()})}};
    }
    case FieldKind::dns_label: return dns_label();
    case FieldKind::dns_subdomain: return dns_subdomain();
    case FieldKind::count: return count();
    case FieldKind::string_list: return {{"type", "array"}, {"items", text()}};
    case FieldKind::name_list: return {{"type", "array"}, {"items", dns_subdomain()}};
    case FieldKind::label_map:
    case FieldKind::selector_map:
    case FieldKind::annotation_map:
        return {{"type", "object"},
                {"propertyNames", qualified_name(field.kind == FieldKind::selector_map)},
                {"additionalProperties", field.kind == FieldKind::annotation_map ? text() : label_value()}};
    case FieldKind::env:
        return {{"type", "object"},
                {"propertyNames", {{"pattern", k_env_name_pattern}}},
                {"additionalProperties", env_value()}};
    case FieldKind::env_from: return env_from();
    case FieldKind::resources: return resources();
    case FieldKind::flag: return boolean();
    case FieldKind::domain_path: return domain_path();
    case FieldKind::pod_failure_policy: return pod_failure_policy();
    case FieldKind::success_policy: return success_policy();
    case FieldKind::containers: {
        json properties = {{"name", dns_label()}};
        for (const std::string_view key : k_container_keys) {
            if (key == "name") continue;
            properties[std::string(key)] = field_schema(*find_job_field(key));
        }
        return {{"type", "array"}, {"items", closed_map(k_container_keys, 1, std::move(properties))}};
    }
    case FieldKind::object:
        if (field.key == "jobSpec") {
            json reserved = json::object();
            for (const std::string_view key : k_job_spec_reserved_keys)
                reserved[std::string(key)] = false;
            return {{"type", "object"}, {"properties", std::move(reserved)}};
        }
        return {{"type", "object"}};
    case FieldKind::list: return {{"type", "array"}};
    case FieldKind::schedule: {
        json fixed_count = {
            {"type", "integer"}, {"minimum", 0}, {"maximum", std::numeric_limits<std::int32_t>::max()}};
        json policies = names(k_concurrency_policies);
        json schedule_map = closed_map(k_schedule_keys, 1,
                                       {{"cron", {{"type", "string"}}},
                                        {"timeZone", {{"type", "string"}}},
                                        {"concurrencyPolicy", {{"enum", std::move(policies)}}},
                                        {"startingDeadlineSeconds", fixed_count},
                                        {"successfulJobsHistoryLimit", fixed_count},
                                        {"failedJobsHistoryLimit", fixed_count},
                                        {"suspend", {{"type", "boolean"}}},
                                        {"params",
                                         {{"type", json::array({"object", "null"})},
                                          {"propertyNames", {{"pattern", k_param_name_pattern}}},
                                          {"additionalProperties", text()}}}});
        return {{"anyOf", json::array({{{"type", "string"}}, std::move(schedule_map)})}};
    }
    case FieldKind::params:
        return {{"type", json::array({"object", "null"})},
                {"propertyNames", {{"pattern", k_param_name_pattern}}},
                {"additionalProperties", param()}};
    case FieldKind::payload:
        return closed_map(
            k_payload_keys, 0,
            {{"required", {{"type", "boolean"}}},
             {"maxBytes", {{"type", "integer"}, {"minimum", 1}, {"maximum", k_max_payload_bytes}}},
             {"contentType",
              {{"type", "string"}, {"pattern", R"(^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$)"}}},
             {"secret", {{"type", "boolean"}}},
             {"env", {{"type", "string"}, {"pattern", k_env_name_pattern}}}});
    }
    return json::object();
}

// The keys of a job, or of defaults (without the keys only a job may set). Either may be empty.
json section(bool is_defaults) {
    json properties = json::object();
    for (const FieldSpec& field : job_fields()) {
        const bool job_only =
            std::find(k_job_only_keys.begin(), k_job_only_keys.end(), field.key) != k_job_only_keys.end();
        if (is_defaults && job_only) continue;
        json schema = field_schema(field);
        const std::string_view description = man_description(k_job_section, field.key);
        if (!description.empty()) schema["description"] = description;
        properties[std::string(field.key)] = std::move(schema);
    }
    return {{"type", json::array({"object", "null"})},
            {"additionalProperties", false},
            {"properties", std::move(properties)}};
}

} // namespace

std::string_view man_description(std::string_view section, std::string_view key) {
    for (const man::Description& description : man::k_descriptions) {
        if (description.section == section && description.key == key) return description.text;
    }
    return {};
}

nlohmann::json project_json_schema() {
    json properties = {
        {"version", {{"const", k_project_version}}},
        {"namespace", dns_label()},
        {"name", {{"type", "string"}, {"pattern", k_label_value_pattern}}},
        {"defaults", {{"$ref", "#/$defs/defaults"}}},
        {"jobs",
         {{"type", json::array({"object", "null"})},
          {"propertyNames", {{"pattern", dns_label_pattern(k_max_job_name_length)}}},
          {"additionalProperties", {{"$ref", "#/$defs/job"}}}}},
    };
    for (const std::string_view key : k_project_keys) {
        const std::string_view description = man_description(k_top_section, key);
        if (!description.empty()) properties[std::string(key)]["description"] = description;
    }
    json schema = {
        {"$schema", "https://json-schema.org/draft/2020-12/schema"},
        {"title", "kq.yaml"},
        {"description", std::string("kq.yaml, ") + std::string(man::k_page_summary) + "; see kq.yaml(5)"},
        {"type", "object"},
        {"additionalProperties", false},
        {"required", names(k_required_project_keys)},
        {"properties", std::move(properties)},
        {"$defs", {{"job", section(false)}, {"defaults", section(true)}}},
    };
    // Every job needs an image, its own or from defaults.
    schema["if"] = {
        {"required", json::array({"defaults"})},
        {"properties", {{"defaults", {{"type", "object"}, {"required", json::array({"image"})}}}}}};
    schema["else"] = {
        {"properties",
         {{"jobs", {{"additionalProperties", {{"type", "object"}, {"required", json::array({"image"})}}}}}}}};
    return schema;
}

} // namespace kq::project
