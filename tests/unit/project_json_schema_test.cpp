// The JSON Schema of kq.yaml (`kq schema`): made from the loader's tables, described by kq.yaml(5), its
// patterns agreeing with the loader's checks. tests/schema/schema_test.py validates files against it.

#include "project/json_schema.hpp"
#include "project/names.hpp"
#include "project/quantity.hpp"
#include "project/schema.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

std::set<std::string> keys_of(const json& object) {
    std::set<std::string> keys;
    for (auto entry = object.begin(); entry != object.end(); ++entry)
        keys.insert(entry.key());
    return keys;
}

bool is_job_only(std::string_view key) {
    return std::find(kq::project::k_job_only_keys.begin(), kq::project::k_job_only_keys.end(), key) !=
           kq::project::k_job_only_keys.end();
}

bool matches(std::string_view pattern, const std::string& text) {
    return std::regex_search(text, std::regex(std::string(pattern), std::regex::ECMAScript));
}

// Strings near the edges of the naming rules and the quantity grammar.
const std::vector<std::string> k_samples = {
    "",
    "a",
    "A",
    "0",
    "-",
    "_",
    ".",
    "a-b",
    "a_b",
    "a.b",
    "a..b",
    "-a",
    "a-",
    "a.",
    ".a",
    "_a",
    "a_",
    "A-b",
    "ab.cd-ef",
    "ab/cd",
    "ab.cd/ef",
    "ab.cd/Ef_g.h",
    "Ab/cd",
    "a/b/c",
    "/a",
    "a/",
    "a/-b",
    "example.com/gpu",
    "kq.dev/x",
    "app.kubernetes.io/name",
    "has space",
    "a=b",
    "=",
    "é",
    "x9",
    "9x",
    std::string(56, 'a'),
    std::string(57, 'a'),
    std::string(58, 'a'),
    std::string(63, 'a'),
    std::string(64, 'a'),
    std::string(63, 'a') + ".b",
    "p/" + std::string(63, 'a'),
    "p/" + std::string(64, 'a'),
    "1",
    "+1",
    "-1",
    "-0",
    "-0.0",
    "-.0",
    "0.5",
    ".5",
    "5.",
    "1e3",
    "1E3",
    "1e-3",
    "1e+3",
    "1e",
    "1E",
    "100m",
    "64Mi",
    "1Gi",
    "2k",
    "2K",
    "1MB",
    "1 GB",
    "-1Gi",
    "-0Gi",
    "0x10",
    "1.2.3",
    "e3",
    "m",
    "1Ki",
    "1Ei",
    "1E",
    "1n",
    "1u",
    "1P",
    "+.5m",
    "-0.5",
    std::string(64, '1'),
    std::string(65, '1'),
};

} // namespace

TEST_SUITE_BEGIN("json_schema");

TEST_CASE("every job key is in the schema of a job and of defaults, described by kq.yaml(5)") {
    const json schema = kq::project::project_json_schema();
    const json& job = schema["$defs"]["job"];
    const json& defaults = schema["$defs"]["defaults"];
    std::set<std::string> job_keys;
    std::set<std::string> defaults_keys;
    for (const kq::project::FieldSpec& field : kq::project::job_fields()) {
        const std::string key(field.key);
        CAPTURE(key);
        job_keys.insert(key);
        if (!is_job_only(field.key)) defaults_keys.insert(key);
        CHECK_FALSE(kq::project::man_description("JOB KEYS", field.key).empty());
        REQUIRE(job["properties"].contains(key));
        CHECK(job["properties"][key]["description"] == kq::project::man_description("JOB KEYS", field.key));
    }
    CHECK(keys_of(job["properties"]) == job_keys);
    CHECK(keys_of(defaults["properties"]) == defaults_keys);
    CHECK(job["additionalProperties"] == false);
    CHECK(defaults["additionalProperties"] == false);
    // defaults may supply the image, so a job alone needs none; the file as a whole does (below).
    CHECK_FALSE(job.contains("required"));
}

TEST_CASE("the top level, params and the nested maps have the loader's keys") {
    const json schema = kq::project::project_json_schema();
    CHECK(schema["$schema"] == "https://json-schema.org/draft/2020-12/schema");
    CHECK(keys_of(schema["properties"]) ==
          std::set<std::string>(kq::project::k_project_keys.begin(), kq::project::k_project_keys.end()));
    CHECK(schema["required"] == json::array({"version", "jobs"}));
    CHECK(schema["additionalProperties"] == false);
    CHECK(schema["properties"]["version"]["const"] == 1);
    for (const std::string_view key : kq::project::k_project_keys) {
        CAPTURE(key);
        CHECK_FALSE(kq::project::man_description("TOP-LEVEL KEYS", key).empty());
        CHECK(schema["properties"][std::string(key)]["description"] ==
              kq::project::man_description("TOP-LEVEL KEYS", key));
    }
    const json& param = schema["$defs"]["job"]["properties"]["params"]["additionalProperties"];
    CHECK(keys_of(param["properties"]) ==
          std::set<std::string>(kq::project::k_param_keys.begin(), kq::project::k_param_keys.end()));
    for (const std::string_view key : kq::project::k_param_keys) {
        CAPTURE(key);
        CHECK_FALSE(kq::project::man_description("PARAMS", key).empty());
    }
    const json& resources = schema["$defs"]["job"]["properties"]["resources"];
    CHECK(keys_of(resources["properties"]) == std::set<std::string>{"requests", "limits"});
    const json& env_from = schema["$defs"]["job"]["properties"]["envFrom"]["items"];
    CHECK(keys_of(env_from["properties"]) == std::set<std::string>{"configMapRef", "secretRef", "prefix"});
    // Every job needs an image, its own or from defaults.
    CHECK(schema["else"]["properties"]["jobs"]["additionalProperties"]["required"] == json::array({"image"}));
    CHECK(schema["if"]["properties"]["defaults"]["required"] == json::array({"image"}));
}

TEST_CASE("choices are the loader's, with a template allowed") {
    const json schema = kq::project::project_json_schema();
    for (const kq::project::FieldSpec& field : kq::project::job_fields()) {
        if (field.kind != kq::project::FieldKind::choice) continue;
        const std::string key(field.key);
        CAPTURE(key);
        const json& any_of = schema["$defs"]["job"]["properties"][key]["anyOf"];
        REQUIRE(any_of.size() == 2);
        json choices = json::array();
        for (const std::string_view choice : field.choices)
            choices.push_back(choice);
        CHECK(any_of[0]["enum"] == choices);
        CHECK(any_of[1]["pattern"] == R"(\{\{)");
    }
}

TEST_CASE("the schema's patterns agree with the loader's checks") {
    using namespace kq::project;
    for (const std::string& sample : k_samples) {
        CAPTURE(sample);
        CHECK(matches(dns_label_pattern(), sample) == !check_dns_label(sample));
        CHECK(matches(dns_label_pattern(k_max_job_name_length), sample) ==
              !check_dns_label(sample, k_max_job_name_length));
        CHECK(matches(k_dns_subdomain_pattern, sample) == !check_dns_subdomain(sample));
        CHECK(matches(k_qualified_name_pattern, sample) == !check_qualified_name(sample));
        CHECK(matches(k_label_value_pattern, sample) == !check_label_value(sample));
        CHECK(matches(k_env_name_pattern, sample) == !check_env_name(sample));
        CHECK(matches(k_param_name_pattern, sample) == !check_param_name(sample));
        const bool quantity_ok = sample.size() > k_max_quantity_length ||
                                 (!check_quantity(sample) && !is_negative_quantity(sample));
        CHECK((sample.size() > k_max_quantity_length || matches(quantity_pattern(), sample)) == quantity_ok);
    }
}

TEST_CASE("kq schema prints the schema") {
    const kq::testing::RunResult result = kq::testing::run_kq({"schema"});
    CHECK(result.status == 0);
    CHECK(result.err.empty());
    CHECK(result.out == kq::project::project_json_schema().dump(2) + "\n");
}

TEST_SUITE_END();
