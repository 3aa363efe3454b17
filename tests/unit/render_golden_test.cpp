#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using kq::testing::run_kq;
using kq::testing::source_path;

namespace {

// One golden case: the project file, the arguments after "render", and the expected output's file.
struct GoldenCase {
    const char* name;
    const char* project;
    std::vector<std::string> args;
    const char* extension = "yaml";
};

const std::vector<GoldenCase>& golden_cases() {
    static const std::vector<GoldenCase> cases = {
        // Every example, as the README and the example's header show it.
        {"example-hello", "examples/hello/kq.yaml", {"hello"}},
        {"example-hello-who", "examples/hello/kq.yaml", {"hello", "-p", "who=kq"}},
        {"example-params-export", "examples/params/kq.yaml", {"export", "-p", "date=2024-05-01"}},
        {"example-params-export-parquet",
         "examples/params/kq.yaml",
         {"export", "-p", "date=2024-05-01", "-p", "format=parquet", "-p", "retries=3"}},
        {"example-params-vacuum", "examples/params/kq.yaml", {"vacuum"}},
        {"example-secrets-migrate", "examples/secrets/kq.yaml", {"migrate"}},
        {"example-indexed-shard", "examples/indexed/kq.yaml", {"shard"}},
        {"example-gpu-train", "examples/gpu/kq.yaml", {"train", "-p", "epochs=20"}},
        // One feature each, from tests/fixtures/valid/features.yaml.
        {"defaults-merge", "tests/fixtures/valid/features.yaml", {"defaults-merge"}},
        {"env-forms", "tests/fixtures/valid/features.yaml", {"env-forms"}},
        {"resources", "tests/fixtures/valid/features.yaml", {"resources"}},
        {"pod-options", "tests/fixtures/valid/features.yaml", {"pod-options"}},
        {"labels-annotations", "tests/fixtures/valid/features.yaml", {"labels-annotations"}},
        {"container-name", "tests/fixtures/valid/features.yaml", {"container-name"}},
        {"pod-template", "tests/fixtures/valid/features.yaml", {"pod-template"}},
        {"job-spec", "tests/fixtures/valid/features.yaml", {"job-spec"}},
        {"pod-failure-policy", "tests/fixtures/valid/features.yaml", {"pod-failure-policy"}},
        {"backoff-per-index", "tests/fixtures/valid/features.yaml", {"backoff-per-index"}},
        {"success-policy", "tests/fixtures/valid/features.yaml", {"success-policy"}},
        {"suspended", "tests/fixtures/valid/features.yaml", {"suspended"}},
        {"managed-by", "tests/fixtures/valid/features.yaml", {"managed-by"}},
        {"job-spec-overlay", "tests/fixtures/valid/features.yaml", {"job-spec-overlay"}},
        {"init-and-sidecars", "tests/fixtures/valid/features.yaml", {"init-and-sidecars"}},
        {"queued", "tests/fixtures/valid/features.yaml", {"queued"}},
        {"flag-queue",
         "tests/fixtures/valid/features.yaml",
         {"container-name", "--queue", "other-queue", "--priority", "batch-high"}},
        {"payload", "tests/fixtures/valid/features.yaml", {"payload"}},
        {"templating", "tests/fixtures/valid/features.yaml", {"templating", "-p", "retries=5"}},
        {"templating-defaults", "tests/fixtures/valid/features.yaml", {"templating"}},
        {"flag-name", "tests/fixtures/valid/features.yaml", {"container-name", "--name", "fixed-name"}},
        {"flag-namespace", "tests/fixtures/valid/features.yaml", {"container-name", "-n", "from-flag"}},
        {"flag-extra-args", "examples/hello/kq.yaml", {"hello", "--", "--verbose", "-x", "two words"}},
        {"flag-extra-args-append", "tests/fixtures/valid/features.yaml", {"templating", "--", "--dry-run"}},
        {"output-json", "examples/hello/kq.yaml", {"hello", "-o", "json"}, "json"},
        {"output-json-features", "tests/fixtures/valid/features.yaml", {"env-forms", "-o", "json"}, "json"},
        {"cronjob", "tests/fixtures/valid/features.yaml", {"scheduled", "--schedule"}},
        {"cronjob-cron-string", "tests/fixtures/valid/features.yaml", {"scheduled-hourly", "--schedule"}},
    };
    return cases;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace

TEST_CASE("golden: kq render output matches tests/golden exactly") {
    ::setenv("KQ_GOLDEN_USER", "golden", 1);
    const char* update = std::getenv("KQ_UPDATE_GOLDEN");
    for (const GoldenCase& golden : golden_cases()) {
        CAPTURE(golden.name);
        std::vector<std::string> args = {"-f", source_path(golden.project), "render"};
        args.insert(args.end(), golden.args.begin(), golden.args.end());
        const auto result = run_kq(args);
        CHECK(result.err == "");
        CHECK(result.status == 0);
        const std::string path =
            source_path(std::string("tests/golden/") + golden.name + "." + golden.extension);
        if (update != nullptr && std::string(update) == "1") {
            std::ofstream(path, std::ios::binary) << result.out;
            continue;
        }
        CHECK(result.out == read_text(path));
    }
}

TEST_CASE("golden: every example project is covered by a golden case") {
    for (const char* example : {"hello", "params", "secrets", "indexed", "gpu"}) {
        CAPTURE(example);
        const std::string project = std::string("examples/") + example + "/kq.yaml";
        bool covered = false;
        for (const GoldenCase& golden : golden_cases())
            covered = covered || golden.project == project;
        CHECK(covered);
        const auto result = run_kq({"-f", source_path(project), "validate"});
        CHECK(result.status == 0);
        CHECK(result.err == "");
    }
}
