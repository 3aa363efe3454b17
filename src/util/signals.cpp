#include "util/signals.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace kq {
namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler must only touch lock-free state");

extern "C" void record_signal(int signal) { g_signal.store(signal); }

// Installs record_signal for `signal` unless the signal is ignored; `previous` gets what was in force.
void record(int signal, struct sigaction* previous) {
    struct sigaction current {};
    sigaction(signal, nullptr, &current);
    if (previous != nullptr) *previous = current;
    if (current.sa_handler == SIG_IGN) return;
    struct sigaction action {};
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking poll or read returns early, so the flag is seen at once.
    action.sa_flags = 0;
    sigaction(signal, &action, nullptr);
}

sigset_t interrupt_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

} // namespace

void catch_interrupts() {
    record(SIGINT, nullptr);
    record(SIGTERM, nullptr);
}

int interrupt_signal() { return g_signal.load(); }

void clear_interrupt() { g_signal.store(0); }

InterruptScope::InterruptScope() {
    record(SIGINT, &m_previous_int);
    record(SIGTERM, &m_previous_term);
}

InterruptScope::~InterruptScope() {
    sigaction(SIGINT, &m_previous_int, nullptr);
    sigaction(SIGTERM, &m_previous_term, nullptr);
    // A signal caught after the scope's user last looked must not be lost with the handler.
    die_if_default();
}

void InterruptScope::die_if_default() const {
    const int signal = interrupt_signal();
    if (signal == 0) return;
    const struct sigaction& previous = signal == SIGINT ? m_previous_int : m_previous_term;
    if (previous.sa_handler != SIG_DFL) return;
    // The caller never meant to catch it: end as the signal would have ended kq, so the parent sees it.
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    sigaction(signal, &action, nullptr);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signal);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    raise(signal);
    _exit(128 + signal); // not reached: the default action of SIGINT and SIGTERM ends the process
}

DeferSignals::DeferSignals() {
    const sigset_t set = interrupt_set();
    pthread_sigmask(SIG_BLOCK, &set, &m_previous);
}

DeferSignals::~DeferSignals() { pthread_sigmask(SIG_SETMASK, &m_previous, nullptr); }

} // namespace kq
