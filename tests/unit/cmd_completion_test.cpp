// `kq completion` and `kq __complete`: the scripts as printed, the candidates for each kind of word,
// and the scripts loaded into real bash, zsh and fish asking the built kq.

#include "build_paths.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using kq::testing::file_contents;
using kq::testing::run_kq;
using kq::testing::source_path;

namespace {

// What `kq __complete` answered: the candidates, their descriptions and the last line.
struct Answer {
    int status = -1;
    std::vector<std::string> values;
    std::vector<std::string> descriptions;
    std::string mode;
    std::string err;
};

Answer complete(std::vector<std::string> words) {
    words.insert(words.begin(), "__complete");
    const kq::testing::RunResult result = run_kq(words);
    Answer answer;
    answer.status = result.status;
    answer.err = result.err;
    std::istringstream lines(result.out);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.front() == ':') {
            answer.mode = line;
            continue;
        }
        const std::size_t tab = line.find('\t');
        answer.values.push_back(line.substr(0, tab));
        answer.descriptions.push_back(tab == std::string::npos ? "" : line.substr(tab + 1));
    }
    return answer;
}

bool has(const std::vector<std::string>& values, const std::string& value) {
    return std::find(values.begin(), values.end(), value) != values.end();
}

void write_text(const std::filesystem::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary);
    file << text;
}

// A scratch folder, removed with its contents at the end of the test.
struct ScratchDir {
    std::filesystem::path path;
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "kq-completion-XXXXXX").string();
        path = mkdtemp(pattern.data());
    }
    ~ScratchDir() { std::filesystem::remove_all(path); }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
};

// A TCP port on loopback that accepts connections (the kernel completes them) and never answers:
// a cluster that hangs.
struct SilentServer {
    int fd = -1;
    int port = 0;
    SilentServer() {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(listen(fd, 16) == 0);
        socklen_t length = sizeof address;
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
        port = ntohs(address.sin_port);
    }
    ~SilentServer() { close(fd); }
    SilentServer(const SilentServer&) = delete;
    SilentServer& operator=(const SilentServer&) = delete;
};

// A kubeconfig whose clusters are at 127.0.0.1:port, with a context named like an EKS ARN (colons).
std::string kubeconfig_text(int port) {
    return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
           "clusters:\n"
           "- name: dev\n  cluster: {server: 'https://127.0.0.1:" +
           std::to_string(port) +
           "', insecure-skip-tls-verify: true}\n"
           "users:\n- name: dev\n  user: {token: not-a-secret}\n"
           "contexts:\n"
           "- name: dev\n  context: {cluster: dev, user: dev, namespace: work}\n"
           "- name: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod'\n  context: {cluster: dev, user: "
           "dev}\n";
}

const std::string k_completion_project = source_path("tests/fixtures/completion/kq.yaml");

} // namespace

TEST_SUITE_BEGIN("completion");

TEST_CASE("kq completion prints the scripts of completions/, byte for byte") {
    for (const auto& [shell_name, file] :
         {std::pair{"bash", "kq.bash"}, std::pair{"zsh", "_kq"}, std::pair{"fish", "kq.fish"}}) {
        // A copy, as CAPTURE's lambda cannot capture a structured binding under clang 14.
        const std::string shell = shell_name;
        CAPTURE(shell);
        const kq::testing::RunResult result = run_kq({"completion", shell});
        CHECK(result.status == 0);
        CHECK(result.err.empty());
        // When this fails, the script in src/cmd/completion.cpp and completions/ differ: change both.
        CHECK(result.out == file_contents(source_path(std::string("completions/") + file)));
    }
}

TEST_CASE("kq completion names the shells it knows") {
    const kq::testing::RunResult result = run_kq({"completion", "tcsh"});
    CHECK(result.status == kq::k_exit_usage);
    CHECK(result.out.empty());
    CHECK(result.err.find("tcsh") != std::string::npos);
    CHECK(result.err.find("bash,zsh,fish") != std::string::npos);
    CHECK(run_kq({"completion"}).status == kq::k_exit_usage);
}

TEST_CASE("commands are completed with their summaries; the hidden entry point is not offered") {
    const Answer answer = complete({""});
    CHECK(answer.status == 0);
    CHECK(answer.mode == ":words");
    for (const char* command :
         {"init", "schema", "jobs", "validate", "render", "context", "completion", "help"}) {
        CAPTURE(command);
        CHECK(has(answer.values, command));
    }
    CHECK_FALSE(has(answer.values, "__complete"));
    const auto render = std::find(answer.values.begin(), answer.values.end(), "render");
    REQUIRE(render != answer.values.end());
    CHECK(answer.descriptions[static_cast<std::size_t>(render - answer.values.begin())] ==
          "Print the Job manifest a definition renders to");

    const Answer prefixed = complete({"re"});
    CHECK(prefixed.values == std::vector<std::string>{"render", "resume", "rerun"});
    CHECK(complete({"help", "va"}).values == std::vector<std::string>{"validate"});
}

TEST_CASE("flags are completed from the command's definition, global ones before the command") {
    const Answer render = complete({"render", "--"});
    for (const char* flag : {"--output", "--param", "--name", "--namespace", "--context", "--kubeconfig",
                             "--request-timeout", "--verbose", "--help"}) {
        CAPTURE(flag);
        CHECK(has(render.values, flag));
    }
    CHECK_FALSE(has(render.values, "--file")); // -f is given before the command
    CHECK(has(complete({"--"}).values, "--file"));
    CHECK(has(complete({"--"}).values, "--version"));
    CHECK(complete({"render", "--out"}).values == std::vector<std::string>{"--output"});
    // "-" lists each flag once, by its long name; a short name typed in full is offered as it is.
    CHECK_FALSE(has(complete({"render", "-"}).values, "-o"));
    CHECK(complete({"render", "-o"}).values == std::vector<std::string>{"-o"});
}

TEST_CASE("enumerated flag values come from the command's IsMember sets, in every spelling") {
    CHECK(complete({"render", "hello", "-o", ""}).values == std::vector<std::string>{"yaml", "json"});
    CHECK(complete({"render", "--output", "j"}).values == std::vector<std::string>{"json"});
    CHECK(complete({"render", "--output=j"}).values == std::vector<std::string>{"--output=json"});
    CHECK(complete({"render", "-oj"}).values == std::vector<std::string>{"-ojson"});
    CHECK(complete({"jobs", "-o", ""}).values == std::vector<std::string>{"json"});
    CHECK(complete({"completion", ""}).values == std::vector<std::string>{"bash", "zsh", "fish"});
    // A flag that takes its value only after "=", from the table of known values.
    CHECK(complete({"delete", "--dry-run=s"}).values == std::vector<std::string>{"--dry-run=server"});
    // A value that was given is not taken for the next word's flag.
    CHECK(complete({"render", "-o", "json", ""}).mode == ":words");
}

TEST_CASE("job definitions come from the project file that -f names") {
    const Answer answer = complete({"-f", k_completion_project, "render", ""});
    CHECK(answer.status == 0);
    CHECK(answer.values == std::vector<std::string>{"export", "hello", "vacuum"});
    CHECK(answer.descriptions ==
          std::vector<std::string>{"Export one day of events", "Print a greeting", ""});
    CHECK(complete({"--file=" + k_completion_project, "render", "h"}).values ==
          std::vector<std::string>{"hello"});
    // Only the first argument is a definition; after "--" come the container's arguments.
    CHECK(complete({"-f", k_completion_project, "render", "hello", ""}).values.empty());
    CHECK(complete({"-f", k_completion_project, "render", "hello", "--", ""}).values.empty());
    CHECK(complete({"-f", k_completion_project, "run", "hello", "--", "--"}).values.empty());
    CHECK(complete({"-f", k_completion_project, "logs", "--job", "v"}).values ==
          std::vector<std::string>{"vacuum"});
}

TEST_CASE("-p completes the definition's params, then an enum param's values") {
    const Answer names = complete({"-f", k_completion_project, "render", "export", "-p", ""});
    CHECK(names.mode == ":nospace");
    CHECK(names.values == std::vector<std::string>{"date=", "format="});
    CHECK(names.descriptions == std::vector<std::string>{"the day to export (required)", "default \"csv\""});
    const Answer values = complete({"-f", k_completion_project, "render", "export", "--param", "format=p"});
    CHECK(values.mode == ":words");
    CHECK(values.values == std::vector<std::string>{"format=parquet"});
    CHECK(complete({"-f", k_completion_project, "render", "hello", "-p", ""}).values.empty());
}

TEST_CASE("flags that take paths leave the completion to the shell") {
    CHECK(complete({"-f", ""}).mode == ":files");
    CHECK(complete({"--file="}).mode == ":files");
    CHECK(complete({"render", "--kubeconfig", ""}).mode == ":files");
    CHECK(complete({"init", ""}).mode == ":files");
    // A free-text value offers nothing, and no file names either.
    const Answer name = complete({"render", "hello", "--name", ""});
    CHECK(name.mode == ":words");
    CHECK(name.values.empty());
}

TEST_CASE("contexts come from the kubeconfig that --kubeconfig names") {
    ScratchDir dir;
    write_text(dir.path / "config", kubeconfig_text(1));
    const std::string kubeconfig = (dir.path / "config").string();
    const Answer answer = complete({"--kubeconfig", kubeconfig, "context", "--context", ""});
    CHECK(answer.values ==
          std::vector<std::string>{"arn:aws:eks:eu-west-1:123456789012:cluster/prod", "dev"});
    CHECK(answer.descriptions ==
          std::vector<std::string>{"cluster dev", "cluster dev, namespace work (current)"});
    CHECK(complete({"render", "--kubeconfig=" + kubeconfig, "--context=arn:"}).values ==
          std::vector<std::string>{"--context=arn:aws:eks:eu-west-1:123456789012:cluster/prod"});
}

TEST_CASE("a source that fails offers nothing, says nothing and still exits 0") {
    ScratchDir dir;
    write_text(dir.path / "broken.yaml", "version: 1\njobs: [\n");
    for (const std::vector<std::string>& words :
         {std::vector<std::string>{"-f", (dir.path / "broken.yaml").string(), "render", ""},
          std::vector<std::string>{"-f", (dir.path / "missing.yaml").string(), "render", ""},
          std::vector<std::string>{"--kubeconfig", (dir.path / "missing").string(), "--context", ""},
          std::vector<std::string>{"frobnicate", "--"}, std::vector<std::string>{"render", "--nope=", ""}}) {
        CAPTURE(words.front());
        const Answer answer = complete(words);
        CHECK(answer.status == 0);
        CHECK(answer.values.empty());
        CHECK(answer.err.empty());
    }
}

TEST_CASE("an unreachable or silent cluster yields no Job names, quickly") {
    ScratchDir dir;
    SilentServer silent;
    write_text(dir.path / "refused", kubeconfig_text(1));
    write_text(dir.path / "silent", kubeconfig_text(silent.port));
    const std::string refused = (dir.path / "refused").string();
    for (const std::vector<std::string>& words :
         {std::vector<std::string>{"--kubeconfig", refused, "logs", ""},
          std::vector<std::string>{"--kubeconfig", refused, "-n", ""},
          std::vector<std::string>{"--kubeconfig", refused, "delete", "--job", "x", ""},
          // One that never answers costs the request timeout, however long --request-timeout is.
          std::vector<std::string>{"--kubeconfig", (dir.path / "silent").string(), "--request-timeout", "1h",
                                   "delete", ""}}) {
        CAPTURE(words[2]);
        const auto start = std::chrono::steady_clock::now();
        const Answer answer = complete(words);
        const auto elapsed = std::chrono::steady_clock::now() - start;
        CHECK(answer.status == 0);
        CHECK(answer.values.empty());
        CHECK(answer.err.empty());
        CHECK(elapsed < std::chrono::milliseconds(2500));
    }
}

TEST_SUITE_END();

// The scripts in real shells: each asks the built kq (first on PATH) for candidates.
TEST_SUITE_BEGIN("completion shells");

namespace {

// The bash test: sources the script, replaces compopt (which only works inside a real completion)
// by one that prints its arguments, completes the line and prints COMPREPLY.
constexpr const char* k_bash_harness = R"(source "$1"
compopt() { printf 'compopt %s\n' "$*"; }
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
_kq
((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}"
)";

// The zsh test: a real interactive zsh in a pseudo-terminal with compinit, the script sourced and
// compadd wrapped to record every match; types the line and a tab, then prints what was offered.
constexpr const char* k_zsh_harness = R"(zmodload zsh/zpty
script=$1 line=$2 matches=$3
: >$matches
zpty -b z zsh -f -i
zpty -w z "PS1='' PROMPT='' RPROMPT=''; autoload -Uz compinit; compinit -u -D"
zpty -w z "source ${(q)script}"
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; print -r -l -- \${^m} >>${(q)matches}; builtin compadd \"\$@\"; }"
zpty -w z "print KQ\"READY\""
zpty -r z out '*KQREADY*'
zpty -n -w z "$line"$'\t'
zpty -n -w z $'\C-u'
zpty -w z "print KQ\"DONE\""
zpty -r z out '*KQDONE*'
zpty -d z
sort -u $matches
)";

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (const char c : text)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// Runs a shell command line in `cwd` with the built kq first on PATH; returns its stdout as lines.
std::vector<std::string> shell_lines(const std::string& command, const std::filesystem::path& cwd) {
    const std::string bin = std::filesystem::path(kq::testing::k_kq_binary).parent_path().string();
    const std::string line = "cd " + shell_quote(cwd.string()) + " && PATH=" + shell_quote(bin) +
                             ":\"$PATH\" timeout 60 " + command + " 2>&1";
    std::FILE* pipe = popen(line.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buffer[4096];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
        out.append(buffer, got);
    CHECK(pclose(pipe) == 0);
    std::vector<std::string> lines;
    std::istringstream stream(out);
    for (std::string text; std::getline(stream, text);)
        lines.push_back(text);
    return lines;
}

// A folder with the completion fixture as kq.yaml, a kubeconfig and a file to complete.
struct ShellFixture {
    ScratchDir dir;
    ShellFixture() {
        std::filesystem::copy_file(k_completion_project, dir.path / "kq.yaml");
        write_text(dir.path / "kubeconfig", kubeconfig_text(1));
        write_text(dir.path / "other-project.yaml", "version: 1\njobs: {}\n");
        write_text(dir.path / "bash.sh", k_bash_harness);
        write_text(dir.path / "zsh.zsh", k_zsh_harness);
    }

    std::vector<std::string> bash(const std::string& line) const {
        return shell_lines("bash --norc --noprofile bash.sh " +
                               shell_quote(source_path("completions/kq.bash")) + " " + shell_quote(line),
                           dir.path);
    }

    std::vector<std::string> zsh(const std::string& line) const {
        return shell_lines("zsh -f zsh.zsh " + shell_quote(source_path("completions/_kq")) + " " +
                               shell_quote(line) + " " + shell_quote((dir.path / "matches").string()),
                           dir.path);
    }

    std::vector<std::string> fish(const std::string& line) const {
        return shell_lines("fish --no-config -c " +
                               shell_quote("source " + source_path("completions/kq.fish") + "; complete -C " +
                                           shell_quote(line)),
                           dir.path);
    }
};

using Lines = std::vector<std::string>;

} // namespace

TEST_CASE("bash") {
    const ShellFixture shell;
    CHECK(has(shell.bash("kq "), "render"));
    CHECK(shell.bash("kq ren") == Lines{"render"});
    CHECK(shell.bash("kq render ") == Lines{"export", "hello", "vacuum"});
    CHECK(shell.bash("kq -f other-project.yaml render ").empty());
    CHECK(shell.bash("kq render -o ") == Lines{"yaml", "json"});
    // Bash replaces only what follows "=" or ":", so the candidates must not repeat what precedes.
    CHECK(shell.bash("kq render --output=") == Lines{"yaml", "json"});
    CHECK(shell.bash("kq --kubeconfig kubeconfig --context arn:aws:eks:eu") ==
          Lines{"eu-west-1:123456789012:cluster/prod"});
    CHECK(shell.bash("kq render export -p ") == Lines{"compopt -o nospace", "date=", "format="});
    CHECK(shell.bash("kq render export -p format=j") == Lines{"json"});
    CHECK(shell.bash("kq -f ") == Lines{"compopt -o default"});
}

TEST_CASE("zsh") {
    const ShellFixture shell;
    CHECK(has(shell.zsh("kq "), "render"));
    CHECK(shell.zsh("kq render ") == Lines{"export", "hello", "vacuum"});
    CHECK(shell.zsh("kq render --output=") == Lines{"--output=json", "--output=yaml"});
    CHECK(shell.zsh("kq --kubeconfig kubeconfig --context a") ==
          Lines{"arn:aws:eks:eu-west-1:123456789012:cluster/prod"});
    CHECK(shell.zsh("kq render export -p f") == Lines{"format="});
    CHECK(has(shell.zsh("kq -f oth"), "other-project.yaml"));
}

TEST_CASE("fish") {
    const ShellFixture shell;
    CHECK(has(shell.fish("kq "), "render\tPrint the Job manifest a definition renders to"));
    CHECK(shell.fish("kq render ") ==
          Lines{"export\tExport one day of events", "hello\tPrint a greeting", "vacuum"});
    CHECK(shell.fish("kq render --output=") == Lines{"--output=json", "--output=yaml"});
    CHECK(shell.fish("kq --kubeconfig kubeconfig --context arn") ==
          Lines{"arn:aws:eks:eu-west-1:123456789012:cluster/prod\tcluster dev"});
    CHECK(shell.fish("kq render export -p ") ==
          Lines{"date=\tthe day to export (required)", "format=\tdefault \"csv\""});
    CHECK(has(shell.fish("kq -f oth"), "other-project.yaml"));
}

TEST_SUITE_END();
