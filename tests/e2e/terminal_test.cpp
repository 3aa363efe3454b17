// End-to-end: what kq shows on a real terminal (a pseudo-terminal of a given width) and what it leaves
// out when its output is a pipe: coloured statuses, NO_COLOR, --no-color and TERM=dumb, the spinner
// while waiting, and tables fitted to the terminal's width.

#include "build_paths.hpp"
#include "e2e_helpers.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <sstream>

using namespace kq::e2e;

namespace {

// Definitions for these tests: one that succeeds at once, one that runs a few seconds, and one with a
// long name so that tables get wide.
constexpr const char* k_project = R"(version: 1
defaults:
  image: busybox:1.36
  backoffLimit: 0
jobs:
  quick:
    annotations: {kq.test/run-seconds: "0.5"}
  slow:
    annotations: {kq.test/run-seconds: "4"}
  a-definition-with-a-rather-long-name-for-narrow-terms:
    annotations: {kq.test/run-seconds: "0.5"}
)";

// What kq wrote to the terminal (stdout and stderr share it) and how it ended.
struct TerminalRun {
    int status = -1;
    std::string screen;
};

// Runs the built kq on a new pseudo-terminal `columns` wide, with KUBECONFIG set to the cluster's and
// `env` applied (a value sets a variable, nullopt removes it), until it exits (at most two minutes).
TerminalRun run_on_terminal(const std::vector<std::string>& args, unsigned short columns,
                            const EnvChanges& env = {}) {
    winsize size{};
    size.ws_row = 40;
    size.ws_col = columns;
    int master = -1;
    const pid_t pid = forkpty(&master, nullptr, nullptr, &size);
    REQUIRE(pid >= 0);
    if (pid == 0) {
        setenv("KUBECONFIG", cluster_kubeconfig().c_str(), 1);
        setenv("TERM", "xterm-256color", 1);
        unsetenv("NO_COLOR");
        unsetenv("COLUMNS");
        for (const auto& [name, value] : env) {
            if (value) {
                setenv(name.c_str(), value->c_str(), 1);
            } else {
                unsetenv(name.c_str());
            }
        }
        std::vector<std::string> argv = {kq::testing::k_kq_binary};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> pointers;
        for (std::string& arg : argv)
            pointers.push_back(arg.data());
        pointers.push_back(nullptr);
        execv(kq::testing::k_kq_binary, pointers.data());
        _exit(127);
    }
    TerminalRun result;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    char buffer[4096];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd entry{master, POLLIN, 0};
        if (poll(&entry, 1, 200) <= 0) continue;
        const ssize_t got = read(master, buffer, sizeof buffer);
        if (got > 0) {
            result.screen.append(buffer, static_cast<size_t>(got));
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        break; // EIO: the child and every holder of the terminal are gone
    }
    close(master);
    int status = 0;
    if (std::chrono::steady_clock::now() >= deadline) kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

// The text without ANSI escape sequences and carriage returns, in lines (the terminal turns "\n"
// into "\r\n").
std::vector<std::string> visible_lines(const std::string& screen) {
    std::string plain;
    for (size_t i = 0; i < screen.size(); ++i) {
        if (screen[i] == '\x1b' && i + 1 < screen.size() && screen[i + 1] == '[') {
            i += 2;
            while (i < screen.size() && !(screen[i] >= '@' && screen[i] <= '~'))
                ++i;
            continue;
        }
        if (screen[i] != '\r') plain += screen[i];
    }
    std::vector<std::string> lines;
    std::istringstream stream(plain);
    for (std::string line; std::getline(stream, line);)
        lines.push_back(line);
    return lines;
}

// Display columns of UTF-8 text (each code point one column: the tables hold no wide characters).
size_t display_width(const std::string& text) {
    size_t width = 0;
    for (const char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
    }
    return width;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

struct TerminalScene {
    TempDir dir;
    TestNamespace ns{"kq-term"};
    std::string file = dir.file("kq.yaml");

    TerminalScene() { write_file(file, k_project); }

    std::vector<std::string> args(std::vector<std::string> rest) const {
        std::vector<std::string> full = {"-f", file, "-n", ns.name()};
        full.insert(full.end(), rest.begin(), rest.end());
        return full;
    }

    // Submits a Job of the definition and waits for it (without a terminal); returns its name.
    std::string finished(const std::string& definition) const {
        const Run run = run_kq(args({"submit", definition, "--wait", "-o", "name"}));
        REQUIRE_MESSAGE(run.status == 0, run.err);
        // The first line is "job.batch/NAME" (with --wait, the result follows).
        const std::string first = run.out.substr(0, run.out.find('\n'));
        return first.substr(first.find('/') + 1);
    }
};

} // namespace

TEST_SUITE("terminal") {
    TEST_CASE("statuses are coloured on a terminal, unless NO_COLOR, --no-color or TERM=dumb say no") {
        TerminalScene scene;
        scene.finished("quick");
        const TerminalRun coloured = run_on_terminal(scene.args({"list"}), 120);
        CHECK(coloured.status == 0);
        CHECK(contains(coloured.screen, "\x1b[32mComplete"));

        const TerminalRun no_color = run_on_terminal(scene.args({"list"}), 120, {{"NO_COLOR", "1"}});
        CHECK(no_color.status == 0);
        CHECK(contains(no_color.screen, "Complete"));
        CHECK_FALSE(contains(no_color.screen, "\x1b["));

        const TerminalRun flag = run_on_terminal(scene.args({"--no-color", "list"}), 120);
        CHECK(contains(flag.screen, "Complete"));
        CHECK_FALSE(contains(flag.screen, "\x1b["));

        const TerminalRun dumb = run_on_terminal(scene.args({"list"}), 120, {{"TERM", "dumb"}});
        CHECK(contains(dumb.screen, "Complete"));
        CHECK_FALSE(contains(dumb.screen, "\x1b["));

        const Run piped = run_kq(scene.args({"list"}));
        CHECK(piped.status == 0);
        CHECK(contains(piped.out, "Complete"));
        CHECK_FALSE(contains(piped.out, "\x1b["));
    }

    TEST_CASE("a spinner on a terminal while waiting; none with NO_COLOR, --no-color, TERM=dumb or a pipe") {
        TerminalScene scene;
        const auto submit_slow = [&] {
            const Run run = run_kq(scene.args({"submit", "slow", "-o", "name"}));
            REQUIRE(run.status == 0);
            return run.out.substr(run.out.find('/') + 1, run.out.size() - run.out.find('/') - 2);
        };
        const TerminalRun spinning = run_on_terminal(scene.args({"wait", submit_slow()}), 100);
        CHECK(spinning.status == 0);
        CHECK(contains(spinning.screen, "\r\x1b[K"));
        // The status line is cleared before kq exits: the screen ends with the final result, not a frame.
        const std::vector<std::string> lines = visible_lines(spinning.screen);
        REQUIRE_FALSE(lines.empty());
        CHECK(contains(lines.back(), "complete"));

        const TerminalRun plain =
            run_on_terminal(scene.args({"wait", submit_slow()}), 100, {{"NO_COLOR", "1"}});
        CHECK(plain.status == 0);
        CHECK_FALSE(contains(plain.screen, "\x1b["));
        CHECK(contains(plain.screen, "complete"));

        const TerminalRun flag = run_on_terminal(scene.args({"--no-color", "wait", submit_slow()}), 100);
        CHECK(flag.status == 0);
        CHECK_FALSE(contains(flag.screen, "\x1b["));

        const TerminalRun dumb =
            run_on_terminal(scene.args({"wait", submit_slow()}), 100, {{"TERM", "dumb"}});
        CHECK(dumb.status == 0);
        CHECK_FALSE(contains(dumb.screen, "\x1b["));

        const Run piped = run_kq(scene.args({"wait", submit_slow()}));
        CHECK(piped.status == 0);
        CHECK_FALSE(contains(piped.err, "\r"));
        CHECK_FALSE(contains(piped.err, "\x1b["));
    }

    TEST_CASE("tables fit the terminal's width; -o wide adds columns; a pipe gets whole lines") {
        TerminalScene scene;
        const std::string job = scene.finished("a-definition-with-a-rather-long-name-for-narrow-terms");

        // NAME (59 columns) and DEFINITION (53) do not fit 120 columns with the rest: DEFINITION is cut.
        const TerminalRun fitted = run_on_terminal(scene.args({"list"}), 120);
        CHECK(fitted.status == 0);
        const std::vector<std::string> lines = visible_lines(fitted.screen);
        REQUIRE(lines.size() == 2);
        for (const std::string& line : lines) {
            CAPTURE(line);
            CHECK(display_width(line) <= 120);
        }
        CHECK(contains(lines[1], job + "   a-definition-"));
        CHECK(contains(lines[1], "…"));
        CHECK(contains(lines[0], "AGE"));

        // Too narrow for even the name: no header is cut and the name stays whole; the terminal wraps.
        const TerminalRun narrow = run_on_terminal(scene.args({"list"}), 60);
        const std::vector<std::string> narrow_lines = visible_lines(narrow.screen);
        REQUIRE(narrow_lines.size() == 2);
        for (const char* header : {"NAME", "DEFINITION", "STATUS", "COMPLETIONS", "DURATION", "AGE"}) {
            CHECK(contains(narrow_lines[0], header));
        }
        CHECK(narrow_lines[1].starts_with(job + " "));

        const TerminalRun wide = run_on_terminal(scene.args({"list", "-o", "wide"}), 250);
        const std::vector<std::string> wide_lines = visible_lines(wide.screen);
        REQUIRE(wide_lines.size() == 2);
        CHECK(contains(wide_lines[0], "REASON"));
        CHECK(contains(wide_lines[0], "IMAGES"));
        CHECK(contains(wide_lines[1], "busybox:1.36"));
        CHECK(contains(wide_lines[1], job));

        // COLUMNS says nothing to a pipe: the table is never cut there.
        const Run piped = run_kq(scene.args({"list"}), {{"COLUMNS", "60"}});
        CHECK(contains(piped.out, job));
        CHECK(contains(piped.out, "a-definition-with-a-rather-long-name-for-narrow-terms"));
        CHECK_FALSE(contains(piped.out, "…"));
    }
}
