#include "project/discovery.hpp"
#include "project/listing.hpp"
#include "project/loader.hpp"
#include "project/params.hpp"
#include "project/schedule.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

using namespace kq::project;

namespace {

constexpr const char* k_loader_project = R"(version: 1
namespace: batch
defaults:
  image: registry.example.com/app:1.4
  env: {LOG_LEVEL: info}
jobs:
  hello:
    description: Print a greeting
    image: busybox:1.36
    command: [sh, -c, 'echo "hello {{ params.who }}"']
    params:
      who: {default: world, description: whom to greet}
  pi:
    namespace: math
    command: [perl, -Mbignum=bpi, -wle, 'print bpi({{ params.digits }})']
    params:
      digits: {required: true, pattern: '^[0-9]{1,5}$'}
      mode: {enum: [fast, exact], default: fast}
)";

} // namespace

TEST_CASE("load_project reads jobs, params and namespaces") {
    const Project project = load_project(k_loader_project, "kq.yaml");
    CHECK(project.file == "kq.yaml");
    CHECK(project.namespace_name == "batch");
    REQUIRE(project.jobs.size() == 2);
    const JobDef& hello = project.jobs[0];
    CHECK(hello.name == "hello");
    CHECK(hello.description == "Print a greeting");
    CHECK(hello.namespace_name == "batch");
    CHECK(hello.location.line == 7);
    REQUIRE(hello.params.size() == 1);
    CHECK(hello.params[0].default_value == "world");
    CHECK(hello.params[0].description == "whom to greet");
    CHECK(hello.spec.find("env") != nullptr);
    CHECK(hello.spec.find("image")->text == "busybox:1.36");
    CHECK(hello.spec.find("description") == nullptr);
    const JobDef& pi = project.jobs[1];
    CHECK(pi.namespace_name == "math");
    CHECK(pi.spec.find("image")->text == "registry.example.com/app:1.4");
    REQUIRE(pi.params.size() == 2);
    CHECK(pi.params[0].required);
    CHECK(pi.params[0].pattern == "^[0-9]{1,5}$");
    CHECK(pi.params[1].choices == std::vector<std::string>{"fast", "exact"});
}

TEST_CASE("load_project throws the first problem by position") {
    CHECK_THROWS_WITH_AS(
        load_project("version: 1\njobs:\n  a: {image: x, imag: y}\n  B: {image: x}\n", "kq.yaml"),
        "kq.yaml:3:17: unknown key \"imag\" in job \"a\"; did you mean \"image\"?", kq::Error);
    try {
        load_project("version: 3\n", "kq.yaml");
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::usage);
        CHECK(kq::exit_code(error.kind()) == 125);
    }
}

TEST_CASE("parse_project collects every problem at once") {
    Diagnostics diagnostics;
    const Project project =
        parse_project("version: 1\njobs:\n  a: {imag: x}\n  b: {image: x, backoffLimit: -1}\n"
                      "  c: {image: x}\n",
                      "kq.yaml", diagnostics);
    CHECK(diagnostics.size() == 2);
    CHECK(project.jobs.size() == 3);
}

TEST_CASE("a params reference in defaults is checked against each job") {
    Diagnostics diagnostics;
    parse_project("version: 1\ndefaults:\n  image: 'app:{{ params.tag }}'\njobs:\n"
                  "  a: {params: {tag: {default: '1'}}}\n  b: {}\n",
                  "kq.yaml", diagnostics);
    const auto problems = diagnostics.sorted();
    REQUIRE(problems.size() == 1);
    CHECK(to_string(problems[0]) == "kq.yaml:3:10: unknown param \"tag\" in job \"b\"; declare it under "
                                    "\"params\": tag: {default: VALUE}");
}

TEST_CASE("-p flags parse into values") {
    const std::vector<std::string> flags = {"a=1", "b=x=y", "c="};
    const ParamValues values = parse_param_flags(flags);
    CHECK(values.at("a") == "1");
    CHECK(values.at("b") == "x=y");
    CHECK(values.at("c") == "");
    CHECK_THROWS_WITH_AS(parse_param_flags(std::vector<std::string>{"novalue"}),
                         "-p \"novalue\": expected NAME=VALUE, e.g. -p who=world", kq::Error);
    CHECK_THROWS_WITH_AS(parse_param_flags(std::vector<std::string>{"=x"}),
                         "-p \"=x\": expected NAME=VALUE, e.g. -p who=world", kq::Error);
    CHECK_THROWS_WITH_AS(parse_param_flags(std::vector<std::string>{"a=1", "a=2"}),
                         "-p \"a=2\": param \"a\" is given twice; give it once", kq::Error);
}

TEST_CASE("resolve_params checks names, required params, patterns and enums") {
    const Project project = load_project(k_loader_project, "kq.yaml");
    const JobDef& hello = project.jobs[0];
    const JobDef& pi = project.jobs[1];
    CHECK(resolve_params(hello, {}) == ParamValues{{"who", "world"}});
    CHECK(resolve_params(hello, {{"who", "kq"}}) == ParamValues{{"who", "kq"}});
    CHECK(resolve_params(pi, {{"digits", "42"}}) == ParamValues{{"digits", "42"}, {"mode", "fast"}});
    CHECK_THROWS_WITH_AS(
        resolve_params(hello, {{"whom", "x"}}),
        "-p \"whom=x\": unknown param \"whom\" for job \"hello\"; did you mean \"who\"? known params: "
        "who",
        kq::Error);
    CHECK_THROWS_WITH_AS(resolve_params(pi, {}), "job \"pi\" needs param \"digits\"; pass -p digits=VALUE",
                         kq::Error);
    CHECK_THROWS_WITH_AS(resolve_params(pi, {{"digits", "123456"}}),
                         "-p \"digits=123456\": param \"digits\" of job \"pi\" does not match the pattern "
                         "\"^[0-9]{1,5}$\"",
                         kq::Error);
    CHECK_THROWS_WITH_AS(
        resolve_params(pi, {{"digits", "1"}, {"mode", "exakt"}}),
        "-p \"mode=exakt\": param \"mode\" of job \"pi\" is not one of \"fast\", \"exact\"; did you "
        "mean \"exact\"?",
        kq::Error);
    const std::string too_long = "-p \"digits=" + std::string(5000, '1') +
                                 "\": param \"digits\" of job \"pi\" is 5000 characters long; values checked "
                                 "against a pattern may have at most 4096";
    CHECK_THROWS_WITH_AS(resolve_params(pi, {{"digits", std::string(5000, '1')}}), too_long.c_str(),
                         kq::Error);
    const Project no_params = load_project("version: 1\njobs:\n  x: {image: y}\n", "kq.yaml");
    CHECK_THROWS_WITH_AS(resolve_params(no_params.jobs[0], {{"a", "b"}}),
                         "-p \"a=b\": job \"x\" takes no params", kq::Error);
}

TEST_CASE("require_job names the known jobs") {
    const Project project = load_project(k_loader_project, "kq.yaml");
    CHECK(require_job(project, "pi").name == "pi");
    CHECK_THROWS_WITH_AS(require_job(project, "hallo"),
                         "unknown job \"hallo\" in kq.yaml; did you mean \"hello\"? known jobs: hello, pi",
                         kq::Error);
}

TEST_CASE("jobs_table and jobs_json list the definitions") {
    const Project project = load_project(k_loader_project, "kq.yaml");
    CHECK(jobs_table(project) == "NAME    DESCRIPTION        PARAMS\n"
                                 "hello   Print a greeting   who=world\n"
                                 "pi      <none>             digits (required), mode=fast\n");
    const nlohmann::json listed = jobs_json(project);
    CHECK(listed[1]["params"][0] ==
          nlohmann::json{{"name", "digits"}, {"required", true}, {"pattern", "^[0-9]{1,5}$"}});
    CHECK(listed[1]["params"][1]["enum"] == nlohmann::json{"fast", "exact"});
}

TEST_CASE("find_project_file: -f, then $KQ_FILE, then the nearest kq.yaml upwards") {
    const std::filesystem::path root = std::filesystem::temp_directory_path() / "kq-discovery-test";
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root / "project" / "src" / "deep");
    std::ofstream(root / "project" / "kq.yaml") << "version: 1\njobs: {}\n";

    const auto found = find_project_file("", std::nullopt, root / "project" / "src" / "deep");
    CHECK(found.path == root / "project" / "kq.yaml");
    CHECK(found.display_name == "../../kq.yaml");
    CHECK(find_project_file("", std::nullopt, root / "project").display_name == "kq.yaml");

    const auto from_env = find_project_file("", std::string("other.yaml"), root / "project" / "src");
    CHECK(from_env.path == root / "project" / "src" / "other.yaml");
    CHECK(from_env.display_name == "other.yaml");
    CHECK(find_project_file("", std::string(""), root / "project").display_name == "kq.yaml");

    const auto from_flag = find_project_file("x/kq.yaml", std::string("other.yaml"), root);
    CHECK(from_flag.path == root / "x" / "kq.yaml");
    CHECK(from_flag.display_name == "x/kq.yaml");

    std::ofstream(root / "project" / "src" / "kq.yml") << "version: 1\njobs: {}\n";
    CHECK(find_project_file("", std::nullopt, root / "project" / "src" / "deep").display_name == "../kq.yml");

    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    CHECK_THROWS_AS(find_project_file("", std::nullopt, root), kq::Error);
    std::filesystem::remove_all(root);
}

TEST_CASE("a schedule is read as a cron string or a map, with its defaults") {
    const Project project = load_project(R"(version: 1
name: reports
jobs:
  hourly:
    image: busybox
    schedule: "@hourly"
  nightly:
    image: busybox
    params:
      region: {required: true}
    schedule:
      cron: "0 3 * * *"
      timeZone: Europe/Berlin
      concurrencyPolicy: Allow
      startingDeadlineSeconds: 120
      failedJobsHistoryLimit: 0
      suspend: true
      params: {region: eu}
  plain:
    image: busybox
)",
                                         "kq.yaml");
    CHECK(project.name == "reports");
    const ScheduleDef& hourly = project.find_job("hourly")->schedule.value();
    CHECK(hourly.cron == "@hourly");
    CHECK(hourly.time_zone.empty());
    CHECK(hourly.concurrency_policy == "Forbid");
    CHECK_FALSE(hourly.suspend);
    CHECK_FALSE(hourly.failed_jobs_history_limit.has_value());
    const ScheduleDef& nightly = project.find_job("nightly")->schedule.value();
    CHECK(nightly.cron == "0 3 * * *");
    CHECK(nightly.time_zone == "Europe/Berlin");
    CHECK(nightly.concurrency_policy == "Allow");
    CHECK(nightly.starting_deadline_seconds == 120);
    CHECK(nightly.failed_jobs_history_limit == 0);
    CHECK(nightly.suspend);
    CHECK(nightly.params == std::map<std::string, std::string>{{"region", "eu"}});
    CHECK_FALSE(project.find_job("plain")->schedule.has_value());
    CHECK(scheduled_jobs(project, {}).size() == 2);
    CHECK_THROWS_WITH(
        scheduled_jobs(project, {"plain"}),
        "job \"plain\" has no schedule; add one such as schedule: \"0 3 * * *\" to it in kq.yaml");
}

TEST_CASE("without a name the project is named after its folder, made a label value") {
    const Project project = load_project("version: 1\njobs: {}\n", "kq.yaml", "/srv/Data Team's jobs/");
    CHECK(project.name == "Data-Team-s-jobs");
    CHECK(project_name_from_folder("__x.y__") == "x.y");
    CHECK(project_name_from_folder("...") == "kq");
    CHECK(project_name_from_folder(std::string(80, 'a')) == std::string(63, 'a'));
}
