// End-to-end: every golden manifest that kq renders is accepted by the real API server's own schema
// validation and admission (POST with dryRun=All), so kq never renders a Job the server would refuse.

#include "e2e_helpers.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <filesystem>

using namespace kq::e2e;

namespace {

// yaml-cpp nodes to JSON, keeping YAML's scalars as kq's renderer wrote them (it quotes strings that
// would read as another type, so an unquoted scalar that parses as a number is one).
nlohmann::json to_json(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Map: {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& entry : node)
            object[entry.first.as<std::string>()] = to_json(entry.second);
        return object;
    }
    case YAML::NodeType::Sequence: {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& item : node)
            array.push_back(to_json(item));
        return array;
    }
    case YAML::NodeType::Scalar: {
        const std::string text = node.Scalar();
        if (node.Tag() == "!") return text; // quoted
        if (text == "true" || text == "false") return text == "true";
        if (text == "null" || text == "~") return nullptr;
        try {
            size_t used = 0;
            const long long number = std::stoll(text, &used);
            if (used == text.size()) return number;
        } catch (const std::exception&) {
        }
        return text;
    }
    default: return nullptr;
    }
}

} // namespace

TEST_SUITE("golden") {

    TEST_CASE("the API server accepts every golden manifest (dryRun=All)") {
        TestNamespace ns("kq-golden");
        auto client = cluster_client("admin");
        int checked = 0;
        for (const auto& entry : std::filesystem::directory_iterator(source_path("tests/golden"))) {
            const std::string path = entry.path().string();
            nlohmann::json manifest;
            if (entry.path().extension() == ".json") {
                manifest = nlohmann::json::parse(read_file(path));
            } else if (entry.path().extension() == ".yaml") {
                manifest = to_json(YAML::LoadFile(path));
            } else {
                continue;
            }
            CAPTURE(path);
            // The goldens name their own namespaces; the test's one exists, the others may not.
            manifest["metadata"]["namespace"] = ns.name();
            const std::string resource = manifest.value("kind", "") == "CronJob" ? "/cronjobs" : "/jobs";
            CHECK_NOTHROW(client->call(kq::kube::ApiRequest{
                "POST", "/apis/batch/v1/namespaces/" + ns.name() + resource, {{"dryRun", "All"}}, manifest}));
            ++checked;
        }
        CHECK(checked >= 20);
        MESSAGE("golden manifests accepted by the API server: " << checked);
    }

} // TEST_SUITE
