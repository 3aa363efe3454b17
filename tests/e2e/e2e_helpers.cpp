#include "e2e_helpers.hpp"

#include "build_paths.hpp"

#include "kube/kubeconfig.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace kq::e2e {

std::string cluster_state() {
    const char* state = std::getenv("KQ_CLUSTER_STATE");
    return state != nullptr && *state != '\0' ? state : kq::testing::k_cluster_state_dir;
}

std::string cluster_kubeconfig() { return cluster_state() + "/kubeconfig"; }

std::string cluster_file(const std::string& relative) { return cluster_state() + "/" + relative; }

std::string source_path(const std::string& relative) {
    return std::string(kq::testing::k_source_dir) + "/" + relative;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const std::string& path, const std::string& text, bool executable) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    if (executable) chmod(path.c_str(), 0755);
}

Run run_program(const std::vector<std::string>& argv, const EnvChanges& env) {
    std::vector<std::string> environment;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string variable = *entry;
        if (env.count(variable.substr(0, variable.find('='))) == 0) environment.push_back(variable);
    }
    for (const auto& [name, value] : env) {
        if (value) environment.push_back(name + "=" + *value);
    }
    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    for (std::string& variable : environment)
        envp.push_back(variable.data());
    envp.push_back(nullptr);

    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (spawned != 0)
        throw std::runtime_error(std::string("cannot run ") + args[0] + ": " + std::strerror(spawned));

    Run run;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&run.out, &run.err};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            char buffer[65536];
            const ssize_t count = read(fds[i].fd, buffer, sizeof buffer);
            if (count > 0) {
                sinks[i]->append(buffer, static_cast<size_t>(count));
            } else if (count == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

Run run_kq(const std::vector<std::string>& args, EnvChanges env) {
    if (env.count("KUBECONFIG") == 0) env["KUBECONFIG"] = cluster_kubeconfig();
    // Nothing of the developer's own environment may leak into what kq reads.
    for (const char* name :
         {"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy",
          "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KQ_FILE", "POD_NAMESPACE"}) {
        if (env.count(name) == 0) env[name] = std::nullopt;
    }
    std::vector<std::string> argv{kq::testing::k_kq_binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, env);
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kq-e2e-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp");
    m_path = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
}

int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(static_cast<uint16_t>(port));
        const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        close(fd);
        if (connected) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const std::string log = m_dir.file("output");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(spawned == 0, "cannot start ", argv.at(0), ": ", std::strerror(spawned));
    m_pid = pid;
}

BackgroundProcess::~BackgroundProcess() {
    if (m_pid <= 0) return;
    kill(m_pid, SIGKILL);
    int status = 0;
    waitpid(m_pid, &status, 0);
}

std::string BackgroundProcess::output() const {
    try {
        return read_file(m_dir.file("output"));
    } catch (const std::exception&) {
        return "";
    }
}

int start_kq(const std::vector<std::string>& args, const std::string& out_file, const std::string& err_file) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        signal(SIGINT, SIG_DFL);
        setenv("KUBECONFIG", cluster_kubeconfig().c_str(), 1);
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(kq::testing::k_kq_binary));
        for (const std::string& arg : args)
            argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        execv(kq::testing::k_kq_binary, argv.data());
        _exit(127);
    }
    return pid;
}

std::string cluster_kubectl() {
    std::istringstream env(read_file(cluster_file("cluster.env")));
    for (std::string line; std::getline(env, line);) {
        if (line.starts_with("BIN_DIR=")) return line.substr(8) + "/kubectl";
    }
    return "kubectl";
}

Tinyproxy::Tinyproxy(const std::vector<int>& connect_ports) {
    m_port = free_port();
    std::string config =
        fmt::format("Port {}\nListen 127.0.0.1\nTimeout 600\nLogFile \"{}\"\nLogLevel Connect\n"
                    "MaxClients 200\nAllow 127.0.0.1\n",
                    m_port, m_dir.file("tinyproxy.log"));
    for (int port : connect_ports)
        config += fmt::format("ConnectPort {}\n", port);
    write_file(m_dir.file("tinyproxy.conf"), config);
    start();
}

Tinyproxy::~Tinyproxy() { stop(); }

void Tinyproxy::start() {
    const std::string config = m_dir.file("tinyproxy.conf");
    const char* argv[] = {"tinyproxy", "-d", "-c", config.c_str(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, m_dir.file("stderr").c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, "tinyproxy", &actions, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(spawned == 0, "cannot start tinyproxy: ", std::strerror(spawned));
    m_pid = pid;
    REQUIRE_MESSAGE(wait_for_port(m_port, std::chrono::seconds(10)), "tinyproxy did not listen on ", m_port);
}

void Tinyproxy::stop() {
    if (m_pid <= 0) return;
    kill(m_pid, SIGKILL);
    int status = 0;
    waitpid(m_pid, &status, 0);
    m_pid = -1;
}

void Tinyproxy::restart() {
    stop();
    start();
}

std::string Tinyproxy::url() const { return fmt::format("http://127.0.0.1:{}", m_port); }

std::string Tinyproxy::log() const {
    try {
        return read_file(m_dir.file("tinyproxy.log"));
    } catch (const std::exception&) {
        return "";
    }
}

std::string cluster_server() {
    const kube::Kubeconfig config = kube::load_kubeconfig_file(cluster_kubeconfig());
    return config.clusters.begin()->second.server;
}

kube::ClientConfig cluster_config(const std::string& context) {
    return kube::resolve_client_config(kube::load_kubeconfig_file(cluster_kubeconfig()), context, {});
}

std::unique_ptr<kube::Client> cluster_client(const std::string& context, kube::ClientOptions options) {
    return std::make_unique<kube::Client>(cluster_config(context), std::move(options));
}

TestNamespace::TestNamespace(const std::string& prefix) {
    static std::mt19937 random{std::random_device{}()};
    m_name = fmt::format("{}-{:06x}", prefix, random() & 0xffffff);
    cluster_client("admin")->create(
        "/api/v1/namespaces",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", m_name}}}});
}

TestNamespace::~TestNamespace() {
    try {
        cluster_client("admin")->remove("/api/v1/namespaces/" + m_name);
    } catch (const std::exception&) {
        // Cleaning up is best effort; the cluster is thrown away after the run anyway.
    }
}

} // namespace kq::e2e
