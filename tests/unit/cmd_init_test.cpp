// `kq init`: writes the starter project, which `kq validate` accepts and renders, and never overwrites.

#include "build_paths.hpp"
#include "cmd/commands.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using kq::testing::file_contents;
using kq::testing::run_kq;

namespace {

// A scratch folder for one test, removed with its contents.
struct InitDir {
    std::filesystem::path path;
    InitDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "kq-init-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~InitDir() { std::filesystem::remove_all(path); }
    InitDir(const InitDir&) = delete;
    InitDir& operator=(const InitDir&) = delete;
};

} // namespace

TEST_SUITE_BEGIN("init");

TEST_CASE("kq init writes the starter project, which validates and renders") {
    InitDir dir;
    const std::string path = (dir.path / "kq.yaml").string();
    const kq::testing::RunResult init = run_kq({"init", path});
    CHECK(init.status == 0);
    CHECK(init.err.empty());
    CHECK(init.out == "wrote " + path + "; try: kq run hello\n");
    // The build writes the schema to share/kq beside src/kq, as the install does beside bin/kq.
    const std::filesystem::path schema =
        (std::filesystem::path(kq::testing::k_kq_binary).parent_path().parent_path() /
         "share/kq/kq.schema.json")
            .lexically_normal();
    CHECK(kq::cmd::installed_schema_path() == schema.string());
    CHECK(file_contents(path) == kq::cmd::starter_project(schema.string()));
    CHECK(file_contents(path).rfind("# yaml-language-server: $schema=" + schema.string() + "\n", 0) == 0);

    const kq::testing::RunResult validate = run_kq({"-f", path, "validate"});
    CHECK(validate.status == 0);
    CHECK(validate.err.empty());
    const kq::testing::RunResult render = run_kq({"-f", path, "render", "hello", "-p", "who=kq"});
    CHECK(render.status == 0);
    CHECK(render.out.find("echo \"hello kq\"") != std::string::npos);
}

TEST_CASE("kq init refuses to overwrite a file, and leaves it as it was") {
    InitDir dir;
    const std::filesystem::path path = dir.path / "kq.yaml";
    std::ofstream(path) << "version: 1\njobs: {}\n";
    const kq::testing::RunResult init = run_kq({"init", path.string()});
    CHECK(init.status == kq::k_exit_usage);
    CHECK(init.out.empty());
    CHECK(init.err ==
          "kq: error: " + path.string() +
              ": already exists; kq init never overwrites a file (remove it or choose another path)\n");
    CHECK(file_contents(path) == "version: 1\njobs: {}\n");
}

TEST_CASE("kq init names a folder that does not exist") {
    InitDir dir;
    const std::string path = (dir.path / "missing" / "kq.yaml").string();
    const kq::testing::RunResult init = run_kq({"init", path});
    CHECK(init.status == kq::k_exit_usage);
    CHECK(init.err == "kq: error: " + path + ": cannot create: No such file or directory\n");
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_SUITE_END();
