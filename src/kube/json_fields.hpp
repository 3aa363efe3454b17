#pragma once

#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <climits>
#include <initializer_list>
#include <optional>
#include <string>

namespace kq::kube {

// Walks object keys only, so that an API object of an unexpected shape reads as missing, never throws.
inline const nlohmann::json* lookup(const nlohmann::json& root, std::initializer_list<const char*> keys) {
    const nlohmann::json* node = &root;
    for (const char* key : keys) {
        if (!node->is_object()) return nullptr;
        const auto found = node->find(key);
        if (found == node->end()) return nullptr;
        node = &*found;
    }
    return node;
}

// The string at a key path, or "" when it is missing or not a string.
inline std::string string_at(const nlohmann::json& root, std::initializer_list<const char*> keys) {
    const nlohmann::json* value = lookup(root, keys);
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

// The 32-bit integer at a key path, or nullopt when it is missing, not an integer or out of range.
inline std::optional<int> optional_int_at(const nlohmann::json& root,
                                          std::initializer_list<const char*> keys) {
    const nlohmann::json* value = lookup(root, keys);
    if (value == nullptr || !value->is_number_integer()) return std::nullopt;
    const auto number = value->get<long long>();
    if (number < INT_MIN || number > INT_MAX) return std::nullopt;
    return static_cast<int>(number);
}

// The 32-bit integer at a key path, or fallback.
inline int int_at(const nlohmann::json& root, std::initializer_list<const char*> keys, int fallback) {
    return optional_int_at(root, keys).value_or(fallback);
}

// The RFC 3339 time at a key path, or nullopt when it is missing or not a time.
inline std::optional<TimePoint> time_at(const nlohmann::json& root, std::initializer_list<const char*> keys) {
    const std::string text = string_at(root, keys);
    return text.empty() ? std::nullopt : parse_rfc3339(text);
}

// The array at a key path, or an empty array when it is missing or not an array.
inline const nlohmann::json& array_at(const nlohmann::json& root, std::initializer_list<const char*> keys) {
    static const nlohmann::json empty = nlohmann::json::array();
    const nlohmann::json* value = lookup(root, keys);
    return value != nullptr && value->is_array() ? *value : empty;
}

} // namespace kq::kube
