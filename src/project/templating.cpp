#include "project/templating.hpp"

#include "util/text.hpp"

#include <fmt/format.h>

namespace kq::project {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

constexpr const char* k_expression_hint = "use {{ params.NAME }}, {{ env.NAME }} or {{ \"text\" }}";

} // namespace

bool is_template(std::string_view text) { return text.find("{{") != std::string_view::npos; }

std::vector<TemplatePart> parse_template(std::string_view text, std::string& error) {
    std::vector<TemplatePart> parts;
    std::string literal;
    std::size_t i = 0;
    const auto flush = [&] {
        if (!literal.empty()) parts.push_back({TemplatePart::Kind::text, std::move(literal)});
        literal.clear();
    };
    while (i < text.size()) {
        if (text.compare(i, 2, "{{") != 0) {
            literal += text[i++];
            continue;
        }
        const std::size_t open = i;
        i += 2;
        while (i < text.size() && is_space(text[i]))
            ++i;
        TemplatePart part;
        if (i < text.size() && text[i] == '"') {
            // A string literal: the way to write "{{" and "}}" themselves.
            ++i;
            std::string value;
            bool closed = false;
            while (i < text.size()) {
                const char c = text[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\' && i < text.size()) {
                    const char escaped = text[i++];
                    if (escaped == 'n') {
                        value += '\n';
                    } else if (escaped == 't') {
                        value += '\t';
                    } else if (escaped == '"' || escaped == '\\') {
                        value += escaped;
                    } else {
                        error = fmt::format(
                            "unknown escape \"\\{}\" in a {{{{ \"...\" }}}} literal; use \\\" or \\\\",
                            escaped);
                        return {};
                    }
                    continue;
                }
                value += c;
            }
            if (!closed) {
                error = "unterminated string literal in \"{{\"; close it with '\"'";
                return {};
            }
            part = {TemplatePart::Kind::text, std::move(value)};
        } else {
            const std::size_t start = i;
            while (i < text.size() && (is_name_char(text[i]) || text[i] == '.'))
                ++i;
            const std::string_view expression = text.substr(start, i - start);
            if (starts_with(expression, "params.") && expression.size() > 7 &&
                expression.find('.', 7) == std::string_view::npos) {
                part = {TemplatePart::Kind::param, std::string(expression.substr(7))};
            } else if (starts_with(expression, "env.") && expression.size() > 4 &&
                       expression.find('.', 4) == std::string_view::npos) {
                part = {TemplatePart::Kind::env, std::string(expression.substr(4))};
            } else {
                const std::size_t close = text.find("}}", open + 2);
                if (close == std::string_view::npos) {
                    error = "unterminated \"{{\"; close it with \"}}\", or write a literal \"{{\" as {{ "
                            "\"{{\" }}";
                } else {
                    std::string_view inside = text.substr(open + 2, close - open - 2);
                    while (!inside.empty() && is_space(inside.front()))
                        inside.remove_prefix(1);
                    while (!inside.empty() && is_space(inside.back()))
                        inside.remove_suffix(1);
                    error = fmt::format("unknown expression {} in \"{{{{ }}}}\"; {}", quote(inside),
                                        k_expression_hint);
                }
                return {};
            }
        }
        while (i < text.size() && is_space(text[i]))
            ++i;
        if (text.compare(i, 2, "}}") != 0) {
            if (text.find("}}", i) == std::string_view::npos) {
                error =
                    "unterminated \"{{\"; close it with \"}}\", or write a literal \"{{\" as {{ \"{{\" }}";
            } else {
                error = fmt::format("unexpected {} in \"{{{{ }}}}\"; {}", quote(text.substr(i, 1)),
                                    k_expression_hint);
            }
            return {};
        }
        i += 2;
        if (part.kind == TemplatePart::Kind::text) {
            literal += part.value;
        } else {
            flush();
            parts.push_back(std::move(part));
        }
    }
    flush();
    return parts;
}

std::optional<std::string> expand_template(std::string_view text, const TemplateValues& values,
                                           std::string& error) {
    if (!is_template(text)) return std::string(text);
    const std::vector<TemplatePart> parts = parse_template(text, error);
    if (!error.empty()) return std::nullopt;
    std::string result;
    for (const TemplatePart& part : parts) {
        switch (part.kind) {
        case TemplatePart::Kind::text: result += part.value; break;
        case TemplatePart::Kind::param: {
            const auto found = values.params == nullptr ? std::map<std::string, std::string>::const_iterator{}
                                                        : values.params->find(part.value);
            if (values.params == nullptr || found == values.params->end()) {
                error = fmt::format("unknown param {} in {{{{ params.{} }}}}", quote(part.value), part.value);
                return std::nullopt;
            }
            result += found->second;
            break;
        }
        case TemplatePart::Kind::env: {
            std::optional<std::string> value = values.env ? values.env(part.value) : std::nullopt;
            if (!value) {
                error =
                    fmt::format("environment variable {} is not set; set it or stop using {{{{ env.{} }}}}",
                                quote(part.value), part.value);
                return std::nullopt;
            }
            result += *value;
            break;
        }
        }
    }
    return result;
}

} // namespace kq::project
