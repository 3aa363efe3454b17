#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace kq::e2e {
namespace {

using Clock = std::chrono::steady_clock;

// The server has answered the request whose answer is lost once it sent this much after the cut
// (a created object echoes the large request), or once a long TLS record came and a moment passed
// (a short answer such as a 409 Status): the frames a server sends of its own accord (settings
// acks, window updates) come in records of a few dozen bytes, and TLS 1.3 session tickets, which
// may come right after the cut, in the first moment.
constexpr size_t k_echo_bytes = 16384;
constexpr size_t k_answer_record = 128;
constexpr auto k_short_answer_wait = std::chrono::seconds(1);
// How long a faulted connection waits for an answer at most before it is cut anyway.
constexpr auto k_answer_wait = std::chrono::seconds(5);

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

bool send_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        const ssize_t sent = send(fd, data, size, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        data += sent;
        size -= static_cast<size_t>(sent);
    }
    return true;
}

// Closes with a reset rather than an orderly end, as a connection that breaks does.
void reset(int fd) {
    linger abort{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    close(fd);
}

// Follows the TLS records of one direction of a connection (5-byte header: type, version, length;
// then the payload), to tell when a long one has passed.
class RecordScanner {
public:
    // Feeds bytes; returns true if a record of at least `length` bytes ended in them.
    bool feed(const char* data, size_t size, size_t length) {
        bool long_record = false;
        for (size_t i = 0; i < size;) {
            if (m_header_bytes < 5) {
                m_header[m_header_bytes++] = static_cast<unsigned char>(data[i++]);
                if (m_header_bytes == 5) m_left = (size_t{m_header[3]} << 8) | m_header[4];
            } else {
                const size_t take = std::min(m_left, size - i);
                i += take;
                m_left -= take;
            }
            if (m_header_bytes == 5 && m_left == 0) {
                long_record = long_record || ((size_t{m_header[3]} << 8) | m_header[4]) >= length;
                m_header_bytes = 0;
            }
        }
        return long_record;
    }

private:
    unsigned char m_header[5] = {};
    size_t m_header_bytes = 0;
    size_t m_left = 0;
};

} // namespace

FaultProxy::FaultProxy(int target_port, int faulty, size_t cut_after)
    : m_target_port(target_port), m_cut_after(cut_after), m_faulty_left(faulty) {
    m_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_listener < 0) throw std::runtime_error("socket");
    const int yes = 1;
    setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in address = loopback(0);
    if (bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(m_listener, 64) != 0) {
        close(m_listener);
        throw std::runtime_error(std::string("fault proxy: ") + std::strerror(errno));
    }
    socklen_t length = sizeof address;
    getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
    m_acceptor = std::thread([this] { accept_loop(); });
}

FaultProxy::~FaultProxy() {
    m_stopping = true;
    m_acceptor.join();
    close(m_listener);
    std::lock_guard lock(m_mutex);
    for (std::thread& relay : m_relays)
        relay.join();
}

void FaultProxy::fault_next(int count) { m_faulty_left = count; }

void FaultProxy::accept_loop() {
    while (!m_stopping) {
        pollfd listening{m_listener, POLLIN, 0};
        if (poll(&listening, 1, 100) <= 0) continue;
        const int client = accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) continue;
        ++m_connections;
        const bool faulty = m_faulty_left.fetch_sub(1) > 0;
        std::lock_guard lock(m_mutex);
        m_relays.emplace_back([this, client, faulty] { relay(client, faulty); });
    }
}

void FaultProxy::relay(int client, bool faulty) {
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in target = loopback(m_target_port);
    if (server < 0 || connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        if (server >= 0) close(server);
        reset(client);
        return;
    }
    size_t from_client = 0;
    RecordScanner from_server;
    size_t dropped = 0;                      // bytes from the server since the cut started
    bool long_seen = false;                  // a long record among them
    std::optional<Clock::time_point> cut_at; // when the server's answers started to be dropped
    char buffer[65536];
    while (!m_stopping) {
        pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
        if (poll(fds, 2, 100) < 0 && errno != EINTR) break;
        if (fds[0].revents != 0) {
            const ssize_t count = recv(client, buffer, sizeof buffer, 0);
            if (count <= 0 || !send_all(server, buffer, static_cast<size_t>(count))) break;
            from_client += static_cast<size_t>(count);
            // The request that crossed the line is on its way whole; its answer will be lost.
            if (faulty && !cut_at && from_client >= m_cut_after) cut_at = Clock::now();
        }
        if (fds[1].revents != 0) {
            const ssize_t count = recv(server, buffer, sizeof buffer, 0);
            if (count <= 0) break;
            const bool long_record = from_server.feed(buffer, static_cast<size_t>(count), k_answer_record);
            if (cut_at) {
                dropped += static_cast<size_t>(count);
                long_seen = long_seen || long_record;
            } else if (!send_all(client, buffer, static_cast<size_t>(count))) {
                break;
            }
        }
        const auto waited = cut_at ? Clock::now() - *cut_at : Clock::duration{};
        if (cut_at && (dropped >= k_echo_bytes || (long_seen && waited >= k_short_answer_wait) ||
                       waited >= k_answer_wait)) {
            ++m_cuts;
            break;
        }
    }
    reset(client);
    close(server);
}

} // namespace kq::e2e
