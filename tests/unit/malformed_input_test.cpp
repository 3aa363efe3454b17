// Hand-written malformed inputs for the two files kq reads from users: the project file and the
// kubeconfig. Truncated YAML, huge files, deep nesting, binary data, invalid UTF-8 and very long strings
// must each be refused with a clear error naming the file (or accepted, where they are valid), without
// a crash and with bounded memory. The big inputs are generated here, into a temporary folder, and the
// built kq runs on them as a child process whose peak resident memory (rusage, through GNU time) is
// checked.
#include "build_paths.hpp"
#include "kube/kubeconfig.hpp"
#include "project/diagnostics.hpp"
#include "project/loader.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using kq::testing::file_contents;
using kq::testing::source_path;
namespace fs = std::filesystem;

namespace {

// The most resident memory a kq run on any of these inputs may reach. Generous: the point is that
// memory stays bounded whatever the input, not how small it is (ASan's shadow memory included).
constexpr long k_max_rss_kib = 512 * 1024;

// What one run of the built kq printed, how it ended and its peak resident memory.
struct ChildResult {
    int status = -1;
    std::string out;
    std::string err;
    long max_rss_kib = 0;
};

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
}

// A temporary folder, removed with everything in it at the end of the test.
class Scratch {
public:
    Scratch() {
        std::string pattern = (fs::temp_directory_path() / "kq-malformed-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        m_path = pattern;
    }
    ~Scratch() {
        std::error_code ignored;
        fs::remove_all(m_path, ignored);
    }
    Scratch(const Scratch&) = delete;
    Scratch& operator=(const Scratch&) = delete;
    const fs::path& path() const { return m_path; }

private:
    fs::path m_path;
};

// Runs the built kq in folder with args, HOME pointing there and no KQ_FILE or KUBECONFIG, and waits
// for it. Its peak memory comes from GNU time, which starts it: a process forked from this one would
// count this test's own memory in its peak, which survives exec.
ChildResult run_kq_child(const fs::path& folder, const std::vector<std::string>& args) {
    const fs::path out_file = folder / ".stdout";
    const fs::path err_file = folder / ".stderr";
    const fs::path rss_file = folder / ".rss";
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (out < 0 || err < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 || ::chdir(folder.c_str()) != 0)
            ::_exit(127);
        ::setenv("HOME", folder.c_str(), 1);
        ::unsetenv("KQ_FILE");
        ::unsetenv("KUBECONFIG");
        std::vector<std::string> copies = {"/usr/bin/time",         "-f", "%M", "-o", rss_file.string(),
                                           kq::testing::k_kq_binary};
        copies.insert(copies.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (std::string& arg : copies)
            argv.push_back(arg.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    ChildResult result;
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = file_contents(out_file);
    result.err = file_contents(err_file);
    // GNU time writes "Command exited with non-zero status N" first when kq failed; the figure is last.
    std::string rss = file_contents(rss_file);
    while (!rss.empty() && rss.back() == '\n')
        rss.pop_back();
    const std::size_t last_line = rss.rfind('\n');
    rss = rss.substr(last_line == std::string::npos ? 0 : last_line + 1);
    REQUIRE_MESSAGE(!rss.empty(), "/usr/bin/time (Debian's time package) wrote no peak RSS");
    result.max_rss_kib = std::stol(rss);
    return result;
}

// Bytes that look like no text at all: a fixed pseudo-random sequence, the same on every run.
std::string binary_bytes(std::size_t size) {
    std::string bytes(size, '\0');
    std::uint32_t state = 20261128;
    for (char& byte : bytes) {
        state = state * 1664525u + 1013904223u;
        byte = static_cast<char>(state >> 24);
    }
    return bytes;
}

const std::string k_project_head = "version: 1\njobs:\n  hello:\n    image: busybox:1.36\n";

// A kubeconfig whose one context is usable, with extra text at the end of the user entry.
std::string kubeconfig_with(const std::string& user_fields) {
    return "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
           "clusters:\n- name: test\n  cluster:\n    server: https://127.0.0.1:6443\n"
           "contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: batch\n"
           "users:\n- name: test\n  user:\n" +
           user_fields;
}

// One line: what kq prints for a refused file.
bool is_one_line(const std::string& text) {
    return !text.empty() && text.back() == '\n' && text.find('\n') == text.size() - 1;
}

// True when text is prefix, then a line and column or just a column ("5:12" or "12"), then rest: a
// message whose exact place depends on the generated input.
bool located(const std::string& text, const std::string& prefix, const std::string& rest) {
    if (text.rfind(prefix, 0) != 0) return false;
    std::size_t i = prefix.size();
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9')
            ++i;
        return i > start;
    };
    if (!digits()) return false;
    if (i + 1 < text.size() && text[i] == ':' && text[i + 1] >= '0' && text[i + 1] <= '9') {
        ++i;
        digits();
    }
    return text.compare(i, std::string::npos, rest) == 0;
}

} // namespace

TEST_CASE("malformed project: a 50 MB file is refused before it is read") {
    Scratch scratch;
    std::string text = k_project_head + "    args: ['";
    text.append(50u * 1024 * 1024 - text.size() - 3, 'x');
    text += "']\n";
    write_text(scratch.path() / "huge.yaml", text);
    const ChildResult result = run_kq_child(scratch.path(), {"-f", "huge.yaml", "render", "hello"});
    CHECK(result.status == 125);
    CHECK(result.out == "");
    CHECK(result.err ==
          "kq: error: huge.yaml: the file is 52428800 bytes, more than the 4194304 bytes allowed\n");
    CHECK(result.max_rss_kib < k_max_rss_kib);
}

TEST_CASE("malformed project: a 10 MB string is refused with the file; a 4 MB one is rendered") {
    Scratch scratch;
    const std::string ten_mb = k_project_head + "    args: ['" + std::string(10u * 1024 * 1024, 'a') + "']\n";
    write_text(scratch.path() / "ten.yaml", ten_mb);
    const ChildResult refused = run_kq_child(scratch.path(), {"-f", "ten.yaml", "render", "hello"});
    CHECK(refused.status == 125);
    CHECK(refused.out == "");
    CHECK(refused.err == "kq: error: ten.yaml: the file is " + std::to_string(ten_mb.size()) +
                             " bytes, more than the 4194304 bytes allowed\n");
    CHECK(refused.max_rss_kib < k_max_rss_kib);

    // Just under the limit, one long string is a valid project; the manifest carries it whole.
    std::string text = k_project_head + "    args: ['";
    const std::size_t length = kq::project::k_max_project_bytes - text.size() - 3;
    text += std::string(length, 'b') + "']\n";
    REQUIRE(text.size() == kq::project::k_max_project_bytes);
    write_text(scratch.path() / "four.yaml", text);
    const ChildResult rendered =
        run_kq_child(scratch.path(), {"-f", "four.yaml", "render", "hello", "-o", "json"});
    CHECK(rendered.status == 0);
    CHECK(rendered.err == "");
    CHECK(rendered.out.find("\"" + std::string(length, 'b') + "\"") != std::string::npos);
    CHECK(rendered.max_rss_kib < k_max_rss_kib);
}

TEST_CASE("malformed project: 4 MB of tiny values stop at the value limit") {
    Scratch scratch;
    std::string text = k_project_head + "    args: [";
    while (text.size() < kq::project::k_max_project_bytes - 8)
        text += "1,";
    text += "1]\n";
    write_text(scratch.path() / "many.yaml", text);
    const ChildResult result = run_kq_child(scratch.path(), {"-f", "many.yaml", "render", "hello"});
    CHECK(result.status == 125);
    CHECK(result.out == "");
    CHECK(located(
        result.err, "kq: error: many.yaml:5:",
        ": the file holds more than 200000 values (counting each alias's copy); split it or use fewer "
        "aliases\n"));
    CHECK(result.max_rss_kib < k_max_rss_kib);
}

TEST_CASE("malformed project: aliases that expand a billion times stop at the value limit") {
    Scratch scratch;
    std::string text = k_project_head + "    podTemplate:\n      a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level < 10; ++level) {
        text += "      a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
        for (int copy = 0; copy < 10; ++copy)
            text += (copy == 0 ? "*a" : ", *a") + std::to_string(level - 1);
        text += "]\n";
    }
    write_text(scratch.path() / "laughs.yaml", text);
    const ChildResult result = run_kq_child(scratch.path(), {"-f", "laughs.yaml", "render", "hello"});
    CHECK(result.status == 125);
    CHECK(result.out == "");
    CHECK(located(
        result.err, "kq: error: laughs.yaml:",
        ": the file holds more than 200000 values (counting each alias's copy); split it or use fewer "
        "aliases\n"));
    CHECK(result.max_rss_kib < k_max_rss_kib);
}

TEST_CASE("malformed project: 10,000 levels of nesting, flow or block, are refused at level 64") {
    Scratch scratch;
    const std::string flow =
        k_project_head + "    podTemplate: " + std::string(10000, '[') + std::string(10000, ']') + "\n";
    std::string block = k_project_head + "    args:\n    ";
    for (int level = 0; level < 10000; ++level)
        block += "- ";
    block += "x\n";
    std::string maps = k_project_head + "    podTemplate: ";
    for (int level = 0; level < 10000; ++level)
        maps += "{a: ";
    maps += std::string(10000, '}') + "\n";
    write_text(scratch.path() / "flow.yaml", flow);
    write_text(scratch.path() / "block.yaml", block);
    write_text(scratch.path() / "maps.yaml", maps);
    // The block list starts on the line after "args:".
    for (const auto& [file, line] :
         {std::pair{"flow.yaml", ":5:"}, std::pair{"block.yaml", ":6:"}, std::pair{"maps.yaml", ":5:"}}) {
        const std::string name = file;
        CAPTURE(name);
        const ChildResult result = run_kq_child(scratch.path(), {"-f", name, "render", "hello"});
        CHECK(result.status == 125);
        CHECK(result.out == "");
        CHECK(located(result.err, "kq: error: " + name + line,
                      ": values nested more than 64 levels deep; flatten the file\n"));
        CHECK(result.max_rss_kib < k_max_rss_kib);
    }
}

TEST_CASE("malformed project: binary data is refused at its first invalid byte") {
    Scratch scratch;
    write_text(scratch.path() / "binary.yaml", binary_bytes(1024 * 1024));
    const ChildResult render = run_kq_child(scratch.path(), {"-f", "binary.yaml", "render", "hello"});
    CHECK(render.status == 125);
    CHECK(render.out == "");
    CHECK(located(render.err, "kq: error: binary.yaml:", ": invalid UTF-8; save the file as UTF-8\n"));
    CHECK(render.max_rss_kib < k_max_rss_kib);

    // Valid UTF-8 made of control characters: validate lists the first ones, then says there are more.
    std::string controls;
    for (int i = 0; i < 100000; ++i)
        controls += static_cast<char>(i % 9);
    write_text(scratch.path() / "controls.yaml", controls);
    const ChildResult validate = run_kq_child(scratch.path(), {"-f", "controls.yaml", "validate"});
    CHECK(validate.status == 125);
    CHECK(validate.out == "");
    CHECK(validate.err.rfind("controls.yaml:1:1: invalid control character 0x00; remove it\n", 0) == 0);
    CHECK(validate.err.find("controls.yaml: more than ") != std::string::npos);
    const auto lines = static_cast<std::size_t>(std::count(validate.err.begin(), validate.err.end(), '\n'));
    CHECK(lines <= kq::project::Diagnostics::k_max_diagnostics + 2);
    CHECK(validate.max_rss_kib < k_max_rss_kib);
}

TEST_CASE("malformed project: every truncation of a valid file loads or is refused naming the file") {
    // The cut may fall anywhere: in a key, a quoted string, a flow map, a block scalar, a UTF-8 sequence.
    const std::string text = file_contents(source_path("tests/fixtures/valid/features.yaml"));
    REQUIRE(text.size() > 500);
    int refused = 0;
    for (std::size_t length = 0; length < text.size(); ++length) {
        kq::project::Diagnostics diagnostics;
        (void)kq::project::parse_project(std::string_view(text).substr(0, length), "cut.yaml", diagnostics);
        for (const auto& diagnostic : diagnostics.sorted()) {
            const std::string line = kq::project::to_string(diagnostic);
            if (line.rfind("cut.yaml", 0) != 0 || line.find('\n') != std::string::npos) {
                FAIL_CHECK("cut at " << length << ": " << line);
            }
        }
        refused += diagnostics.empty() ? 0 : 1;
    }
    // Most cuts leave something kq must refuse (an unfinished value, a missing image ...).
    CHECK(refused > 0);
}

TEST_CASE("malformed kubeconfig: a 50 MB file is refused, a 10 MB token is read") {
    Scratch scratch;
    std::string huge = kubeconfig_with("    token: ");
    huge += std::string(50u * 1024 * 1024, 't') + "\n";
    write_text(scratch.path() / "huge", huge);
    const ChildResult refused = run_kq_child(scratch.path(), {"--kubeconfig", "huge", "context"});
    CHECK(refused.status == 123);
    CHECK(refused.out == "");
    CHECK(refused.err == "kq: error: huge: the kubeconfig is larger than 16 MiB; name the right file\n");
    CHECK(refused.max_rss_kib < k_max_rss_kib);

    write_text(scratch.path() / "ten",
               kubeconfig_with("    token: " + std::string(10u * 1024 * 1024, 't') + "\n"));
    const ChildResult read = run_kq_child(scratch.path(), {"--kubeconfig", "ten", "context", "-o", "json"});
    CHECK(read.status == 0);
    CHECK(read.err == "");
    CHECK(read.out.find("\"server\": \"https://127.0.0.1:6443\"") != std::string::npos);
    CHECK(read.out.find("ttttt") == std::string::npos);
    CHECK(read.max_rss_kib < k_max_rss_kib);
}

TEST_CASE("malformed kubeconfig: deep nesting, alias bombs and floods of values are refused") {
    Scratch scratch;
    const std::string nested =
        kubeconfig_with("    exec: " + std::string(10000, '[') + std::string(10000, ']') + "\n");
    std::string laughs =
        kubeconfig_with("    as-groups: [x]\n") + "preferences:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int level = 1; level < 10; ++level) {
        laughs += "  a" + std::to_string(level) + ": &a" + std::to_string(level) + " [";
        for (int copy = 0; copy < 10; ++copy)
            laughs += (copy == 0 ? "*a" : ", *a") + std::to_string(level - 1);
        laughs += "]\n";
    }
    std::string flood = kubeconfig_with("    as-groups: [");
    for (int i = 0; i < 1000000; ++i)
        flood += "g,";
    flood += "g]\n";
    write_text(scratch.path() / "nested", nested);
    write_text(scratch.path() / "laughs", laughs);
    write_text(scratch.path() / "flood", flood);
    const std::string too_many =
        ": the kubeconfig holds more than 200000 values (counting each alias's copy)\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"nested", ": values nested more than 64 levels deep\n"},
        {"laughs", too_many},
        {"flood", too_many},
    };
    for (const auto& [file, expected] : cases) {
        const std::string name = file;
        CAPTURE(name);
        const ChildResult result = run_kq_child(scratch.path(), {"--kubeconfig", name, "context"});
        CHECK(result.status == 123);
        CHECK(result.out == "");
        CHECK(located(result.err, "kq: error: " + name + ":", expected));
        CHECK(result.max_rss_kib < k_max_rss_kib);
    }
}

TEST_CASE("malformed kubeconfig: binary data, invalid UTF-8 and control characters are refused") {
    Scratch scratch;
    write_text(scratch.path() / "binary", binary_bytes(1024 * 1024));
    write_text(scratch.path() / "latin1", kubeconfig_with("    username: j\xf6rg\n"));
    write_text(scratch.path() / "overlong", kubeconfig_with("    username: \xc0\xaf\n"));
    write_text(scratch.path() / "nul", kubeconfig_with(std::string("    token: abc\0def\n", 19)));
    const std::string not_utf8 = ": invalid UTF-8; save the kubeconfig as UTF-8\n";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"binary", ""}, // where depends on the bytes: checked with located()
        {"latin1", "kq: error: latin1:17:16" + not_utf8},
        {"overlong", "kq: error: overlong:17:15" + not_utf8},
        {"nul", "kq: error: nul:17:15: invalid control character 0x00; remove it\n"},
    };
    for (const auto& [file, expected] : cases) {
        const std::string name = file;
        CAPTURE(name);
        const ChildResult result = run_kq_child(scratch.path(), {"--kubeconfig", name, "context"});
        CHECK(result.status == 123);
        CHECK(result.out == "");
        if (name == "binary")
            CHECK(located(result.err, "kq: error: binary:", not_utf8));
        else
            CHECK(result.err == expected);
        CHECK(is_one_line(result.err));
        CHECK(result.max_rss_kib < k_max_rss_kib);
    }
}

TEST_CASE("malformed kubeconfig: every truncation of a valid file parses or is refused naming the file") {
    const std::string text = file_contents(source_path("tests/fixtures/kubeconfig/config"));
    REQUIRE(text.size() > 500);
    for (std::size_t length = 0; length < text.size(); ++length) {
        try {
            (void)kq::kube::parse_kubeconfig(std::string_view(text).substr(0, length), "/cut/config");
        } catch (const kq::Error& error) {
            const std::string message = error.what();
            if (message.rfind("/cut/config", 0) != 0 || message.find('\n') != std::string::npos) {
                FAIL_CHECK("cut at " << length << ": " << message);
            }
        }
    }
}
