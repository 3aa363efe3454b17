#pragma once

namespace kq {

// Makes SIGINT and SIGTERM set a flag instead of ending the process, so a command that waits can stop
// cleanly (finish its output, tell the user what is left running); idempotent.
void catch_interrupts();

// The signal caught since catch_interrupts(), or 0.
int interrupt_signal();

// True once SIGINT or SIGTERM was caught.
inline bool interrupted() { return interrupt_signal() != 0; }

// Forgets a caught signal (for tests).
void clear_interrupt();

} // namespace kq
