// SIGINT/SIGTERM handling (util/signals) and the stdout buffer that keeps output whole (cmd/output).

#include "cmd/support/output.hpp"
#include "util/signals.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ostream>
#include <string>

namespace {

// Everything that is in a pipe's read end now, without waiting.
std::string drain(int fd) {
    std::string text;
    char buffer[65536];
    for (ssize_t count; (count = read(fd, buffer, sizeof buffer)) > 0;)
        text.append(buffer, static_cast<size_t>(count));
    return text;
}

} // namespace

extern "C" void ignore_signal(int) {}

TEST_CASE("an InterruptScope turns SIGINT and SIGTERM into the flag, then gives the old actions back") {
    // A handler of the program's own: the scope must come back to it (and not end the process).
    struct sigaction own {};
    own.sa_handler = ignore_signal;
    sigemptyset(&own.sa_mask);
    struct sigaction saved {};
    sigaction(SIGTERM, &own, &saved);
    struct sigaction before {};
    sigaction(SIGTERM, nullptr, &before);
    kq::clear_interrupt();
    {
        const kq::InterruptScope scope;
        raise(SIGTERM);
        CHECK(kq::interrupt_signal() == SIGTERM);
    }
    struct sigaction after {};
    sigaction(SIGTERM, nullptr, &after);
    const bool restored = after.sa_handler == before.sa_handler;
    CHECK(restored);
    kq::clear_interrupt();
    sigaction(SIGTERM, &saved, nullptr);
}

TEST_CASE("an InterruptScope leaves an ignored signal ignored") {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    struct sigaction previous {};
    sigaction(SIGINT, &ignore, &previous);
    kq::clear_interrupt();
    {
        const kq::InterruptScope scope;
        raise(SIGINT);
        CHECK(kq::interrupt_signal() == 0);
    }
    sigaction(SIGINT, &previous, nullptr);
}

TEST_CASE("an InterruptScope ends the process by a signal it caught when nothing caught it before") {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        {
            const kq::InterruptScope scope;
            raise(SIGTERM);
        }
        _exit(0); // not reached when it works: the scope's end raises the signal again
    }
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
}

TEST_CASE("DeferSignals holds SIGINT back until it goes") {
    struct sigaction previous_int {};
    struct sigaction previous_term {};
    sigaction(SIGINT, nullptr, &previous_int);
    sigaction(SIGTERM, nullptr, &previous_term);
    kq::clear_interrupt();
    kq::catch_interrupts();
    {
        const kq::DeferSignals defer;
        raise(SIGINT);
        CHECK(kq::interrupt_signal() == 0);
    }
    CHECK(kq::interrupt_signal() == SIGINT);
    kq::clear_interrupt();
    sigaction(SIGINT, &previous_int, nullptr);
    sigaction(SIGTERM, &previous_term, nullptr);
}

TEST_CASE("WholeLineBuffer writes when a piece ends a line, and everything on a flush") {
    int fds[2];
    REQUIRE(pipe2(fds, O_NONBLOCK) == 0);
    REQUIRE(fcntl(fds[1], F_SETPIPE_SZ, 1 << 20) >= (1 << 20));
    {
        kq::cmd::WholeLineBuffer buffer(fds[1]);
        std::ostream out(&buffer);
        out << "first line\nhalf";
        CHECK(drain(fds[0]).empty()); // a piece that does not end a line waits
        out << " line" << '\n';
        CHECK(drain(fds[0]) == "first line\nhalf line\n");
        // A long run of text: whole lines go out once it passes the buffer's size, the half line stays.
        const std::string big(70000, 'x');
        out << big + "\n" + big + "\ntail";
        CHECK(drain(fds[0]) == big + "\n" + big + "\n");
        out.flush();
        CHECK(drain(fds[0]) == "tail");
        out << "at the end";
    }
    // It flushes when it goes.
    CHECK(drain(fds[0]) == "at the end");
    close(fds[0]);
    close(fds[1]);
}
