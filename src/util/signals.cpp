#include "util/signals.hpp"

#include <atomic>
#include <csignal>

namespace kq {
namespace {

std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler must only touch lock-free state");

extern "C" void record_signal(int signal) { g_signal.store(signal); }

} // namespace

void catch_interrupts() {
    struct sigaction action {};
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a blocking poll returns early, so the flag is seen at once.
    action.sa_flags = 0;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

int interrupt_signal() { return g_signal.load(); }

void clear_interrupt() { g_signal.store(0); }

} // namespace kq
