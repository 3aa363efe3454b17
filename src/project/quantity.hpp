#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kq::project {

// Checks text against Kubernetes' resource quantity grammar: an optional sign, digits with an
// optional decimal point, then a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (n u m k M G T
// P E) or a decimal exponent (e3, E-2). Returns nullopt when valid, else why not.
std::optional<std::string> check_quantity(std::string_view text);

// True when a valid quantity is below zero; Kubernetes refuses negative requests and limits.
bool is_negative_quantity(std::string_view text);

} // namespace kq::project
