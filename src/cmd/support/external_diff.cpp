#include "cmd/support/external_diff.hpp"

#include "util/error.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace kq::cmd {
namespace {

// A word quoted for sh.
std::string shell_word(const std::string& word) {
    std::string quoted = "'";
    for (const char c : word)
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

} // namespace

DiffFolder::DiffFolder() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/kq-diff-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        fail(ErrorKind::usage, "kq diff: cannot make a folder {}: {}", quote(pattern), std::strerror(errno));
    }
    m_path = pattern;
    std::filesystem::create_directory(m_path / "LIVE");
    std::filesystem::create_directory(m_path / "MERGED");
}

DiffFolder::~DiffFolder() {
    std::error_code error;
    std::filesystem::remove_all(m_path, error);
}

void DiffFolder::write(const std::string& side, const std::string& name, const std::string& text) const {
    const std::filesystem::path file = m_path / side / name;
    std::ofstream out(file, std::ios::binary);
    out << text;
    if (!out) fail(ErrorKind::usage, "kq diff: cannot write {}", quote(file.string()));
}

int run_external_diff(const DiffFolder& folder, std::ostream& out) {
    const char* external = std::getenv("KQ_EXTERNAL_DIFF");
    const std::string program = external != nullptr && *external != '\0' ? external : "diff -u -N";
    const std::string command =
        fmt::format("{} {} {}", program, shell_word((folder.path() / "LIVE").string()),
                    shell_word((folder.path() / "MERGED").string()));
    out.flush();
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) fail(ErrorKind::usage, "KQ_EXTERNAL_DIFF: cannot run {}", quote(program));
    std::array<char, 8192> buffer{};
    std::size_t read = 0;
    while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        out.write(buffer.data(), static_cast<std::streamsize>(read));
    const int status = ::pclose(pipe);
    out.flush();
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

} // namespace kq::cmd
