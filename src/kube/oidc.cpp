#include "kube/oidc.hpp"

#include "kube/transport.hpp"
#include "kube/url.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace kq::kube {
namespace {

constexpr std::chrono::milliseconds k_oidc_timeout{30000};
constexpr std::size_t k_max_kubeconfig_file = 16 * 1024 * 1024;

// Decodes base64url without padding, as JWT segments are written.
std::optional<std::string> base64url_decode(std::string_view text) {
    std::string standard(text);
    for (char& c : standard) {
        if (c == '-') c = '+';
        if (c == '_') c = '/';
    }
    while (standard.size() % 4 != 0)
        standard += '=';
    return base64_decode(standard);
}

// An http(s) URL split into the base a Transport is made for and the target below it.
struct OidcEndpoint {
    std::string base;
    std::string target;
};

// Splits `url`, refusing plain http except to this machine: the refresh token and client secret travel
// in the request.
OidcEndpoint endpoint_of(const std::string& url, const std::string& what, const std::string& user) {
    const std::optional<Url> parsed = parse_url(url);
    if (!parsed || (parsed->scheme != "https" && parsed->scheme != "http")) {
        fail(ErrorKind::cluster, "user \"{}\": oidc: {} \"{}\" is not an https URL", user, what, url);
    }
    const bool loopback = parsed->host == "127.0.0.1" || parsed->host == "::1" || parsed->host == "localhost";
    if (parsed->scheme != "https" && !loopback) {
        fail(ErrorKind::cluster,
             "user \"{}\": oidc: {} \"{}\" is not https; kq sends the refresh token only over TLS", user,
             what, parsed->redacted());
    }
    const size_t authority = url.find("://") + 3;
    const size_t path = url.find_first_of("/?#", authority);
    OidcEndpoint endpoint;
    endpoint.base = url.substr(0, path);
    endpoint.target = path == std::string::npos ? "/" : url.substr(path, url.find('#', path) - path);
    if (endpoint.target.front() != '/') endpoint.target.insert(0, "/");
    return endpoint;
}

HttpResponse send(const OidcConfig& oidc, const ProxyEnvironment& proxy, const OidcEndpoint& endpoint,
                  HttpRequest request) {
    TransportConfig config;
    config.server = endpoint.base;
    config.ca_pem = oidc.ca_pem;
    if (const std::optional<Url> url = parse_url(endpoint.base))
        config.proxy_url = proxy_from_environment(*url, proxy);
    config.user_agent = "kq";
    Transport transport(config);
    request.target = endpoint.target;
    request.timeout = k_oidc_timeout;
    return transport.perform(std::move(request));
}

std::string response_problem(const HttpResponse& response) {
    if (response.status == 0) {
        return response.error_detail.empty() ? "no response"
                                             : fmt::format("no response ({})", response.error_detail);
    }
    std::string problem = fmt::format("HTTP {} {}", response.status, reason_phrase(response.status));
    // An OAuth error names itself in `error` and `error_description`; the rest of the body is not shown.
    const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_object() && body.contains("error") && body["error"].is_string()) {
        problem += fmt::format(" ({}", body["error"].get<std::string>());
        if (body.contains("error_description") && body["error_description"].is_string())
            problem += ": " + body["error_description"].get<std::string>();
        problem += ")";
    }
    return problem;
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
    return encode_query(fields);
}

// A YAML node as JSON with every scalar a string, to compare two parses of a file.
nlohmann::json plain(const YAML::Node& node) {
    if (!node || node.IsNull()) return nullptr;
    if (node.IsSequence()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& item : node)
            array.push_back(plain(item));
        return array;
    }
    if (node.IsMap()) {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& item : node)
            object[item.first.Scalar()] = plain(item.second);
        return object;
    }
    return node.Scalar();
}

// A value written as a plain YAML scalar when that reads back unchanged, else double-quoted.
std::string yaml_scalar(const std::string& value) {
    bool plain_ok = !value.empty();
    for (const char c : value) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                          c == '-' || c == '_' || c == '.' || c == '/' || c == '+' || c == '=' || c == '~';
        plain_ok = plain_ok && safe;
    }
    if (plain_ok && value.front() != '-' && value.front() != '.') return value;
    return nlohmann::json(value).dump(); // JSON's escapes are YAML's double-quoted escapes
}

// Where a scalar value was written in `text`: from its first byte to just past its last.
std::optional<std::pair<size_t, size_t>> scalar_span(std::string_view text, const YAML::Node& node) {
    const size_t start = static_cast<size_t>(node.Mark().pos);
    if (node.Mark().is_null() || start >= text.size()) return std::nullopt;
    const char first = text[start];
    if (first == '"' || first == '\'') {
        for (size_t i = start + 1; i < text.size(); ++i) {
            if (first == '"' && text[i] == '\\') {
                ++i;
            } else if (text[i] == first) {
                if (first == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                    ++i;
                    continue;
                }
                return std::make_pair(start, i + 1);
            }
        }
        return std::nullopt;
    }
    if (first == '|' || first == '>' || first == '&' || first == '*' || first == '!') return std::nullopt;
    size_t end = start;
    while (end < text.size() && text[end] != '\n' && text[end] != '\r' && text[end] != ',' &&
           text[end] != '}' && text[end] != ']' &&
           !(text[end] == '#' && end > start && text[end - 1] == ' ')) {
        ++end;
    }
    while (end > start && (text[end - 1] == ' ' || text[end - 1] == '\t'))
        --end;
    // A plain scalar spread over lines, or one this scan misread, is not rewritten.
    if (text.substr(start, end - start) != node.Scalar()) return std::nullopt;
    return std::make_pair(start, end);
}

} // namespace

std::chrono::system_clock::time_point jwt_expiry(std::string_view token, const std::string& owner) {
    const size_t first = token.find('.');
    const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
        fail(ErrorKind::cluster, "{}: the oidc id-token is not a JWT (three dot-separated parts)", owner);
    }
    const std::optional<std::string> payload = base64url_decode(token.substr(first + 1, second - first - 1));
    if (!payload) fail(ErrorKind::cluster, "{}: the oidc id-token's payload is not base64url", owner);
    const nlohmann::json claims = nlohmann::json::parse(*payload, nullptr, false);
    if (!claims.is_object())
        fail(ErrorKind::cluster, "{}: the oidc id-token's payload is not a JSON object", owner);
    const auto exp = claims.find("exp");
    if (exp == claims.end() || !exp->is_number()) return {};
    return std::chrono::system_clock::time_point(
        std::chrono::seconds(static_cast<long long>(exp->get<double>())));
}

OidcTokens refresh_oidc_tokens(const OidcConfig& oidc, const std::string& user,
                               const ProxyEnvironment& proxy) {
    std::string issuer = oidc.issuer_url;
    while (issuer.ends_with('/'))
        issuer.pop_back();
    const std::string discovery = issuer + "/.well-known/openid-configuration";
    HttpRequest request;
    request.headers = {{"Accept", "application/json"}};
    const HttpResponse found = send(oidc, proxy, endpoint_of(discovery, "idp-issuer-url", user), request);
    if (found.status != 200) {
        fail(ErrorKind::cluster, "user \"{}\": oidc: discovery at {} failed: {}", user, discovery,
             response_problem(found));
    }
    const nlohmann::json document = nlohmann::json::parse(found.body, nullptr, false);
    if (!document.is_object() || !document.contains("token_endpoint") ||
        !document["token_endpoint"].is_string()) {
        fail(ErrorKind::cluster, "user \"{}\": oidc: the discovery document at {} names no token_endpoint",
             user, discovery);
    }
    const std::string token_url = document["token_endpoint"].get<std::string>();
    const OidcEndpoint token_endpoint = endpoint_of(token_url, "token_endpoint", user);

    // As Go's oauth2 package does by default: the client's id and secret in HTTP basic auth first, and,
    // if the endpoint refuses that, in the form.
    HttpResponse answer;
    for (const bool in_header : {true, false}) {
        std::vector<std::pair<std::string, std::string>> fields = {{"grant_type", "refresh_token"},
                                                                   {"refresh_token", oidc.refresh_token}};
        HttpRequest post;
        post.method = "POST";
        post.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                        {"Accept", "application/json"}};
        if (in_header) {
            post.authorization = "Basic " + base64_encode(percent_encode(oidc.client_id) + ":" +
                                                          percent_encode(oidc.client_secret));
        } else {
            fields.emplace_back("client_id", oidc.client_id);
            if (!oidc.client_secret.empty()) fields.emplace_back("client_secret", oidc.client_secret);
        }
        post.body = form(fields);
        answer = send(oidc, proxy, token_endpoint, std::move(post));
        if (answer.status / 100 == 2 || answer.status == 0) break;
    }
    if (answer.status / 100 != 2) {
        fail(ErrorKind::cluster, "user \"{}\": oidc: refreshing the id-token at {} failed: {}; log in again",
             user, parse_url(token_url)->redacted(), response_problem(answer));
    }
    const nlohmann::json tokens = nlohmann::json::parse(answer.body, nullptr, false);
    if (!tokens.is_object()) {
        fail(ErrorKind::cluster, "user \"{}\": oidc: the token endpoint {} answered no JSON object", user,
             parse_url(token_url)->redacted());
    }
    const auto text = [&](const char* field) {
        const auto value = tokens.find(field);
        return value != tokens.end() && value->is_string() ? value->get<std::string>() : std::string();
    };
    if (text("access_token").empty()) {
        fail(ErrorKind::cluster, "user \"{}\": oidc: the token endpoint's answer holds no access_token",
             user);
    }
    OidcTokens result{text("id_token"), text("refresh_token")};
    if (result.id_token.empty()) {
        fail(ErrorKind::cluster,
             "user \"{}\": oidc: the token endpoint's answer holds no id_token: either the scope \"openid\" "
             "was not requested at login, or the provider does not return id tokens on refresh",
             user);
    }
    if (result.refresh_token.empty()) result.refresh_token = oidc.refresh_token;
    return result;
}

std::string rewrite_oidc_tokens(std::string_view text, const std::string& path, const std::string& user,
                                const OidcTokens& tokens) {
    const auto refuse = [&](const std::string& why) {
        fail(ErrorKind::cluster, "{}: can't write the refreshed oidc tokens of user \"{}\": {}", path, user,
             why);
    };
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception&) {
        refuse("the file no longer parses");
    }
    YAML::Node config;
    if (root.IsMap() && root["users"] && root["users"].IsSequence()) {
        for (const auto& entry : root["users"]) {
            if (entry.IsMap() && entry["name"] && entry["name"].IsScalar() &&
                entry["name"].Scalar() == user && entry["user"] && entry["user"].IsMap() &&
                entry["user"]["auth-provider"] && entry["user"]["auth-provider"].IsMap()) {
                config = entry["user"]["auth-provider"]["config"];
            }
        }
    }
    if (!config || !config.IsMap() || config.size() == 0)
        refuse("it no longer defines the user's auth-provider config");

    // Replacements from the end of the file backwards, so that earlier offsets stay valid.
    std::vector<std::pair<std::pair<size_t, size_t>, std::string>> edits;
    std::vector<std::pair<std::string, std::string>> missing;
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"id-token", tokens.id_token},
          std::pair<std::string, std::string>{"refresh-token", tokens.refresh_token}}) {
        const YAML::Node node = config[key];
        if (!node) {
            missing.emplace_back(key, value);
            continue;
        }
        if (!node.IsScalar()) refuse(fmt::format("its {} is not a string", key));
        const auto span = scalar_span(text, node);
        if (!span) refuse(fmt::format("its {} is written in a form kq does not rewrite", key));
        const char quote = text[span->first];
        std::string written = yaml_scalar(value);
        if (quote == '"') written = nlohmann::json(value).dump();
        if (quote == '\'' && value.find('\'') == std::string::npos) written = "'" + value + "'";
        edits.push_back({*span, written});
    }
    if (!missing.empty()) {
        // A key the config lacks goes before its first key, indented as that one is.
        const YAML::Node first_key = config.begin()->first;
        const size_t at = static_cast<size_t>(first_key.Mark().pos);
        const bool flow = config.Style() == YAML::EmitterStyle::Flow;
        const size_t newline = at == 0 ? std::string_view::npos : text.rfind('\n', at - 1);
        const size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
        std::string inserted;
        for (const auto& [key, value] : missing) {
            if (flow) {
                inserted += fmt::format("{}: {}, ", key, yaml_scalar(value));
            } else {
                inserted +=
                    fmt::format("{}{}: {}\n", std::string(at - line_start, ' '), key, yaml_scalar(value));
            }
        }
        if (!flow &&
            text.substr(line_start, at - line_start).find_first_not_of(' ') != std::string_view::npos) {
            refuse("its auth-provider config is laid out in a way kq does not extend");
        }
        edits.push_back({{flow ? at : line_start, flow ? at : line_start}, inserted});
    }
    std::sort(edits.begin(), edits.end(),
              [](const auto& a, const auto& b) { return a.first.first > b.first.first; });
    std::string result(text);
    for (const auto& [span, written] : edits)
        result.replace(span.first, span.second - span.first, written);

    // The file must read back as before with only the two values changed, or it is not written.
    nlohmann::json expected = plain(root);
    YAML::Node again;
    try {
        again = YAML::Load(result);
    } catch (const YAML::Exception&) {
        refuse("the rewritten file would not parse");
    }
    for (auto& entry : expected["users"]) {
        if (entry["name"] == user && entry["user"].is_object()) {
            nlohmann::json& values = entry["user"]["auth-provider"]["config"];
            values["id-token"] = tokens.id_token;
            values["refresh-token"] = tokens.refresh_token;
        }
    }
    if (plain(again) != expected) refuse("rewriting them would change more than the two values");
    return result;
}

void persist_oidc_tokens(const std::string& path, const std::string& user, const OidcTokens& tokens) {
    namespace fs = std::filesystem;
    // A kubeconfig that is a symbolic link is written where it points, as kubectl writes through it.
    std::error_code error;
    const fs::path target = fs::canonical(path, error);
    if (error)
        fail(ErrorKind::cluster, "{}: can't write the refreshed oidc tokens: {}", path, error.message());
    const FileText file = read_text(target.string(), k_max_kubeconfig_file);
    if (!file.text)
        fail(ErrorKind::cluster, "{}: can't write the refreshed oidc tokens: cannot read it: {}", path,
             file.error);
    const std::string text = rewrite_oidc_tokens(*file.text, path, user, tokens);

    struct stat info {};
    if (stat(target.c_str(), &info) != 0) {
        fail(ErrorKind::cluster, "{}: can't write the refreshed oidc tokens: {}", path, std::strerror(errno));
    }
    std::string temporary =
        (target.parent_path() / ("." + target.filename().string() + ".kq-XXXXXX")).string();
    const int fd = mkstemp(temporary.data());
    if (fd < 0) {
        fail(ErrorKind::cluster,
             "{}: can't write the refreshed oidc tokens: cannot create a file beside it: {}", path,
             std::strerror(errno));
    }
    const auto give_up = [&](const std::string& what) {
        const std::string reason = std::strerror(errno);
        close(fd);
        unlink(temporary.c_str());
        fail(ErrorKind::cluster, "{}: can't write the refreshed oidc tokens: {}: {}", path, what, reason);
    };
    if (fchmod(fd, info.st_mode & 07777) != 0) give_up("cannot set the mode");
    // Keep the owner too where allowed (root editing a user's file); failing that is no error.
    if (fchown(fd, info.st_uid, info.st_gid) != 0) {
    }
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t count = write(fd, text.data() + written, text.size() - written);
        if (count < 0 && errno == EINTR) continue;
        if (count <= 0) give_up("cannot write");
        written += static_cast<size_t>(count);
    }
    if (fsync(fd) != 0) give_up("cannot write");
    if (close(fd) != 0) {
        unlink(temporary.c_str());
        fail(ErrorKind::cluster, "{}: can't write the refreshed oidc tokens: {}", path, std::strerror(errno));
    }
    if (rename(temporary.c_str(), target.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        unlink(temporary.c_str());
        fail(ErrorKind::cluster, "{}: can't write the refreshed oidc tokens: {}", path, reason);
    }
}

} // namespace kq::kube
