// The docs follow the code: every command and long flag that --help shows is in kq(1) and offered by
// the completions, every project-file key is in kq.yaml(5), and both pages render without a warning.
// The lists come from kq itself (its --help, its schema), so a new command, flag or key that is not
// documented fails here.

#include "project/schema.hpp"
#include "test_helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using kq::testing::file_contents;
using kq::testing::run_kq;
using kq::testing::source_path;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);)
        lines.push_back(line);
    return lines;
}

// The commands listed under "Subcommands:" in `kq --help`.
std::vector<std::string> help_commands() {
    const kq::testing::RunResult help = run_kq({"--help"});
    REQUIRE(help.status == 0);
    std::vector<std::string> commands;
    bool in_list = false;
    for (const std::string& line : lines_of(help.out)) {
        if (line == "Subcommands:") {
            in_list = true;
        } else if (in_list && line.empty()) {
            in_list = false;
        } else if (in_list && line.rfind("  ", 0) == 0 && line[2] != ' ') {
            commands.push_back(line.substr(2, line.find(' ', 2) - 2));
        }
    }
    return commands;
}

// The long flags of a help text: the "--name" spellings of each option line ("  -o,--output TEXT ...",
// "  --dry-run{client} ...").
std::set<std::string> help_flags(const std::vector<std::string>& args) {
    const kq::testing::RunResult help = run_kq(args);
    REQUIRE(help.status == 0);
    std::set<std::string> flags;
    for (const std::string& line : lines_of(help.out)) {
        const std::size_t start = line.find_first_not_of(' ');
        if (start == std::string::npos || start == 0 || line[start] != '-') continue;
        std::istringstream names(line.substr(start, line.find(' ', start) - start));
        for (std::string name; std::getline(names, name, ',');) {
            if (name.rfind("--", 0) == 0) flags.insert(name.substr(0, name.find('{')));
        }
    }
    return flags;
}

// A man page as plain text: font changes dropped, "\-" as "-".
std::string man_text(const std::string& path) {
    std::string text = std::regex_replace(file_contents(path), std::regex(R"(\\f[BIRP])"), "");
    return std::regex_replace(text, std::regex(R"(\\-)"), "-");
}

// The part of a man page from a heading line (".SH NAME" or ".SS kq render") to the next heading of
// the same or a higher level; empty when the heading is missing.
std::string man_section(const std::string& text, const std::string& heading) {
    const std::string macro = heading.substr(0, 3);
    const std::size_t start = text.find("\n" + heading + "\n");
    if (start == std::string::npos) return "";
    std::size_t end = text.find("\n.SH ", start + 1);
    if (macro == ".SS") end = std::min(end, text.find("\n.SS ", start + 1));
    return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// True when `word` appears in `text` not followed by a character that would make it a longer word
// ("--all" is not found in "--all-namespaces").
bool has_word(const std::string& text, const std::string& word) {
    for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
        const std::size_t after = at + word.size();
        if (after == text.size() || !(std::isalnum(static_cast<unsigned char>(text[after])) ||
                                      text[after] == '-' || text[after] == '_')) {
            return true;
        }
    }
    return false;
}

// The candidates `kq __complete WORDS...` offers, without descriptions.
std::set<std::string> completion_values(std::vector<std::string> words) {
    words.insert(words.begin(), "__complete");
    const kq::testing::RunResult result = run_kq(words);
    std::set<std::string> values;
    for (const std::string& line : lines_of(result.out)) {
        if (!line.empty() && line.front() != ':') values.insert(line.substr(0, line.find('\t')));
    }
    return values;
}

const std::string k_kq_1 = source_path("man/kq.1");
const std::string k_kq_yaml_5 = source_path("man/kq.yaml.5");

} // namespace

TEST_SUITE_BEGIN("docs");

TEST_CASE("the help lists the commands the docs are checked against") {
    const std::vector<std::string> commands = help_commands();
    for (const char* command : {"init", "jobs", "validate", "render", "context", "completion", "help"}) {
        CAPTURE(command);
        CHECK(std::find(commands.begin(), commands.end(), command) != commands.end());
    }
    CHECK(help_flags({"render", "--help"}).count("--output") == 1);
}

TEST_CASE("kq(1) has a section for every command, naming each of its flags") {
    const std::string page = man_text(k_kq_1);
    const std::set<std::string> root_flags = help_flags({"--help"});
    const std::string global = man_section(page, ".SH GLOBAL FLAGS") + man_section(page, ".SH CLUSTER FLAGS");
    for (const std::string& flag : root_flags) {
        CAPTURE(flag);
        CHECK(has_word(global, flag));
    }
    for (const std::string& command : help_commands()) {
        CAPTURE(command);
        const std::string section = man_section(page, ".SS kq " + command);
        REQUIRE_MESSAGE(!section.empty(), "add a \".SS kq " << command << "\" section to man/kq.1");
        for (const std::string& flag : help_flags({command, "--help"})) {
            // The flags every command shares are described once, under GLOBAL and CLUSTER FLAGS.
            if (root_flags.count(flag) != 0) continue;
            CAPTURE(flag);
            CHECK_MESSAGE(has_word(section, flag),
                          "describe " << flag << " under \".SS kq " << command << "\"");
        }
    }
}

TEST_CASE("kq(1) documents the exit codes, the environment and the completion files") {
    const std::string page = man_text(k_kq_1);
    const std::string exit_status = man_section(page, ".SH EXIT STATUS");
    for (const char* code : {"0", "121", "122", "123", "124", "125", "130", "143"}) {
        CAPTURE(code);
        CHECK(has_word(exit_status, code));
    }
    const std::string environment = man_section(page, ".SH ENVIRONMENT");
    for (const char* variable : {"KQ_FILE", "KUBECONFIG", "NO_COLOR", "KUBERNETES_SERVICE_HOST",
                                 "KUBERNETES_SERVICE_PORT", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"}) {
        CAPTURE(variable);
        CHECK(has_word(environment, variable));
    }
    const std::string files = man_section(page, ".SH FILES");
    for (const char* path :
         {"/usr/share/bash-completion/completions/kq", "/usr/share/zsh/vendor-completions/_kq",
          "/usr/share/fish/vendor_completions.d/kq.fish"}) {
        CAPTURE(path);
        CHECK(has_word(files, path));
    }
}

TEST_CASE("the completions offer every command and every long flag --help shows") {
    const std::set<std::string> commands = completion_values({""});
    for (const std::string& command : help_commands()) {
        CAPTURE(command);
        CHECK(commands.count(command) == 1);
        const std::set<std::string> flags = completion_values({command, "--"});
        for (const std::string& flag : help_flags({command, "--help"})) {
            CAPTURE(flag);
            CHECK(flags.count(flag) == 1);
        }
    }
    const std::set<std::string> root_flags = completion_values({"--"});
    for (const std::string& flag : help_flags({"--help"})) {
        CAPTURE(flag);
        CHECK(root_flags.count(flag) == 1);
    }
}

TEST_CASE("kq.yaml(5) describes every key of the project file") {
    const std::string page = man_text(k_kq_yaml_5);
    const std::string job_keys = man_section(page, ".SH JOB KEYS");
    for (const kq::project::FieldSpec& field : kq::project::job_fields()) {
        const std::string key(field.key);
        CAPTURE(key);
        CHECK(has_word(job_keys, ".B " + key));
    }
    const std::string top_keys = man_section(page, ".SH TOP-LEVEL KEYS");
    for (const char* key : {"version", "namespace", "defaults", "jobs", "name"}) {
        CAPTURE(key);
        CHECK(has_word(top_keys, std::string(key)));
    }
    const std::string params = man_section(page, ".SH PARAMS");
    for (const char* key : {"default", "required", "description", "pattern", "enum"}) {
        CAPTURE(key);
        CHECK(has_word(params, std::string(".B ") + key));
    }
    const std::string templates = man_section(page, ".SH TEMPLATES");
    CHECK(templates.find("{{ \\(dq{{\\(dq }}") != std::string::npos); // how to write a literal "{{"
    const std::string labels = man_section(page, ".SH WHAT KQ RENDERS");
    for (const char* label : {"app.kubernetes.io/managed-by", "app.kubernetes.io/name", "kq.dev/definition",
                              "kq.dev/spec-hash", "kq.dev/project", "kq.dev/schedule"}) {
        CAPTURE(label);
        CHECK(has_word(labels, label));
    }
}

TEST_CASE("the man pages render without a warning (groff -man -ww -z)") {
    for (const std::string& page : {k_kq_1, k_kq_yaml_5}) {
        CAPTURE(page);
        std::FILE* pipe = popen(("groff -man -ww -z '" + page + "' 2>&1").c_str(), "r");
        REQUIRE(pipe != nullptr);
        std::string out;
        char buffer[4096];
        for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
            out.append(buffer, got);
        CHECK(pclose(pipe) == 0);
        CHECK(out == "");
    }
}

TEST_SUITE_END();
