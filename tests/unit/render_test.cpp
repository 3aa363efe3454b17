#include "project/fields.hpp"
#include "project/labels.hpp"
#include "project/loader.hpp"
#include "project/render.hpp"
#include "project/source.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace kq::project;
using kq::testing::run_kq;
using kq::testing::source_path;

namespace {

JobDef job_of(const std::string& text, const std::string& name = "j") {
    static std::vector<Project> keep;
    keep.push_back(load_project(text, "kq.yaml"));
    return *keep.back().find_job(name);
}

nlohmann::json render(const std::string& text, RenderRequest request = {}) {
    return render_job(job_of(text), request);
}

// The YAML text read back by kq's own reader, as JSON, to check that emitting lost nothing.
nlohmann::json read_back(const std::string& yaml) {
    Diagnostics diagnostics;
    const SourceNode node = parse_yaml(yaml, "out.yaml", diagnostics);
    REQUIRE(diagnostics.empty());
    TemplateValues values;
    FieldConverter converter(ConvertMode::check, "out", &values, diagnostics);
    return *converter.raw(node, "");
}

} // namespace

TEST_CASE("render_job builds a batch/v1 Job with kq's labels") {
    const nlohmann::json job = render("version: 1\njobs:\n  j: {image: busybox, command: [echo, hi]}\n");
    CHECK(job["apiVersion"] == "batch/v1");
    CHECK(job["kind"] == "Job");
    CHECK(job["metadata"]["generateName"] == "j-");
    CHECK_FALSE(job["metadata"].contains("name"));
    CHECK_FALSE(job["metadata"].contains("namespace"));
    const nlohmann::json& labels = job["metadata"]["labels"];
    CHECK(labels["app.kubernetes.io/managed-by"] == "kq");
    CHECK(labels["app.kubernetes.io/name"] == "j");
    CHECK(labels["kq.dev/definition"] == "j");
    CHECK(labels["kq.dev/spec-hash"].get<std::string>().size() == 16);
    CHECK(job["spec"]["template"]["metadata"]["labels"] == labels);
    const nlohmann::json& pod = job["spec"]["template"]["spec"];
    CHECK(pod["restartPolicy"] == "Never");
    REQUIRE(pod["containers"].size() == 1);
    CHECK(pod["containers"][0] ==
          nlohmann::json{{"name", "j"}, {"image", "busybox"}, {"command", {"echo", "hi"}}});
}

TEST_CASE("the namespace: -n, else the job's, else the project's, else the context's") {
    const std::string text =
        "version: 1\nnamespace: proj\njobs:\n  j: {image: x, namespace: own}\n  k: {image: x}\n";
    RenderRequest request;
    CHECK(render_job(job_of(text, "j"), request)["metadata"]["namespace"] == "own");
    CHECK(render_job(job_of(text, "k"), request)["metadata"]["namespace"] == "proj");
    request.namespace_override = "flag";
    CHECK(render_job(job_of(text, "j"), request)["metadata"]["namespace"] == "flag");
    RenderRequest fallback;
    fallback.default_namespace = "ctx";
    CHECK(render_job(job_of("version: 1\njobs:\n  j: {image: x}\n"), fallback)["metadata"]["namespace"] ==
          "ctx");
    CHECK(render_job(job_of(text, "k"), fallback)["metadata"]["namespace"] == "proj");
    RenderRequest bad;
    bad.namespace_override = "Bad";
    CHECK_THROWS_WITH_AS(render_job(job_of(text, "k"), bad),
                         "-n \"Bad\": invalid namespace: may hold only lowercase letters, digits and \"-\"",
                         kq::Error);
}

TEST_CASE("--name replaces generateName and is validated") {
    RenderRequest request;
    request.name = "fixed";
    const nlohmann::json job = render("version: 1\njobs:\n  j: {image: x}\n", request);
    CHECK(job["metadata"]["name"] == "fixed");
    CHECK_FALSE(job["metadata"].contains("generateName"));
    request.name = std::string(64, 'a');
    const std::string message =
        "--name \"" + std::string(64, 'a') + "\": invalid Job name: must be at most 63 characters, not 64";
    CHECK_THROWS_WITH_AS(render("version: 1\njobs:\n  j: {image: x}\n", request), message.c_str(), kq::Error);
}

TEST_CASE("the spec hash ignores the name and changes with the spec") {
    const std::string text =
        "version: 1\njobs:\n  j: {image: x, params: {p: {default: a}}, args: ['{{ params.p }}']}\n";
    RenderRequest named;
    named.name = "some-name";
    const auto hash = [](const nlohmann::json& job) { return job["metadata"]["labels"]["kq.dev/spec-hash"]; };
    CHECK(hash(render(text)) == hash(render(text, named)));
    RenderRequest other;
    other.params = {{"p", "b"}};
    CHECK(hash(render(text)) != hash(render(text, other)));
    const nlohmann::json job = render(text);
    CHECK(spec_hash(job) == hash(job));
}

TEST_CASE("extra args append to the container's args") {
    RenderRequest request;
    request.extra_args = {"--x", "y z"};
    const nlohmann::json with_args = render("version: 1\njobs:\n  j: {image: x, args: [a]}\n", request);
    CHECK(with_args["spec"]["template"]["spec"]["containers"][0]["args"] ==
          nlohmann::json{"a", "--x", "y z"});
    const nlohmann::json without = render("version: 1\njobs:\n  j: {image: x}\n", request);
    CHECK(without["spec"]["template"]["spec"]["containers"][0]["args"] == nlohmann::json{"--x", "y z"});
}

TEST_CASE("a param where a number is required is converted and checked") {
    const std::string text = "version: 1\njobs:\n  j:\n    image: x\n    backoffLimit: '{{ params.n }}'\n    "
                             "params: {n: {default: '3'}}\n";
    CHECK(render(text)["spec"]["backoffLimit"] == 3);
    RenderRequest request;
    request.params = {{"n", "lots"}};
    CHECK_THROWS_WITH_AS(render(text, request),
                         "kq.yaml:5:19: invalid backoffLimit \"lots\" in job \"j\": must be a whole number",
                         kq::Error);
    request.params = {{"n", "-2"}};
    CHECK_THROWS_WITH_AS(render(text, request),
                         "kq.yaml:5:19: invalid backoffLimit \"-2\" in job \"j\": must be 0 or more",
                         kq::Error);
}

TEST_CASE("a param value cannot inject structure") {
    const std::string text = "version: 1\njobs:\n  j:\n    image: x\n    args: ['{{ params.v }}']\n"
                             "    labels: {l: '{{ params.v }}'}\n    params: {v: {default: a}}\n";
    RenderRequest request;
    request.params = {{"v", "a\n- b\nc: d"}};
    // As an argument the value is one string; as a label value it is refused.
    CHECK_THROWS_WITH_AS(
        render(text, request),
        "kq.yaml:6:17: invalid labels.l \"a\\n- b\\nc: d\" in job \"j\": may hold only letters, "
        "digits, \"-\", \"_\" and \".\"",
        kq::Error);
    const std::string args_only = "version: 1\njobs:\n  j:\n    image: x\n    args: ['{{ params.v }}']\n    "
                                  "params: {v: {default: a}}\n";
    const nlohmann::json job = render(args_only, request);
    CHECK(job["spec"]["template"]["spec"]["containers"][0]["args"] == nlohmann::json{"a\n- b\nc: d"});
    CHECK(read_back(to_yaml(job)) == job);
}

TEST_CASE("an unset environment variable is an error at its location") {
    RenderRequest request;
    request.env = [](const std::string&) { return std::nullopt; };
    CHECK_THROWS_WITH_AS(
        render("version: 1\njobs:\n  j:\n    image: 'x:{{ env.TAG }}'\n", request),
        "kq.yaml:4:12: image in job \"j\": environment variable \"TAG\" is not set; set it or stop "
        "using {{ env.TAG }}",
        kq::Error);
    request.env = [](const std::string& name) -> std::optional<std::string> { return "v-" + name; };
    CHECK(render("version: 1\njobs:\n  j:\n    image: 'x:{{ env.TAG }}'\n",
                 request)["spec"]["template"]["spec"]["containers"][0]["image"] == "x:v-TAG");
}

TEST_CASE("podTemplate merges last but keeps kq's labels") {
    const nlohmann::json job = render("version: 1\njobs:\n  j:\n    image: x\n    podTemplate:\n"
                                      "      metadata: {labels: {kq.dev/definition: other, extra: 'y'}}\n"
                                      "      spec: {restartPolicy: OnFailure, hostPID: true}\n");
    const nlohmann::json& template_spec = job["spec"]["template"];
    CHECK(template_spec["metadata"]["labels"]["kq.dev/definition"] == "j");
    CHECK(template_spec["metadata"]["labels"]["extra"] == "y");
    CHECK(template_spec["spec"]["restartPolicy"] == "OnFailure");
    CHECK(template_spec["spec"]["hostPID"] == true);
    CHECK(template_spec["spec"]["containers"][0]["image"] == "x");
}

TEST_CASE("to_yaml quotes whatever YAML would read as another type") {
    const nlohmann::json manifest = {
        {"strings",
         {"1",
          "1.5",
          "1e3",
          "true",
          "yes",
          "No",
          "null",
          "~",
          "",
          "0x1F",
          "2024-01-01",
          "12:30",
          ".inf",
          "-1",
          "+1",
          "a: b",
          "- x",
          "#c",
          "{x}",
          "[y]",
          "*a",
          "&b",
          "!t",
          "%p",
          "@a",
          "`b",
          "'q'",
          "\"d\"",
          " lead",
          "trail ",
          "multi\nline\n",
          "no final newline\nx",
          "é",
          "100m",
          "64Mi"}},
        {"numbers", {1, -2, 1.5, 0}},
        {"flags", {true, false}},
        {"nothing", nullptr},
        {"1", "key that looks like a number"},
    };
    const std::string yaml = to_yaml(manifest);
    CHECK(read_back(yaml) == manifest);
    CHECK(yaml.find("- 100m\n") != std::string::npos);
    CHECK(yaml.find("- 64Mi\n") != std::string::npos);
    CHECK(yaml.find("- \"1\"\n") != std::string::npos);
}

TEST_CASE("to_json_text indents by 4 as kubectl does") {
    CHECK(to_json_text({{"a", {1}}}) == "{\n    \"a\": [\n        1\n    ]\n}\n");
}

TEST_CASE("kq render: data on stdout only on success") {
    const std::string hello = source_path("examples/hello/kq.yaml");
    const auto ok = run_kq({"-f", hello, "render", "hello"});
    CHECK(ok.status == 0);
    CHECK(ok.err == "");
    CHECK(ok.out.rfind("apiVersion: batch/v1\n", 0) == 0);

    const auto bad_param = run_kq({"-f", hello, "render", "hello", "-p", "whom=x"});
    CHECK(bad_param.status == 125);
    CHECK(bad_param.out == "");
    CHECK(bad_param.err == "kq: error: -p \"whom=x\": unknown param \"whom\" for job \"hello\"; did you mean "
                           "\"who\"? known params: who\n");

    const auto stray = run_kq({"-f", hello, "render", "hello", "extra"});
    CHECK(stray.status == 125);
    CHECK(stray.out == "");
    CHECK(stray.err ==
          "kq: error: unexpected argument \"extra\" after the job name; put the container's arguments "
          "after \"--\": kq render hello -- extra\n");

    const auto dashes = run_kq({"-f", hello, "render", "hello", "--", "-p", "x"});
    CHECK(dashes.status == 0);
    CHECK(dashes.out.find("args:\n            - -p\n            - x\n") != std::string::npos);

    const auto unknown = run_kq({"-f", hello, "render", "nope"});
    CHECK(unknown.status == 125);
    CHECK(unknown.err == "kq: error: unknown job \"nope\" in " + hello + "; known jobs: hello\n");

    const auto missing = run_kq({"-f", "/nonexistent/kq.yaml", "render", "x"});
    CHECK(missing.status == 125);
    CHECK(missing.err == "kq: error: /nonexistent/kq.yaml: cannot read: no such file or directory\n");

    const auto folder = run_kq({"-f", source_path("examples"), "render", "x"});
    CHECK(folder.err == "kq: error: " + source_path("examples") +
                            ": is a folder, not a project file; name the kq.yaml inside it\n");
}

TEST_CASE("kq render, jobs and validate find the project file upwards") {
    const std::filesystem::path root = std::filesystem::temp_directory_path() / "kq-render-cli-test";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "a" / "b");
    std::ofstream(root / "kq.yaml") << "version: 1\njobs:\n  hi: {image: busybox, description: Say hi}\n"
                                       "  two: {image: busybox, params: {x: {required: true}}}\n";
    const std::filesystem::path previous = std::filesystem::current_path();
    std::filesystem::current_path(root / "a" / "b");
    const auto validate = run_kq({"validate"});
    const auto jobs = run_kq({"jobs"});
    const auto jobs_json = run_kq({"jobs", "-o", "json"});
    const auto render_result = run_kq({"render", "hi"});
    std::filesystem::current_path(previous);
    std::filesystem::remove_all(root);
    CHECK(validate.status == 0);
    CHECK(validate.out == "../../kq.yaml: 2 jobs, no errors\n");
    CHECK(validate.err == "");
    CHECK(jobs.out == "NAME   DESCRIPTION   PARAMS\n"
                      "hi     Say hi        <none>\n"
                      "two    <none>        x (required)\n");
    CHECK(nlohmann::json::parse(jobs_json.out)[1]["params"][0]["name"] == "x");
    CHECK(render_result.status == 0);
}

TEST_CASE("kq render survives malformed files with a located error") {
    const std::filesystem::path root = std::filesystem::temp_directory_path() / "kq-render-malformed";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    std::ofstream(root / "kq.yaml") << std::string(5 * 1024 * 1024, '#');
    const auto huge = run_kq({"-f", (root / "kq.yaml").string(), "render", "x"});
    CHECK(huge.status == 125);
    CHECK(huge.err == "kq: error: " + (root / "kq.yaml").string() +
                          ": the file is 5242880 bytes, more than the 4194304 bytes allowed\n");
    std::filesystem::remove_all(root);
}
