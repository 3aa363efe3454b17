// kq links neither libcurl nor OpenSSL: the code that reaches a cluster loads them with dlopen when it
// first needs them (src/kube/shared_library.hpp), so that the offline commands start in a couple of
// milliseconds. These tests run the built kq under the dynamic loader's LD_DEBUG=files log and check
// which libraries each command opened, so that a new link dependency or an eager load can't creep back
// in unnoticed.

#include "build_paths.hpp"
#include "kube/shared_library.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <sys/wait.h>

namespace {

// A scratch folder, removed with everything in it.
struct ScratchFolder {
    std::filesystem::path path;
    ScratchFolder() {
        std::string pattern = (std::filesystem::temp_directory_path() / "kq-startup-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~ScratchFolder() { std::filesystem::remove_all(path); }
    ScratchFolder(const ScratchFolder&) = delete;
    ScratchFolder& operator=(const ScratchFolder&) = delete;
};

void write_text(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string read_text(const std::filesystem::path& path) {
    std::ostringstream text;
    text << std::ifstream(path).rdbuf();
    return text.str();
}

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// What one run of the built kq did: its exit status and the libraries the dynamic loader opened for it.
struct LoadedLibraries {
    int status = -1;
    std::set<std::string> files; // sonames as the loader names them, e.g. "libc.so.6"
    std::string stderr_text;     // kq's own messages, with the loader's log
};

// Runs the built kq with args in folder, under LD_DEBUG=files, with stdout discarded; environment is
// more NAME=VALUE words for the shell.
LoadedLibraries run_logged(const std::vector<std::string>& args, const std::filesystem::path& folder,
                           const std::string& environment = "") {
    std::string command = "cd " + shell_quote(folder.string()) +
                          " && KUBECONFIG=" + shell_quote((folder / "kubeconfig").string()) +
                          " LD_DEBUG=files " + environment + " " + shell_quote(kq::testing::k_kq_binary);
    for (const std::string& arg : args)
        command += " " + shell_quote(arg);
    const std::filesystem::path log = folder / "loader.log";
    command += " >/dev/null 2>" + shell_quote(log.string());
    LoadedLibraries result;
    const int raw = std::system(command.c_str());
    if (raw != -1 && WIFEXITED(raw)) result.status = WEXITSTATUS(raw);
    result.stderr_text = read_text(log);
    // The loader logs "  PID:\tfile=libfmt.so.9 [0];  needed by ./kq [0]" for each library it opens.
    std::istringstream lines(result.stderr_text);
    for (std::string line; std::getline(lines, line);) {
        const size_t start = line.find("file=");
        if (start == std::string::npos) continue;
        const size_t end = line.find(' ', start);
        result.files.insert(line.substr(start + 5, end == std::string::npos ? end : end - start - 5));
    }
    return result;
}

// Whether any opened library's name starts with prefix.
bool opened(const LoadedLibraries& run, const std::string& prefix) {
    for (const std::string& file : run.files) {
        if (file.starts_with(prefix)) return true;
    }
    return false;
}

constexpr const char* k_startup_project = R"(version: 1
jobs:
  hello:
    image: busybox:1.36
    command: [sh, -c, echo hi]
)";

// A cluster at a loopback port where nothing listens: reaching it needs libcurl, and fails fast.
constexpr const char* k_kubeconfig = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster: {server: 'https://127.0.0.1:1'}
users:
- name: dev
  user: {token: not-a-secret}
contexts:
- name: dev
  context: {cluster: dev, user: dev, namespace: work}
)";

} // namespace

TEST_SUITE_BEGIN("startup");

// A kubeconfig as kubeadm's or kind's, with a certificate authority and a client certificate inline (not
// valid ones: the offline commands read at most the namespace, and must not check certificates).
constexpr const char* k_tls_kubeconfig = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: Zm9v}
users:
- name: dev
  user: {client-certificate-data: Zm9v, client-key-data: Zm9v}
contexts:
- name: dev
  context: {cluster: dev, user: dev, namespace: work}
)";

TEST_CASE("the offline commands open neither libcurl nor OpenSSL") {
    ScratchFolder folder;
    write_text(folder.path / "kq.yaml", k_startup_project);
    write_text(folder.path / "kubeconfig", k_tls_kubeconfig);
    const std::vector<std::vector<std::string>> commands = {
        {"--version"}, {"--help"}, {"render", "hello"}, {"render", "hello", "-o", "json"},
        {"validate"},  {"jobs"},   {"help", "render"},  {"schema"},
    };
    for (const auto& args : commands) {
        CAPTURE(args);
        const LoadedLibraries run = run_logged(args, folder.path);
        CHECK(run.status == 0);
        // The loader's log is there at all: libc is always opened.
        REQUIRE(opened(run, "libc.so"));
        CHECK_FALSE(opened(run, "libcurl"));
        CHECK_FALSE(opened(run, "libcrypto"));
        CHECK_FALSE(opened(run, "libssl"));
        // Built with KQ_STATIC_LIBS (the default), the C++ libraries are in the binary: the loader opens
        // no more than libc and libm, which is most of what makes an offline command start fast.
        if (KQ_STATIC_LIBS) {
            CHECK_FALSE(opened(run, "libstdc++"));
            CHECK_FALSE(opened(run, "libyaml-cpp"));
            CHECK_FALSE(opened(run, "libfmt"));
            CHECK_FALSE(opened(run, "libnettle"));
            CHECK_FALSE(opened(run, "libgcc_s"));
        }
    }
}

TEST_CASE("a command that reaches the cluster loads libcurl when it needs it") {
    ScratchFolder folder;
    write_text(folder.path / "kq.yaml", k_startup_project);
    write_text(folder.path / "kubeconfig", k_kubeconfig);
    const LoadedLibraries run = run_logged({"list", "--request-timeout", "5s"}, folder.path);
    CAPTURE(run.stderr_text);
    CHECK(run.status == kq::k_exit_cluster);
    CHECK(opened(run, "libcurl.so.4"));
    CHECK(run.stderr_text.find("dynamically loaded by") != std::string::npos);
}

// The kq: error line of a run's stderr, which also holds the loader's log.
std::string error_line(const LoadedLibraries& run) {
    std::istringstream lines(run.stderr_text);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("kq: error: ")) return line;
    }
    return "";
}

TEST_CASE("kq names a libcurl or libcrypto it can't load, and the package to install") {
    // An empty file where the loader looks first stands for a missing or broken library.
    ScratchFolder folder;
    write_text(folder.path / "kq.yaml", k_startup_project);
    std::filesystem::create_directory(folder.path / "lib");
    write_text(folder.path / "lib" / "libcurl.so.4", "");
    write_text(folder.path / "lib" / "libcrypto.so.3", "");
    const std::string environment = "LD_LIBRARY_PATH=" + shell_quote((folder.path / "lib").string());

    SUBCASE("libcurl, on the first request") {
        write_text(folder.path / "kubeconfig", k_kubeconfig);
        const LoadedLibraries run = run_logged({"list"}, folder.path, environment);
        CHECK(run.status == kq::k_exit_cluster);
        CHECK(error_line(run) == "kq: error: cannot load libcurl.so.4: " + (folder.path / "lib").string() +
                                     "/libcurl.so.4: file too short; install the libcurl4 package");
    }
    SUBCASE("libcrypto, when the kubeconfig's certificate authority is checked") {
        std::string kubeconfig = k_kubeconfig;
        const std::string server = "{server: 'https://127.0.0.1:1'}";
        kubeconfig.replace(kubeconfig.find(server), server.size(),
                           "{server: 'https://127.0.0.1:1', certificate-authority-data: Zm9v}");
        write_text(folder.path / "kubeconfig", kubeconfig);
        const LoadedLibraries run = run_logged({"list"}, folder.path, environment);
        CHECK(run.status == kq::k_exit_cluster);
        CHECK(error_line(run) == "kq: error: cannot load libcrypto.so.3: " + (folder.path / "lib").string() +
                                     "/libcrypto.so.3: file too short; install the libssl3 package");
    }
    SUBCASE("neither, for the offline commands") {
        write_text(folder.path / "kubeconfig", k_kubeconfig);
        CHECK(run_logged({"render", "hello"}, folder.path, environment).status == 0);
        CHECK(run_logged({"validate"}, folder.path, environment).status == 0);
    }
}

TEST_CASE("a library that can't be loaded is named with the loader's reason and the package to install") {
    try {
        kq::kube::SharedLibrary library("libkq-no-such-library.so.0", "kq-no-such-package");
        FAIL("the library loaded");
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::cluster);
        CHECK(std::string(error.what()) ==
              "cannot load libkq-no-such-library.so.0: libkq-no-such-library.so.0: cannot open shared object "
              "file: No such file or directory; install the kq-no-such-package package");
    }
}

TEST_CASE("a library without a function kq needs is named with the function and the package to upgrade") {
    const kq::kube::SharedLibrary libc("libc.so.6", "libc6");
    size_t (*length)(const char*) = nullptr;
    libc.resolve(length, "strlen");
    const bool resolved = length != nullptr; // doctest can't print a function pointer
    REQUIRE(resolved);
    CHECK(length("kq") == 2);

    void (*missing)() = nullptr;
    try {
        libc.resolve(missing, "kq_no_such_function");
        FAIL("the function was found");
    } catch (const kq::Error& error) {
        const std::string message = error.what();
        CHECK(error.kind() == kq::ErrorKind::cluster);
        CHECK(message.starts_with("cannot use libc.so.6: "));
        CHECK(message.ends_with("undefined symbol: kq_no_such_function; install a newer libc6 package"));
    }
}

TEST_SUITE_END();
