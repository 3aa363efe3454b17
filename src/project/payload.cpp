// The job's `payload` key: what payload `kq submit --payload` accepts and how it is delivered
// (jobs/payload.cpp does the delivering).

#include "project/fields.hpp"
#include "project/names.hpp"
#include "project/project.hpp"
#include "project/schema.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <cstdint>

namespace kq::project {
namespace {

// A media type as RFC 6838 names one: "type/subtype", each of letters, digits and !#$&-^_.+
bool is_media_type(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             std::string_view("!#$&-^_.+").find(c) != std::string_view::npos;
        if (!allowed && i != slash) return false;
    }
    return text.find('/', slash + 1) == std::string_view::npos;
}

} // namespace

bool PayloadDef::is_json() const {
    std::string type = content_type;
    for (char& c : type)
        c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return type == "application/json" || type.ends_with("+json");
}

std::optional<nlohmann::json> FieldConverter::payload(const SourceNode& value) {
    if (!expect(value, NodeKind::map, "payload",
                "a map of required, maxBytes, contentType, secret and env")) {
        return std::nullopt;
    }
    check_keys(value, k_payload_keys, "payload");
    nlohmann::json result = nlohmann::json::object();
    bool ok = true;
    for (const SourceEntry& entry : value.entries) {
        const std::string path = fmt::format("payload.{}", entry.key);
        const SourceNode& item = entry.value;
        // The payload's rules are the definition's, the same for every submit: no templates.
        if (item.kind == NodeKind::scalar && is_template(item.text)) {
            m_diagnostics.add(item.location, fmt::format("{} in {} can't hold a template", path, m_owner));
            ok = false;
            continue;
        }
        if (entry.key == "required" || entry.key == "secret") {
            auto flag = boolean(item, path);
            if (!flag) {
                ok = false;
                continue;
            }
            result[entry.key] = *flag;
        } else if (entry.key == "maxBytes") {
            auto number = count(item, path);
            if (!number) {
                ok = false;
                continue;
            }
            const auto bytes = number->get<std::int64_t>();
            if (bytes < 1 || static_cast<std::size_t>(bytes) > k_max_payload_bytes) {
                invalid(item, path, item.text, fmt::format("must be 1 to {}", k_max_payload_bytes));
                ok = false;
                continue;
            }
            result[entry.key] = bytes;
        } else if (entry.key == "contentType" || entry.key == "env") {
            auto text_value = text(item, path);
            if (!text_value) {
                ok = false;
                continue;
            }
            std::optional<std::string> problem;
            if (entry.key == "contentType" && !is_media_type(*text_value)) {
                problem = "must be a media type such as \"application/json\" or \"text/plain\"";
            } else if (entry.key == "env") {
                problem = check_env_name(*text_value);
                if (!problem && *text_value == k_payload_file_env)
                    problem = "kq sets it to the payload's path";
            }
            if (problem) {
                invalid(item, path, *text_value, *problem);
                ok = false;
                continue;
            }
            result[entry.key] = std::move(*text_value);
        }
    }
    if (!ok) return std::nullopt;
    return result;
}

PayloadDef payload_def(const nlohmann::json& converted) {
    PayloadDef def;
    def.required = converted.value("required", false);
    if (converted.contains("maxBytes")) def.max_bytes = converted["maxBytes"].get<std::size_t>();
    def.content_type = converted.value("contentType", "");
    def.secret = converted.value("secret", false);
    def.env = converted.value("env", "");
    return def;
}

} // namespace kq::project
