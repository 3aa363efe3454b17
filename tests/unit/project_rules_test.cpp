#include "project/merge.hpp"
#include "project/names.hpp"
#include "project/quantity.hpp"
#include "project/source.hpp"
#include "project/templating.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace kq::project;

TEST_CASE("quantities follow Kubernetes' grammar") {
    for (const char* valid :
         {"1",  "0",  "+1", "-1", "1.5", "1.", ".5", "100m", "64Mi", "1Gi",  "2Ti",  "1Pi",  "1Ei",
          "5n", "5u", "1k", "1M", "1G",  "1T", "1P", "1E",   "1e3",  "1E-2", "1e+9", "0.5Ki"}) {
        CAPTURE(valid);
        CHECK(check_quantity(valid) == std::nullopt);
    }
    CHECK(check_quantity("") == "a quantity must not be empty");
    CHECK(check_quantity("Mi") ==
          "a quantity is a number with an optional suffix, such as \"500m\", \"2\" or \"64Mi\"");
    CHECK(check_quantity(".") ==
          "a quantity is a number with an optional suffix, such as \"500m\", \"2\" or \"64Mi\"");
    CHECK(check_quantity("64MB") ==
          "unknown suffix \"MB\"; use Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or "
          "an exponent such as e3");
    for (const char* invalid : {"1mi", "1KI", "1e", "1e1.5", "1 Mi", "1Mi ", "--1", "1K", "0x10", "1ee3"}) {
        CAPTURE(invalid);
        CHECK(check_quantity(invalid) != std::nullopt);
    }
    CHECK(is_negative_quantity("-1"));
    CHECK(is_negative_quantity("-0.5Gi"));
    CHECK_FALSE(is_negative_quantity("-0"));
    CHECK_FALSE(is_negative_quantity("1"));
}

TEST_CASE("quantity values compare across spellings") {
    CHECK(quantity_value("1Gi") == quantity_value("1073741824"));
    CHECK(quantity_value("0.1") == quantity_value("100m"));
    CHECK(quantity_value("1.5Gi") == quantity_value("1536Mi"));
    CHECK(quantity_value("1e3") == quantity_value("1k"));
    CHECK(quantity_value("2000m") == quantity_value("2"));
    CHECK(quantity_value("1E") == quantity_value("1e18"));
    CHECK(quantity_value("-1Ki") == -1024.0L);
    CHECK(*quantity_value("1500m") < *quantity_value("2"));
    CHECK(*quantity_value("1G") < *quantity_value("1Gi"));
    CHECK(*quantity_value("1e99999999999999") > *quantity_value("1E"));
    CHECK(*quantity_value("1e-99999999999999") < *quantity_value("1n"));
    CHECK(quantity_value("64MB") == std::nullopt);
}

TEST_CASE("which resources may be overcommitted") {
    for (const char* native : {"cpu", "memory", "ephemeral-storage", "kubernetes.io/custom"}) {
        CAPTURE(native);
        CHECK(is_overcommit_allowed(native));
    }
    for (const char* strict : {"hugepages-2Mi", "hugepages-1Gi", "nvidia.com/gpu", "example.com/fpga"}) {
        CAPTURE(strict);
        CHECK_FALSE(is_overcommit_allowed(strict));
    }
}

TEST_CASE("Kubernetes names") {
    CHECK(check_dns_label("hello-1") == std::nullopt);
    CHECK(check_dns_label("Hello") == "may hold only lowercase letters, digits and \"-\"");
    CHECK(check_dns_label("-a") == "must start and end with a lowercase letter or digit");
    CHECK(check_dns_label("") == "must not be empty");
    CHECK(check_dns_label(std::string(63, 'a')) == std::nullopt);
    CHECK(check_dns_label(std::string(64, 'a')) == "must be at most 63 characters, not 64");
    // generateName "<job>-" plus 5 random characters must stay within 63.
    CHECK(k_max_job_name_length + 1 + 5 == 63);
    CHECK(check_dns_subdomain("a.b-c.d") == std::nullopt);
    CHECK(check_dns_subdomain("a..b") != std::nullopt);
    CHECK(check_qualified_name("app.kubernetes.io/name") == std::nullopt);
    CHECK(check_qualified_name("Team_1.x") == std::nullopt);
    CHECK(check_qualified_name("a/b/c") != std::nullopt);
    CHECK(check_qualified_name("/x") != std::nullopt);
    CHECK(check_qualified_name("UPPER.example.com/x") != std::nullopt);
    CHECK(check_label_value("") == std::nullopt);
    CHECK(check_label_value("v1.2_3-x") == std::nullopt);
    CHECK(check_label_value(std::string(64, 'a')) == "must be at most 63 characters, not 64");
    CHECK(check_label_value("a b") != std::nullopt);
    CHECK(check_env_name("PATH") == std::nullopt);
    CHECK(check_env_name("my.var-1") == std::nullopt);
    CHECK(check_env_name("A=B") == "must not contain \"=\"");
    CHECK(check_param_name("who") == std::nullopt);
    CHECK(check_param_name("dry-run") == std::nullopt);
    CHECK(check_param_name("1x") == "must start with a letter or \"_\"");
}

TEST_CASE("templates expand params, the environment and string literals") {
    const std::map<std::string, std::string> params = {{"who", "world"}, {"n", "3"}};
    TemplateValues values{&params, [](const std::string& name) -> std::optional<std::string> {
                              if (name == "HOME") return std::string("/home/kq");
                              return std::nullopt;
                          }};
    std::string error;
    CHECK(expand_template("hello {{ params.who }}", values, error) == "hello world");
    CHECK(expand_template("{{params.n}}{{ params.n }}", values, error) == "33");
    CHECK(expand_template("{{ env.HOME }}/x", values, error) == "/home/kq/x");
    CHECK(expand_template("{{ \"{{\" }} and {{ \"}}\" }}", values, error) == "{{ and }}");
    CHECK(expand_template("{{ \"a\\\"b\\\\c\" }}", values, error) == "a\"b\\c");
    CHECK(expand_template("no braces }} here", values, error) == "no braces }} here");
    CHECK(error.empty());

    // Values are inserted as text: a value can never add YAML structure.
    const std::map<std::string, std::string> hostile = {{"x", "a\nb: c\n- d"}};
    TemplateValues hostile_values{&hostile, {}};
    CHECK(expand_template("{{ params.x }}", hostile_values, error) == "a\nb: c\n- d");

    const auto failure = [&](const std::string& text) {
        std::string message;
        CHECK_FALSE(expand_template(text, values, message).has_value());
        return message;
    };
    CHECK(failure("{{ params.who") ==
          "unterminated \"{{\"; close it with \"}}\", or write a literal \"{{\" as {{ \"{{\" }}");
    CHECK(
        failure("{{ nope }}") ==
        "unknown expression \"nope\" in \"{{ }}\"; use {{ params.NAME }}, {{ env.NAME }} or {{ \"text\" }}");
    CHECK(failure("{{ params.missing }}") == "unknown param \"missing\" in {{ params.missing }}");
    CHECK(
        failure("{{ env.UNSET_FOR_SURE }}") ==
        "environment variable \"UNSET_FOR_SURE\" is not set; set it or stop using {{ env.UNSET_FOR_SURE }}");
    CHECK(failure("{{ \"open }}") == "unterminated string literal in \"{{\"; close it with '\"'");
    CHECK(failure("{{ params.who extra }}") ==
          "unexpected \"e\" in \"{{ }}\"; use {{ params.NAME }}, {{ env.NAME }} or {{ \"text\" }}");
}

TEST_CASE("parse_template lists references") {
    std::string error;
    const auto parts = parse_template("a{{ params.x }}b{{ env.Y }}", error);
    REQUIRE(parts.size() == 4);
    CHECK(parts[1].kind == TemplatePart::Kind::param);
    CHECK(parts[1].value == "x");
    CHECK(parts[3].kind == TemplatePart::Kind::env);
    CHECK(parts[3].value == "Y");
}

namespace {

SourceNode parse(const std::string& text) {
    Diagnostics diagnostics;
    SourceNode node = parse_yaml(text, "t.yaml", diagnostics);
    REQUIRE(diagnostics.empty());
    return node;
}

std::string keys_of(const SourceNode& map) {
    std::string keys;
    for (const auto& entry : map.entries)
        keys += entry.key + " ";
    return keys;
}

} // namespace

TEST_CASE("merge: maps key by key, lists replaced, the overlay wins") {
    const SourceNode base = parse("a: 1\nm: {x: 1, y: {p: 1, q: 2}}\nl: [1, 2]\n");
    const SourceNode overlay = parse("m: {y: {q: 3}, z: 4}\nl: [9]\nb: 2\n");
    const SourceNode merged = merge_nodes(base, overlay);
    CHECK(keys_of(merged) == "a m l b ");
    CHECK(keys_of(*merged.find("m")) == "x y z ");
    CHECK(merged.find("m")->find("y")->find("p")->text == "1");
    CHECK(merged.find("m")->find("y")->find("q")->text == "3");
    REQUIRE(merged.find("l")->items.size() == 1);
    CHECK(merged.find("l")->items[0].text == "9");
}

TEST_CASE("merge: env variables and params are replaced whole") {
    const SourceNode defaults =
        parse("env: {A: {secretKeyRef: {name: s, key: k}}, B: b}\nparams: {p: {default: x, pattern: 'x'}}\n");
    const SourceNode job =
        parse("env: {A: {configMapKeyRef: {name: c, key: k}}}\nparams: {p: {default: y}}\n");
    const SourceNode merged = merge_job_over_defaults(defaults, job);
    CHECK(keys_of(*merged.find("env")->find("A")) == "configMapKeyRef ");
    CHECK(merged.find("env")->find("B")->text == "b");
    CHECK(keys_of(*merged.find("params")->find("p")) == "default ");
}

TEST_CASE("merge_json merges objects and replaces the rest") {
    nlohmann::json base = {{"a", {{"x", 1}, {"y", 2}}}, {"l", {1, 2}}};
    merge_json(base, {{"a", {{"y", 3}}}, {"l", {3}}, {"n", nullptr}});
    CHECK(base == nlohmann::json{{"a", {{"x", 1}, {"y", 3}}}, {"l", {3}}, {"n", nullptr}});
}
