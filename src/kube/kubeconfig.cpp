#include "kube/kubeconfig.hpp"

#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/files.hpp"
#include "util/text.hpp"
#include "yaml/reader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

namespace kq::kube {
namespace {

[[noreturn]] void config_error(const Location& where, const std::string& message) {
    throw Error(ErrorKind::cluster, fmt::format("{}: {}", where.str(), message));
}

// What the parser of one file needs at hand: the file's name and folder, for locations and paths.
class FileParser {
public:
    explicit FileParser(const std::string& path) : m_path(path) {
        std::error_code ignored;
        m_base = std::filesystem::absolute(std::filesystem::path(path), ignored).parent_path();
    }

    Location where(const YAML::Node& node) const { return yaml::location_of(m_path, node.Mark()); }

    Kubeconfig parse(std::string_view text) {
        Kubeconfig config;
        config.files.push_back(m_path);
        // YAML (and so kubectl) takes UTF-8 text without control characters; yaml-cpp would read other
        // bytes as something else than what was written.
        static constexpr yaml::ReadRules k_rules{.noun = "kubeconfig",
                                                 .max_depth = k_max_kubeconfig_depth,
                                                 .max_values = k_max_kubeconfig_values,
                                                 .depth_advice = "",
                                                 .values_advice = "",
                                                 .refuse_tab_indentation = false};
        yaml::Reader reader(text, m_path, k_rules);
        reader.check_characters(
            [](const yaml::Problem& problem) { config_error(problem.where, problem.message); });
        YAML::Node root;
        try {
            // The first document is read within the limits before yaml-cpp builds its tree of it.
            yaml::IgnoreEvents ignore;
            reader.next_document(ignore);
            root = YAML::Load(std::string(text));
        } catch (const yaml::ReadError& error) {
            config_error(error.problem.where, error.problem.message);
        } catch (const YAML::ParserException& error) {
            config_error({m_path, error.mark.line + 1, error.mark.column + 1},
                         fmt::format("invalid YAML: {}", error.msg));
        }
        // An empty file is an empty configuration, as kubectl reads it.
        if (!root || root.IsNull()) return config;
        if (!root.IsMap())
            config_error(where(root), "a kubeconfig must be a map with clusters, users and contexts");

        for (const auto& item : root) {
            const std::string key = item.first.Scalar();
            const YAML::Node& value = item.second;
            if (key == "apiVersion") {
                const std::string version = scalar(value, "apiVersion");
                if (!version.empty() && version != "v1") {
                    config_error(
                        where(value),
                        fmt::format("apiVersion \"{}\" is not a kubeconfig version; use v1", version));
                }
            } else if (key == "kind") {
                const std::string kind = scalar(value, "kind");
                if (!kind.empty() && kind != "Config") {
                    config_error(where(value),
                                 fmt::format("kind \"{}\" is not a kubeconfig; use Config", kind));
                }
            } else if (key == "current-context") {
                config.current_context = scalar(value, "current-context");
                config.current_context_location = where(value);
            } else if (key == "clusters") {
                parse_list(
                    value, "clusters", "cluster", config.clusters,
                    [this](const YAML::Node& body, ClusterEntry& entry) { parse_cluster(body, entry); });
            } else if (key == "users") {
                parse_list(value, "users", "user", config.users,
                           [this](const YAML::Node& body, UserEntry& entry) { parse_user(body, entry); });
            } else if (key == "contexts") {
                parse_list(
                    value, "contexts", "context", config.contexts,
                    [this](const YAML::Node& body, ContextEntry& entry) { parse_context(body, entry); });
            }
            // preferences and extensions carry nothing kq uses; unknown keys are ignored as kubectl ignores
            // them.
        }
        return config;
    }

private:
    std::string m_path;
    std::filesystem::path m_base;
    std::string m_entry; // `cluster "x"` while parsing that entry, for messages

    std::string prefix() const { return m_entry.empty() ? "" : m_entry + ": "; }

    std::string scalar(const YAML::Node& node, std::string_view field) const {
        if (!node || node.IsNull()) return "";
        if (!node.IsScalar())
            config_error(where(node), fmt::format("{}{}: expected a string", prefix(), field));
        return node.Scalar();
    }

    bool boolean(const YAML::Node& node, std::string_view field) const {
        if (!node || node.IsNull()) return false;
        bool value = false;
        if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
            config_error(where(node), fmt::format("{}{}: expected true or false", prefix(), field));
        }
        return value;
    }

    std::vector<std::string> strings(const YAML::Node& node, std::string_view field) const {
        std::vector<std::string> values;
        if (!node || node.IsNull()) return values;
        if (!node.IsSequence())
            config_error(where(node), fmt::format("{}{}: expected a list of strings", prefix(), field));
        for (const auto& item : node)
            values.push_back(scalar(item, field));
        return values;
    }

    std::string data(const YAML::Node& node, std::string_view field) const {
        const std::string text = scalar(node, field);
        std::optional<std::string> bytes = base64_decode(text);
        if (!bytes) config_error(where(node), fmt::format("{}{}: not valid base64", prefix(), field));
        return *bytes;
    }

    // Makes a relative path absolute against the file's folder, as kubectl resolves them.
    std::string resolve_path(const std::string& path) const {
        if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
        return (m_base / path).lexically_normal().string();
    }

    template <typename Entry, typename ParseBody>
    void parse_list(const YAML::Node& list, std::string_view section, std::string_view kind,
                    std::map<std::string, Entry>& out, ParseBody parse_body) {
        if (!list || list.IsNull()) return;
        if (!list.IsSequence()) config_error(where(list), fmt::format("{}: expected a list", section));
        for (const auto& item : list) {
            if (!item.IsMap()) {
                config_error(where(item),
                             fmt::format("{}: each entry must be a map with name and {}", section, kind));
            }
            m_entry.clear();
            Entry entry;
            entry.location = where(item);
            const YAML::Node name = item["name"];
            entry.name = scalar(name, "name");
            if (entry.name.empty())
                config_error(where(item), fmt::format("{}: an entry has no name", section));
            if (const auto found = out.find(entry.name); found != out.end()) {
                config_error(where(name), fmt::format("duplicate {} \"{}\" (first defined at line {})", kind,
                                                      entry.name, found->second.location.line));
            }
            m_entry = fmt::format("{} \"{}\"", kind, entry.name);
            const YAML::Node body = item[std::string(kind)];
            if (body && !body.IsNull()) {
                if (!body.IsMap())
                    config_error(where(body), fmt::format("{}{}: expected a map", prefix(), kind));
                parse_body(body, entry);
            }
            m_entry.clear();
            out.emplace(entry.name, std::move(entry));
        }
    }

    void parse_cluster(const YAML::Node& body, ClusterEntry& cluster) {
        for (const auto& item : body) {
            const std::string key = item.first.Scalar();
            const YAML::Node& value = item.second;
            cluster.field_locations[key] = where(value);
            if (key == "server")
                cluster.server = scalar(value, key);
            else if (key == "certificate-authority")
                cluster.certificate_authority = resolve_path(scalar(value, key));
            else if (key == "certificate-authority-data")
                cluster.certificate_authority_data = data(value, key);
            else if (key == "insecure-skip-tls-verify")
                cluster.insecure_skip_tls_verify = boolean(value, key);
            else if (key == "tls-server-name")
                cluster.tls_server_name = scalar(value, key);
            else if (key == "proxy-url")
                cluster.proxy_url = scalar(value, key);
            else if (key == "disable-compression")
                cluster.disable_compression = boolean(value, key);
            else if (key == "extensions")
                cluster.exec_extension = exec_extension(value);
        }
    }

    nlohmann::json exec_extension(const YAML::Node& list) const {
        if (!list || list.IsNull()) return nullptr;
        if (!list.IsSequence())
            config_error(where(list), fmt::format("{}extensions: expected a list", prefix()));
        for (const auto& item : list) {
            if (item.IsMap() && item["name"] && item["name"].IsScalar() &&
                item["name"].Scalar() == "client.authentication.k8s.io/exec") {
                return to_json(item["extension"]);
            }
        }
        return nullptr;
    }

    // Converts a YAML node to JSON with the types YAML gives its plain scalars, as Go's YAML reader does.
    static nlohmann::json to_json(const YAML::Node& node) {
        if (!node || node.IsNull()) return nullptr;
        if (node.IsSequence()) {
            nlohmann::json array = nlohmann::json::array();
            for (const auto& item : node)
                array.push_back(to_json(item));
            return array;
        }
        if (node.IsMap()) {
            nlohmann::json object = nlohmann::json::object();
            for (const auto& item : node)
                object[item.first.Scalar()] = to_json(item.second);
            return object;
        }
        const std::string& text = node.Scalar();
        if (node.Tag() == "!") return text; // quoted: always a string
        bool flag = false;
        if (YAML::convert<bool>::decode(node, flag)) return flag;
        long long integer = 0;
        if (YAML::convert<long long>::decode(node, integer)) return integer;
        double real = 0;
        if (YAML::convert<double>::decode(node, real)) return real;
        return text;
    }

    void parse_user(const YAML::Node& body, UserEntry& user) {
        for (const auto& item : body) {
            const std::string key = item.first.Scalar();
            const YAML::Node& value = item.second;
            user.field_locations[key] = where(value);
            if (key == "client-certificate")
                user.client_certificate = resolve_path(scalar(value, key));
            else if (key == "client-certificate-data")
                user.client_certificate_data = data(value, key);
            else if (key == "client-key")
                user.client_key = resolve_path(scalar(value, key));
            else if (key == "client-key-data")
                user.client_key_data = data(value, key);
            else if (key == "token")
                user.token = scalar(value, key);
            else if (key == "tokenFile")
                user.token_file = resolve_path(scalar(value, key));
            else if (key == "username")
                user.username = scalar(value, key);
            else if (key == "password")
                user.password = scalar(value, key);
            else if (key == "as")
                user.impersonate = scalar(value, key);
            else if (key == "as-uid")
                user.impersonate_uid = scalar(value, key);
            else if (key == "as-groups")
                user.impersonate_groups = strings(value, key);
            else if (key == "as-user-extra")
                user.impersonate_extra = extra(value, key);
            else if (key == "auth-provider")
                user.auth_provider = auth_provider(value);
            else if (key == "exec")
                user.exec = exec(value);
        }
    }

    std::map<std::string, std::vector<std::string>> extra(const YAML::Node& node,
                                                          std::string_view field) const {
        std::map<std::string, std::vector<std::string>> values;
        if (!node || node.IsNull()) return values;
        if (!node.IsMap())
            config_error(where(node), fmt::format("{}{}: expected a map of lists", prefix(), field));
        for (const auto& item : node)
            values[item.first.Scalar()] = strings(item.second, field);
        return values;
    }

    std::optional<AuthProviderConfig> auth_provider(const YAML::Node& node) const {
        if (!node || node.IsNull()) return std::nullopt;
        if (!node.IsMap())
            config_error(where(node), fmt::format("{}auth-provider: expected a map", prefix()));
        AuthProviderConfig provider;
        provider.name = scalar(node["name"], "auth-provider: name");
        const YAML::Node config = node["config"];
        if (config && !config.IsNull()) {
            if (!config.IsMap())
                config_error(where(config), fmt::format("{}auth-provider: config: expected a map", prefix()));
            for (const auto& item : config) {
                const std::string key = item.first.Scalar();
                provider.config[key] = scalar(item.second, "auth-provider: config: " + key);
                provider.config_locations[key] = where(item.second);
            }
        }
        return provider;
    }

    std::optional<ExecConfig> exec(const YAML::Node& node) const {
        if (!node || node.IsNull()) return std::nullopt;
        if (!node.IsMap()) config_error(where(node), fmt::format("{}exec: expected a map", prefix()));
        ExecConfig exec;
        for (const auto& item : node) {
            const std::string key = item.first.Scalar();
            const YAML::Node& value = item.second;
            const std::string field = "exec: " + key;
            if (key == "apiVersion")
                exec.api_version = scalar(value, field);
            else if (key == "command")
                exec.command = scalar(value, field);
            else if (key == "args")
                exec.args = strings(value, field);
            else if (key == "installHint")
                exec.install_hint = scalar(value, field);
            else if (key == "provideClusterInfo")
                exec.provide_cluster_info = boolean(value, field);
            else if (key == "interactiveMode")
                exec.interactive_mode = scalar(value, field);
            else if (key == "env") {
                if (value.IsNull()) continue;
                if (!value.IsSequence())
                    config_error(where(value), fmt::format("{}{}: expected a list", prefix(), field));
                for (const auto& variable : value) {
                    if (!variable.IsMap()) {
                        config_error(where(variable),
                                     fmt::format("{}{}: each entry must be a map with name and value",
                                                 prefix(), field));
                    }
                    ExecEnvVar env{scalar(variable["name"], field), scalar(variable["value"], field)};
                    if (env.name.empty())
                        config_error(where(variable),
                                     fmt::format("{}{}: an entry has no name", prefix(), field));
                    exec.env.push_back(std::move(env));
                }
            }
        }
        // A command given as a path is relative to the kubeconfig; a bare name is looked up on PATH.
        if (exec.command.find('/') != std::string::npos) exec.command = resolve_path(exec.command);
        // v1beta1 predates interactiveMode and defaults it, as kubectl does; v1 must say.
        if (exec.interactive_mode.empty() && exec.api_version == "client.authentication.k8s.io/v1beta1") {
            exec.interactive_mode = "IfAvailable";
        }
        return exec;
    }

    void parse_context(const YAML::Node& body, ContextEntry& context) {
        for (const auto& item : body) {
            const std::string key = item.first.Scalar();
            const YAML::Node& value = item.second;
            context.field_locations[key] = where(value);
            if (key == "cluster")
                context.cluster = scalar(value, key);
            else if (key == "user")
                context.user = scalar(value, key);
            else if (key == "namespace")
                context.namespace_name = scalar(value, key);
        }
    }
};

template <typename Entry> Location field_location(const Entry& entry, std::string_view field) {
    const auto found = entry.field_locations.find(std::string(field));
    return found == entry.field_locations.end() ? entry.location : found->second;
}

} // namespace

Location ClusterEntry::at(std::string_view field) const { return field_location(*this, field); }
Location UserEntry::at(std::string_view field) const { return field_location(*this, field); }
Location ContextEntry::at(std::string_view field) const { return field_location(*this, field); }

std::string Kubeconfig::source() const { return fmt::format("{}", fmt::join(files, ":")); }

Kubeconfig parse_kubeconfig(std::string_view text, const std::string& path) {
    return FileParser(path).parse(text);
}

Kubeconfig load_kubeconfig_file(const std::string& path) {
    const FileText file = read_text(path, k_max_kubeconfig_bytes);
    if (file.too_large) {
        fail(ErrorKind::cluster, "{}: the kubeconfig is larger than {} MiB; name the right file", path,
             k_max_kubeconfig_bytes >> 20);
    }
    if (!file.text) fail(ErrorKind::cluster, "{}: cannot read the kubeconfig: {}", path, file.error);
    return parse_kubeconfig(*file.text, path);
}

Kubeconfig merge_kubeconfigs(const std::vector<Kubeconfig>& files) {
    Kubeconfig merged;
    for (const Kubeconfig& file : files) {
        merged.files.insert(merged.files.end(), file.files.begin(), file.files.end());
        if (merged.current_context.empty() && !file.current_context.empty()) {
            merged.current_context = file.current_context;
            merged.current_context_location = file.current_context_location;
        }
        // emplace keeps an existing entry: the first file to define a name wins it, never field by field.
        for (const auto& [name, entry] : file.clusters)
            merged.clusters.emplace(name, entry);
        for (const auto& [name, entry] : file.users)
            merged.users.emplace(name, entry);
        for (const auto& [name, entry] : file.contexts)
            merged.contexts.emplace(name, entry);
    }
    return merged;
}

std::optional<Kubeconfig> load_kubeconfig(const KubeconfigSearch& search) {
    KubeconfigLookup lookup = find_kubeconfig(search);
    if (!lookup.missing_env_files.empty()) {
        fail(ErrorKind::cluster, "KUBECONFIG: none of its files exists: {}",
             fmt::join(lookup.missing_env_files, ", "));
    }
    return std::move(lookup.kubeconfig);
}

KubeconfigLookup find_kubeconfig(const KubeconfigSearch& search) {
    namespace fs = std::filesystem;
    if (!search.explicit_path.empty()) {
        std::error_code error;
        if (!fs::exists(search.explicit_path, error)) {
            fail(ErrorKind::cluster, "--kubeconfig: \"{}\" does not exist", search.explicit_path);
        }
        return {load_kubeconfig_file(search.explicit_path), {}};
    }

    if (search.kubeconfig_env && !search.kubeconfig_env->empty()) {
        std::vector<std::string> paths;
        std::set<std::string> seen;
        size_t start = 0;
        const std::string& list = *search.kubeconfig_env;
        while (start <= list.size()) {
            size_t end = list.find(':', start);
            if (end == std::string::npos) end = list.size();
            std::string path = list.substr(start, end - start);
            if (!path.empty() && seen.insert(path).second) paths.push_back(std::move(path));
            start = end + 1;
        }
        std::vector<Kubeconfig> loaded;
        for (const std::string& path : paths) {
            std::error_code error;
            if (!fs::exists(path, error)) continue;
            loaded.push_back(load_kubeconfig_file(path));
        }
        // kubectl reads no other file then, not even ~/.kube/config.
        if (loaded.empty() && !paths.empty()) return {std::nullopt, paths};
        if (!loaded.empty()) return {merge_kubeconfigs(loaded), {}};
    }

    if (!search.home.empty()) {
        const std::string path = (fs::path(search.home) / ".kube" / "config").string();
        std::error_code error;
        if (fs::exists(path, error)) return {load_kubeconfig_file(path), {}};
    }
    return {};
}

} // namespace kq::kube
