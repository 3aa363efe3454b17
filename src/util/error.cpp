#include "util/error.hpp"

#include "util/signals.hpp"

namespace kq {

int exit_code(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::usage: return k_exit_usage;
    case ErrorKind::cluster: return k_exit_cluster;
    case ErrorKind::timeout: return k_exit_timeout;
    case ErrorKind::unique: return k_exit_unique;
    case ErrorKind::job_failed: return k_exit_job_failed;
    case ErrorKind::interrupted:
        return interrupt_signal() != 0 ? 128 + interrupt_signal() : k_exit_interrupted;
    }
    return k_exit_usage;
}

} // namespace kq
