#pragma once

#include <csignal>

namespace kq {

// Makes SIGINT and SIGTERM set a flag instead of ending the process, so a command that waits can stop
// cleanly (finish its output, tell the user what is left running); idempotent. A signal that was
// ignored when kq started (nohup, a background job of a non-interactive shell) stays ignored.
void catch_interrupts();

// The signal caught since catch_interrupts() (or inside an InterruptScope), or 0.
int interrupt_signal();

// True once SIGINT or SIGTERM was caught.
inline bool interrupted() { return interrupt_signal() != 0; }

// Forgets a caught signal (for tests).
void clear_interrupt();

// While it lives, SIGINT and SIGTERM set the flag of interrupt_signal() even in a command that has not
// called catch_interrupts(), so that work with a child process (an exec plugin) can stop the child before
// kq ends; the dispositions in force before come back when it goes, and a signal caught meanwhile that
// would have ended kq then ends it (die_if_default).
class InterruptScope {
public:
    InterruptScope();
    ~InterruptScope();
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

    // Ends the process by the caught signal when the command had left that signal's default action
    // in place (it would have died of it had the scope not caught it); returns otherwise, so that a
    // command that catches interrupts itself sees the flag.
    void die_if_default() const;

private:
    struct sigaction m_previous_int {};
    struct sigaction m_previous_term {};
};

// While it lives, SIGINT and SIGTERM wait (blocked) instead of being delivered, so that a piece of output
// is written whole; a signal that arrived meanwhile is delivered when it goes.
class DeferSignals {
public:
    DeferSignals();
    ~DeferSignals();
    DeferSignals(const DeferSignals&) = delete;
    DeferSignals& operator=(const DeferSignals&) = delete;

private:
    sigset_t m_previous;
};

} // namespace kq
