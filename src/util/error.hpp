#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace kq {

// What went wrong, as far as the exit status is concerned; each kind has one documented exit code.
enum class ErrorKind {
    usage,       // a bad flag, argument, project file or other input of the user's
    cluster,     // a kubeconfig that can't be used, an unreachable cluster, or an API error
    timeout,     // a wait that ran out of time
    unique,      // --unique refused because an active Job of the definition exists
    job_failed,  // the Job failed without a container exit code (deadline, eviction, policy)
    interrupted, // SIGINT or SIGTERM ended the command
};

// Exit codes kq reserves; a Job that failed because its container exited non-zero exits with that code.
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_job_failed = 121;
inline constexpr int k_exit_unique = 122;
inline constexpr int k_exit_cluster = 123;
inline constexpr int k_exit_timeout = 124;
inline constexpr int k_exit_usage = 125;
inline constexpr int k_exit_interrupted = 130;

// The exit code of an error kind.
int exit_code(ErrorKind kind);

// The one user-facing error type: thrown where the fault is found, caught once in main.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}

    // An error with its own exit status: a failed Job passes on its container's exit code.
    Error(ErrorKind kind, const std::string& message, int status)
        : std::runtime_error(message), m_kind(kind), m_status(status) {}

    ErrorKind kind() const { return m_kind; }

    // The exit status the process ends with.
    int exit_status() const { return m_status >= 0 ? m_status : exit_code(m_kind); }

private:
    ErrorKind m_kind;
    int m_status = -1;
};

// Throws an Error of the given kind with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
    throw Error(kind, fmt::format(format, std::forward<Args>(args)...));
}

} // namespace kq
