#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace kq::project {

// Checks text against Kubernetes' resource quantity grammar: an optional sign, digits with an
// optional decimal point, then a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m k M G T
// P E) or a decimal exponent (e3, E-2). Returns nullopt when valid, else why not.
std::optional<std::string> check_quantity(std::string_view text);

// The longest quantity check_quantity accepts.
inline constexpr std::size_t k_max_quantity_length = 64;

// The quantities check_quantity accepts and is_negative_quantity does not refuse, as an anchored
// ECMAScript regular expression (without the length limit), for the JSON Schema of kq.yaml.
std::string quantity_pattern();

// True when a valid quantity is below zero; Kubernetes refuses negative requests and limits.
bool is_negative_quantity(std::string_view text);

// The value of a valid quantity ("1500m" is 1.5, "2Ki" is 2048), nullopt for an invalid one. Each value
// is computed with a single rounding, so two spellings of one amount ("0.1", "100m") compare equal.
std::optional<long double> quantity_value(std::string_view text);

// True for resources whose request may be below the limit: the native ones (a name without a prefix or
// with "kubernetes.io/") except hugepages-*. Extended resources (nvidia.com/gpu) and hugepages are not.
bool is_overcommit_allowed(std::string_view resource);

} // namespace kq::project
