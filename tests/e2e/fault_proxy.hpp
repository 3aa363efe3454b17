#pragma once

// A fault-injecting TCP proxy on loopback for the e2e tests: it relays connections to a port
// byte for byte (TLS passes through untouched) and, for the connections it is told to fault, loses
// the server's answer to a large request: once the client has sent a given number of bytes, what
// it sends still reaches the server, but what the server sends back is dropped and the connection
// is cut after the server has answered.

#include <atomic>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace kq::e2e {

class FaultProxy {
public:
    // Listens on a free port of 127.0.0.1 and relays to 127.0.0.1:target_port. Of the connections
    // accepted from now on, the first `faulty` are faulted once the client has sent `cut_after`
    // bytes on them.
    FaultProxy(int target_port, int faulty, size_t cut_after);
    ~FaultProxy();
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    // The port it listens on.
    int port() const { return m_port; }

    // Faults the next `count` connections accepted (0: none), instead of what was said before.
    void fault_next(int count);

    // How many connections it accepted so far.
    int connections() const { return m_connections.load(); }

    // How many connections it cut so far after losing the server's answer.
    int cuts() const { return m_cuts.load(); }

private:
    void accept_loop();
    void relay(int client, bool faulty);

    int m_target_port;
    size_t m_cut_after;
    int m_listener = -1;
    int m_port = 0;
    std::atomic<int> m_faulty_left;
    std::atomic<int> m_connections{0};
    std::atomic<int> m_cuts{0};
    std::atomic<bool> m_stopping{false};
    std::mutex m_mutex; // guards m_relays
    std::vector<std::thread> m_relays;
    std::thread m_acceptor;
};

} // namespace kq::e2e
