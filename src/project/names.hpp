#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kq::project {

// Kubernetes' naming rules. Each check returns nullopt when the text is valid, else why not, as a
// lowercase phrase that fits after "invalid ... "NAME": ".

// The longest definition name: generateName "<job>-" may be 58 characters before the API server
// truncates it to add 5 random ones, so "<job>" may be 57.
inline constexpr std::size_t k_max_job_name_length = 57;

// A DNS-1123 label (RFC 1123): lowercase letters, digits and '-', starting and ending alphanumeric,
// at most max_length (63) characters.
std::optional<std::string> check_dns_label(std::string_view text, std::size_t max_length = 63);

// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
std::optional<std::string> check_dns_subdomain(std::string_view text);

// A qualified name as label and annotation keys use: an optional DNS subdomain prefix and '/', then a
// name of at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric.
std::optional<std::string> check_qualified_name(std::string_view text);

// A label value: empty, or at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric.
std::optional<std::string> check_label_value(std::string_view text);

// An environment variable name: not empty and no '='.
std::optional<std::string> check_env_name(std::string_view text);

// A param name: a letter or '_', then letters, digits, '_' or '-'.
std::optional<std::string> check_param_name(std::string_view text);

// The rules above as anchored ECMAScript regular expressions, for the JSON Schema of kq.yaml; a unit
// test checks each against its check function. Lengths the patterns leave out are noted.

// A DNS-1123 label of at most max_length characters.
std::string dns_label_pattern(std::size_t max_length = 63);

// A DNS-1123 subdomain, without its limit of 253 characters.
inline constexpr std::string_view k_dns_subdomain_pattern =
    R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)";

// A qualified name (label and annotation keys), without the prefix's limit of 253 characters.
inline constexpr std::string_view k_qualified_name_pattern =
    R"(^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$)";

// A label value.
inline constexpr std::string_view k_label_value_pattern =
    R"(^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$)";

// An environment variable name.
inline constexpr std::string_view k_env_name_pattern = R"(^[^=]+$)";

// A param name.
inline constexpr std::string_view k_param_name_pattern = R"(^[A-Za-z_][-A-Za-z0-9_]*$)";

} // namespace kq::project
