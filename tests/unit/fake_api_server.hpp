#pragma once

// A scripted HTTP/1.1 server on a loopback port, for the client's error paths that a real API server
// can't be made to take on demand: 429/503 with Retry-After, 5xx, a connection dropped in the middle
// of a watch, an HTTP 410 to a watch. Everything else is tested against the real control plane.

#include "kube/client.hpp"
#include "kube/client_config.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kq::testing {

// One request the fake server received.
struct FakeRequest {
    std::string method;
    std::string target;                         // path and query
    std::map<std::string, std::string> headers; // lower-case names; repeated ones joined with ", "
    std::string body;

    // The path without the query.
    std::string path() const { return target.substr(0, target.find('?')); }
};

// What the fake server does with a request.
struct FakeResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Sent in order as chunks of a chunked body, each after its delay (a stream); overrides body.
    std::vector<std::pair<std::chrono::milliseconds, std::string>> chunks;
    bool drop = false;       // close the connection without answering
    bool drop_after = false; // after the chunks, close without the final chunk (a broken stream)
};

// The server: answers each request with the handler's response, one connection per request.
class FakeApiServer {
public:
    using Handler = std::function<FakeResponse(const FakeRequest& request, int index)>;

    explicit FakeApiServer(Handler handler) : m_handler(std::move(handler)) {
        m_listener = socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof address);
        socklen_t length = sizeof address;
        getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length);
        m_port = ntohs(address.sin_port);
        listen(m_listener, 64);
        m_thread = std::thread([this] { serve(); });
    }

    ~FakeApiServer() {
        m_stopping = true;
        shutdown(m_listener, SHUT_RDWR);
        close(m_listener);
        m_thread.join();
        for (std::thread& worker : m_workers)
            worker.join();
    }

    FakeApiServer(const FakeApiServer&) = delete;
    FakeApiServer& operator=(const FakeApiServer&) = delete;

    // http://127.0.0.1:PORT
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

    // The requests received so far.
    std::vector<FakeRequest> requests() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_requests;
    }

private:
    void serve() {
        while (!m_stopping) {
            const int fd = accept(m_listener, nullptr, nullptr);
            if (fd < 0) return;
            m_workers.emplace_back([this, fd] { handle(fd); });
        }
    }

    static bool read_request(int fd, FakeRequest& request) {
        std::string data;
        char buffer[4096];
        size_t header_end = std::string::npos;
        while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
            const ssize_t count = read(fd, buffer, sizeof buffer);
            if (count <= 0) return false;
            data.append(buffer, static_cast<size_t>(count));
        }
        const std::string head = data.substr(0, header_end);
        std::string body = data.substr(header_end + 4);
        const size_t line_end = head.find("\r\n");
        const std::string line = head.substr(0, line_end);
        const size_t space = line.find(' ');
        request.method = line.substr(0, space);
        request.target = line.substr(space + 1, line.rfind(' ') - space - 1);
        size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
        while (pos < head.size()) {
            size_t end = head.find("\r\n", pos);
            if (end == std::string::npos) end = head.size();
            const std::string header = head.substr(pos, end - pos);
            const size_t colon = header.find(':');
            std::string name = header.substr(0, colon);
            for (char& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = header.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            auto [it, inserted] = request.headers.emplace(name, value);
            if (!inserted) it->second += ", " + value;
            pos = end + 2;
        }
        const auto length = request.headers.find("content-length");
        const size_t wanted = length == request.headers.end() ? 0 : std::stoul(length->second);
        while (body.size() < wanted) {
            const ssize_t count = read(fd, buffer, sizeof buffer);
            if (count <= 0) return false;
            body.append(buffer, static_cast<size_t>(count));
        }
        request.body = body;
        return true;
    }

    static void write_all(int fd, const std::string& text) {
        size_t sent = 0;
        while (sent < text.size()) {
            const ssize_t count = send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
            if (count <= 0) return;
            sent += static_cast<size_t>(count);
        }
    }

    void handle(int fd) {
        FakeRequest request;
        if (!read_request(fd, request)) {
            close(fd);
            return;
        }
        int index = 0;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_requests.push_back(request);
            index = static_cast<int>(m_requests.size()) - 1;
        }
        const FakeResponse response = m_handler(request, index);
        if (response.drop) {
            close(fd);
            return;
        }
        std::string head = "HTTP/1.1 " + std::to_string(response.status) + " X\r\nConnection: close\r\n";
        for (const auto& [name, value] : response.headers)
            head += name + ": " + value + "\r\n";
        if (response.chunks.empty()) {
            head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n\r\n";
            write_all(fd, head + response.body);
        } else {
            write_all(fd, head + "Transfer-Encoding: chunked\r\n\r\n");
            for (const auto& [delay, chunk] : response.chunks) {
                // Sleep in small steps, so that a test that is done doesn't wait for a long pause.
                const auto until = std::chrono::steady_clock::now() + delay;
                while (!m_stopping && std::chrono::steady_clock::now() < until) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                }
                if (m_stopping) break;
                char size[32];
                std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
                write_all(fd, size + chunk + "\r\n");
            }
            if (!response.drop_after) write_all(fd, "0\r\n\r\n");
        }
        close(fd);
    }

    Handler m_handler;
    int m_listener = -1;
    int m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::thread m_thread;
    std::vector<std::thread> m_workers;
    mutable std::mutex m_mutex;
    std::vector<FakeRequest> m_requests;
};

// A JSON answer: the status, the body, Content-Type application/json after any other headers.
inline FakeResponse json_answer(int status, const nlohmann::json& body,
                                std::vector<std::pair<std::string, std::string>> headers = {}) {
    FakeResponse response;
    response.status = status;
    response.body = body.dump();
    response.headers = std::move(headers);
    response.headers.emplace_back("Content-Type", "application/json");
    return response;
}

// The body of an API error: a v1 Status with the HTTP code, its reason and the message.
inline nlohmann::json status_body(int code, const std::string& reason, const std::string& message) {
    return {{"kind", "Status"},   {"apiVersion", "v1"}, {"status", "Failure"},
            {"message", message}, {"reason", reason},   {"code", code}};
}

// Client options that retry quickly (three attempts), so that tests of retries take milliseconds.
inline kube::ClientOptions fast_retries(std::chrono::milliseconds base_delay = std::chrono::milliseconds(10),
                                        std::chrono::milliseconds max_delay = std::chrono::milliseconds(50)) {
    kube::ClientOptions options;
    options.retry.base_delay = base_delay;
    options.retry.max_delay = max_delay;
    options.retry.max_attempts = 3;
    return options;
}

// A client configuration that reaches the fake server, with no credentials.
inline kube::ClientConfig fake_config(const FakeApiServer& server) {
    kube::ClientConfig config;
    config.context = "fake";
    config.cluster = "fake";
    config.user = "tester";
    config.source = "/fake/config";
    config.server = server.url();
    return config;
}

} // namespace kq::testing
