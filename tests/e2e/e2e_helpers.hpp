#pragma once

// Helpers of the end-to-end tests: the running test cluster, the built kq binary run as a subprocess,
// scratch folders, free ports and a real forward proxy (tinyproxy).

#include "kube/client.hpp"
#include "kube/client_config.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kq::e2e {

// The state folder of the cluster the tests use: $KQ_CLUSTER_STATE, else the one the ctest fixture starts.
std::string cluster_state();

// The cluster's kubeconfig (contexts admin, limited and broken-ca).
std::string cluster_kubeconfig();

// A file of the cluster's state folder, e.g. "pki/limited.token".
std::string cluster_file(const std::string& relative);

// The whole text of a file.
std::string read_file(const std::string& path);

// Writes a file, creating its folder; with `executable` it gets mode 0755.
void write_file(const std::string& path, const std::string& text, bool executable = false);

// The absolute path of a file in the source tree.
std::string source_path(const std::string& relative);

// What a run of the kq binary printed and returned.
struct Run {
    int status = -1;
    std::string out;
    std::string err;
};

// Environment changes for a subprocess: a value sets the variable, nullopt removes it.
using EnvChanges = std::map<std::string, std::optional<std::string>>;

// Runs a program with arguments and environment changes, capturing its output.
Run run_program(const std::vector<std::string>& argv, const EnvChanges& env = {});

// Runs the built kq binary with KUBECONFIG set to the cluster's kubeconfig unless `env` says otherwise.
Run run_kq(const std::vector<std::string>& args, EnvChanges env = {});

// A folder removed with its contents when the object goes.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    // The folder.
    const std::filesystem::path& path() const { return m_path; }

    // A path inside it.
    std::string file(const std::string& name) const { return (m_path / name).string(); }

private:
    std::filesystem::path m_path;
};

// A TCP port on 127.0.0.1 that nothing listens on (at the time of asking).
int free_port();

// True once something accepts TCP connections on 127.0.0.1:port, waiting up to `timeout`.
bool wait_for_port(int port, std::chrono::milliseconds timeout);

// A program started by a test and killed (by pid) when the object goes; its output goes to a file.
class BackgroundProcess {
public:
    explicit BackgroundProcess(const std::vector<std::string>& argv);
    ~BackgroundProcess();
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    // What it printed on stdout and stderr so far.
    std::string output() const;

private:
    TempDir m_dir;
    int m_pid = -1;
};

// Starts the kq under test on the cluster (KUBECONFIG set) with SIGINT at its default, its stdout and
// stderr into files, and returns its pid without waiting: for tests that interrupt it.
int start_kq(const std::vector<std::string>& args, const std::string& out_file, const std::string& err_file);

// The kubectl that the cluster was built with.
std::string cluster_kubectl();

// A tinyproxy forward proxy on a loopback port, started by the test and stopped (by pid) at the end.
class Tinyproxy {
public:
    // Starts it; `connect_ports` are the ports it allows CONNECT to (empty: any).
    explicit Tinyproxy(const std::vector<int>& connect_ports = {});
    ~Tinyproxy();
    Tinyproxy(const Tinyproxy&) = delete;
    Tinyproxy& operator=(const Tinyproxy&) = delete;

    // http://127.0.0.1:PORT
    std::string url() const;

    // Its port.
    int port() const { return m_port; }

    // What it logged so far.
    std::string log() const;

    // Kills it at once (a crash) and starts it again on the same port.
    void restart();

private:
    void start();
    void stop();

    TempDir m_dir;
    int m_port = 0;
    int m_pid = -1;
};

// The API server's URL, from the cluster's kubeconfig.
std::string cluster_server();

// A resolved configuration of one of the cluster's contexts.
kube::ClientConfig cluster_config(const std::string& context);

// A client of one of the cluster's contexts.
std::unique_ptr<kube::Client> cluster_client(const std::string& context, kube::ClientOptions options = {});

// A namespace made for one test, deleted (without waiting) when the object goes.
class TestNamespace {
public:
    explicit TestNamespace(const std::string& prefix);
    ~TestNamespace();
    TestNamespace(const TestNamespace&) = delete;
    TestNamespace& operator=(const TestNamespace&) = delete;

    // Its name.
    const std::string& name() const { return m_name; }

private:
    std::string m_name;
};

} // namespace kq::e2e
