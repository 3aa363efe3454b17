#pragma once

#include <nlohmann/json.hpp>

#include <initializer_list>
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

} // namespace kq::kube
