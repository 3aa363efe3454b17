#pragma once

#include "project/diagnostics.hpp"
#include "project/project.hpp"
#include "project/schema.hpp"
#include "project/source.hpp"
#include "project/templating.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kq::project {

// Whether a FieldConverter only checks a value as written or renders it with templates expanded.
enum class ConvertMode {
    check,  // checks syntax and template syntax; values holding {{ }} are checked once rendered
    render, // expands templates, then checks every value
    trial,  // as render, but a value referring to the environment or to a param without a value is
            // only checked as written (validate uses it to try the params' defaults)
};

// Turns job values of the project file into their manifest form, recording every problem in
// diagnostics with the value's location. The same code checks (kq validate) and renders (kq render),
// so both agree on what is valid.
class FieldConverter {
public:
    // owner names the section in messages: `job "hello"` or `defaults`; values may be null in check mode.
    FieldConverter(ConvertMode mode, std::string owner, const TemplateValues* values,
                   Diagnostics& diagnostics);

    // The manifest value of a job key, or nullopt when it has problems (recorded).
    std::optional<nlohmann::json> convert(const FieldSpec& field, const SourceNode& value);

    // The manifest value of a raw YAML value (objects and lists passed through), strings expanded.
    std::optional<nlohmann::json> raw(const SourceNode& value, std::string_view path);

    // A string value, expanded; in check mode a template is returned as written. Nullopt on problems.
    std::optional<std::string> text(const SourceNode& value, std::string_view path);

    // Records "unknown key" problems for keys of map not in known, with a did-you-mean suggestion;
    // path is empty for the section's own keys.
    void check_keys(const SourceNode& map, std::span<const std::string_view> known, std::string_view path);

    // The owner as given to the constructor.
    const std::string& owner() const { return m_owner; }

private:
    // A string value and whether it still holds a template (check mode), so value checks must wait.
    struct Text {
        std::string value;
        bool deferred = false;
    };

    // A scalar as a string: expanded in render mode, deferred when check mode meets a template.
    std::optional<Text> string_value(const SourceNode& value, std::string_view path);
    // A non-negative 32-bit integer, from a plain number or a string that expands to one.
    std::optional<nlohmann::json> count(const SourceNode& value, std::string_view path);
    // true or false.
    std::optional<bool> boolean(const SourceNode& value, std::string_view path);
    // A list of strings, or with names set a list of object names rendered as [{name: N}].
    std::optional<nlohmann::json> string_list(const SourceNode& value, std::string_view path, bool names);
    // labels, annotations or nodeSelector: keys and values checked as the field's kind requires.
    std::optional<nlohmann::json> string_map(const FieldSpec& field, const SourceNode& value);
    // env as the container's list of {name, value} or {name, valueFrom}.
    std::optional<nlohmann::json> env(const SourceNode& value);
    // One env variable's {secretKeyRef|configMapKeyRef|fieldRef|resourceFieldRef}.
    std::optional<nlohmann::json> env_source(const SourceNode& value, std::string_view path);
    // {name, key, optional} (or {name, optional} without needs_key) of a Secret or ConfigMap.
    std::optional<nlohmann::json> key_ref(const SourceNode& value, std::string_view path, bool needs_key);
    // envFrom's list of {configMapRef|secretRef, prefix}.
    std::optional<nlohmann::json> env_from(const SourceNode& value);
    // resources' requests and limits.
    std::optional<nlohmann::json> resources(const SourceNode& value);
    // The API server's rules between requests and limits (request <= limit; no overcommit of
    // extended resources and hugepages); false after reporting a breach.
    bool check_requests_against_limits(const SourceNode& value, const nlohmann::json& resources);
    // podFailurePolicy: its rules checked as the API server checks them, alone (job_rules.cpp checks
    // them against the other keys).
    std::optional<nlohmann::json> pod_failure_policy(const SourceNode& value);
    // One podFailurePolicy rule's onExitCodes.
    std::optional<nlohmann::json> on_exit_codes(const SourceNode& value, std::string_view path);
    // One podFailurePolicy rule's onPodConditions.
    std::optional<nlohmann::json> on_pod_conditions(const SourceNode& value, std::string_view path);
    // successPolicy: its rules, each with succeededIndexes, succeededCount or both.
    std::optional<nlohmann::json> success_policy(const SourceNode& value);
    // initContainers or sidecars: each item a container with a name and the main container's keys, its
    // image the job's when not set (render fills it in).
    std::optional<nlohmann::json> containers(const SourceNode& value, std::string_view path);
    // payload: {required, maxBytes, contentType, secret, env}, each written as is (no templates).
    std::optional<nlohmann::json> payload(const SourceNode& value);
    // managedBy: a domain-prefixed path such as kueue.x-k8s.io/multikueue, at most 63 characters.
    std::optional<nlohmann::json> domain_path(const SourceNode& value, std::string_view path);
    // One string of choices; nullopt after reporting anything else.
    std::optional<std::string> choice(const SourceNode& value, std::string_view path,
                                      std::span<const std::string_view> choices);
    // One quantity, as a string.
    std::optional<std::string> quantity(const SourceNode& value, std::string_view path);
    // True when value is of kind, else records that it must be expected.
    bool expect(const SourceNode& value, NodeKind kind, std::string_view path, std::string_view expected);
    // Records "PATH in OWNER must be EXPECTED, not KIND".
    void wrong_type(const SourceNode& value, std::string_view path, std::string_view expected);
    // Records "invalid PATH "SHOWN" in OWNER: REASON".
    void invalid(const SourceNode& value, std::string_view path, std::string_view shown,
                 std::string_view reason);

    ConvertMode m_mode;
    std::string m_owner;
    const TemplateValues* m_values;
    Diagnostics& m_diagnostics;
};

// The payload key's model, from what FieldConverter::convert made of it.
PayloadDef payload_def(const nlohmann::json& converted);

// Labels and annotation keys kq sets itself, which a project may not set.
bool is_reserved_label(std::string_view key);

} // namespace kq::project
