#include "project/names.hpp"

#include <fmt/format.h>

namespace kq::project {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

} // namespace

std::optional<std::string> check_dns_label(std::string_view text, std::size_t max_length) {
    if (text.empty()) return "must not be empty";
    if (text.size() > max_length)
        return fmt::format("must be at most {} characters, not {}", max_length, text.size());
    for (const char c : text) {
        if (!is_lower_alnum(c) && c != '-') {
            return "may hold only lowercase letters, digits and \"-\"";
        }
    }
    if (text.front() == '-' || text.back() == '-')
        return "must start and end with a lowercase letter or digit";
    return std::nullopt;
}

std::optional<std::string> check_dns_subdomain(std::string_view text) {
    if (text.empty()) return "must not be empty";
    if (text.size() > 253) return fmt::format("must be at most 253 characters, not {}", text.size());
    for (const char c : text) {
        if (!is_lower_alnum(c) && c != '-' && c != '.') {
            return "may hold only lowercase letters, digits, \"-\" and \".\"";
        }
    }
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = text.find('.', start);
        const std::string_view label = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
        if (label.empty() || label.front() == '-' || label.back() == '-') {
            return "each dot-separated part must start and end with a lowercase letter or digit";
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return std::nullopt;
}

std::optional<std::string> check_qualified_name(std::string_view text) {
    std::string_view name = text;
    if (const std::size_t slash = text.find('/'); slash != std::string_view::npos) {
        if (auto problem = check_dns_subdomain(text.substr(0, slash)))
            return fmt::format("its prefix {}", *problem);
        name = text.substr(slash + 1);
    }
    if (name.empty()) return "the name must not be empty";
    if (name.size() > 63) return fmt::format("the name must be at most 63 characters, not {}", name.size());
    for (const char c : name) {
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
            return "the name may hold only letters, digits, \"-\", \"_\" and \".\" (and one \"/\" after a "
                   "prefix)";
        }
    }
    if (!is_alnum(name.front()) || !is_alnum(name.back())) {
        return "the name must start and end with a letter or digit";
    }
    return std::nullopt;
}

std::optional<std::string> check_label_value(std::string_view text) {
    if (text.empty()) return std::nullopt;
    if (text.size() > 63) return fmt::format("must be at most 63 characters, not {}", text.size());
    for (const char c : text) {
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
            return "may hold only letters, digits, \"-\", \"_\" and \".\"";
        }
    }
    if (!is_alnum(text.front()) || !is_alnum(text.back())) return "must start and end with a letter or digit";
    return std::nullopt;
}

std::optional<std::string> check_env_name(std::string_view text) {
    if (text.empty()) return "must not be empty";
    if (text.find('=') != std::string_view::npos) return "must not contain \"=\"";
    return std::nullopt;
}

std::optional<std::string> check_param_name(std::string_view text) {
    if (text.empty()) return "must not be empty";
    const auto is_start = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (!is_start(text.front())) return "must start with a letter or \"_\"";
    for (const char c : text) {
        if (!is_alnum(c) && c != '_' && c != '-') return "may hold only letters, digits, \"_\" and \"-\"";
    }
    return std::nullopt;
}

std::string dns_label_pattern(std::size_t max_length) {
    return fmt::format("^[a-z0-9]([-a-z0-9]{{0,{}}}[a-z0-9])?$", max_length - 2);
}

} // namespace kq::project
