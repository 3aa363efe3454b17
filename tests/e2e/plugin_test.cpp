// End-to-end: kq as a kubectl plugin, through the control plane's own kubectl: `kubectl plugin list`
// finds kubectl-kq, `kubectl kq ...` runs kq, and `kubectl kq <TAB>` completes through kubectl_complete-kq.

#include "build_paths.hpp"
#include "e2e_helpers.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

using namespace kq::e2e;

namespace {

// The environment of a kubectl that finds the built kq's links (beside the binary) first on PATH.
EnvChanges plugin_path() {
    const std::string bin = std::filesystem::path(kq::testing::k_kq_binary).parent_path().string();
    const char* path = std::getenv("PATH");
    return {{"PATH", bin + ":" + (path != nullptr ? path : "/usr/bin:/bin")},
            {"KUBECONFIG", cluster_kubeconfig()}};
}

Run kubectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {cluster_kubectl()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, plugin_path());
}

} // namespace

TEST_SUITE("plugin") {

    TEST_CASE("kubectl plugin list finds kubectl-kq beside the built kq") {
        const Run list = kubectl({"plugin", "list"});
        INFO(list.err);
        CHECK(list.out.find("/kubectl-kq\n") != std::string::npos);
        CHECK(list.out.find("kubectl_complete-kq") == std::string::npos);
    }

    TEST_CASE("kubectl kq run hello runs the demo job, and help names it kubectl kq") {
        TestNamespace ns("kq-plugin");
        const Run run = kubectl({"kq", "-f", source_path("tests/cluster/demo.yaml"), "-n", ns.name(), "run",
                                 "hello", "-p", "who=kubectl"});
        INFO(run.err);
        CHECK(run.status == 0);
        CHECK(run.out == "hello kubectl\n");
        const Run help = kubectl({"kq", "wait", "--help"});
        CHECK(help.status == 0);
        CHECK(help.out.find("Usage: kubectl kq wait ") != std::string::npos);
        const Run wrong = kubectl({"kq", "wiat"});
        CHECK(wrong.status == 125);
        CHECK(wrong.err.find("run 'kubectl kq --help' for the list") != std::string::npos);
    }

    TEST_CASE("kubectl __complete kq completes through kubectl_complete-kq") {
        const Run commands = kubectl({"__complete", "kq", "wa"});
        INFO(commands.err);
        CHECK(commands.status == 0);
        CHECK(commands.out.find("wait\t") != std::string::npos);
        CHECK(commands.out.find("\n:4\n") != std::string::npos);
        const Run values = kubectl({"__complete", "kq", "wait", "-o", ""});
        CHECK(values.out.find("json\n") != std::string::npos);
        CHECK(values.out.find("name\n") != std::string::npos);
        // Where kq completes file names, kubectl's shell script is told to.
        const Run files = kubectl({"__complete", "kq", "-f", ""});
        CHECK(files.out.find(":0\n") != std::string::npos);
    }

} // TEST_SUITE
