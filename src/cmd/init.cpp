#include "cmd/commands.hpp"
#include "util/error.hpp"

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <sys/stat.h>

namespace kq::cmd {
namespace {

// Flags of `kq init`.
struct InitOptions {
    std::string path = "kq.yaml";
};

constexpr const char* k_starter = R"(# kq project file: one-off Kubernetes Jobs, run with `kq run JOB`.
# Every key is described in kq.yaml(5); `kq validate` checks this file.
version: 1

# The namespace Jobs run in, unless a job or -n/--namespace says otherwise.
# namespace: batch

# Merged into every job: maps key by key, lists replaced, the job's own value wins.
defaults:
  backoffLimit: 0
  ttlSecondsAfterFinished: 86400
  resources:
    requests: {cpu: 100m, memory: 64Mi}
    limits: {memory: 128Mi}

jobs:
  hello:
    description: Print a greeting
    image: busybox:1.36
    command: [sh, -c, 'echo "hello {{ params.who }}"']
    params:
      who: {default: world, description: whom to greet}
)";

void run_init(const InitOptions& options, Context& context) {
    struct stat existing {};
    if (::stat(options.path.c_str(), &existing) == 0) {
        fail(ErrorKind::usage,
             "{}: already exists; kq init never overwrites a file (remove it or choose another path)",
             options.path);
    }
    // O_EXCL semantics: a file that appears between the check and the write must not be clobbered.
    std::FILE* file = std::fopen(options.path.c_str(), "wx");
    if (file == nullptr) fail(ErrorKind::usage, "{}: cannot create: {}", options.path, std::strerror(errno));
    const std::string text = starter_project(installed_schema_path());
    const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    const bool closed = std::fclose(file) == 0;
    if (!written || !closed) {
        std::remove(options.path.c_str());
        fail(ErrorKind::usage, "{}: cannot write: {}", options.path, std::strerror(errno));
    }
    context.out << "wrote " << options.path << "; try: kq run hello\n";
}

} // namespace

std::string installed_schema_path() {
    // Installed kq is PREFIX/bin/kq beside PREFIX/share/kq; the build tree mirrors it (src/kq,
    // share/kq), so the test binary beside src/ finds the build's copy.
    std::error_code error;
    const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error) return {};
    const std::filesystem::path schema =
        (binary.parent_path().parent_path() / "share" / "kq" / "kq.schema.json").lexically_normal();
    if (!std::filesystem::is_regular_file(schema, error)) return {};
    return schema.string();
}

std::string starter_project(const std::string& schema_path) {
    // The YAML language server reads the schema named on this line; editors then complete and check keys.
    if (schema_path.empty()) return k_starter;
    return "# yaml-language-server: $schema=" + schema_path + "\n" + k_starter;
}

void setup_init(CLI::App& command, Context& context) {
    auto options = std::make_shared<InitOptions>();
    command.add_option("path", options->path, "Where to write the project file")->capture_default_str();
    command.footer("Examples:\n"
                   "  # Write a commented starter kq.yaml in the current folder\n"
                   "  kq init\n\n"
                   "  # Write it somewhere else\n"
                   "  kq init jobs/kq.yaml\n");
    command.callback([options, &context] { run_init(*options, context); });
}

} // namespace kq::cmd
