#include "util/files.hpp"

#include "util/error.hpp"
#include "util/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace kq {
namespace {

// Closes a file descriptor on every way out of read_file.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (m_fd >= 0) ::close(m_fd);
    }
    int get() const { return m_fd; }

private:
    int m_fd;
};

} // namespace

FileText read_text(const std::string& path, std::size_t max_bytes) {
    FileText result;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        result.error = std::strerror(errno);
        return result;
    }
    std::string text;
    char buffer[65536];
    while (in) {
        in.read(buffer, sizeof buffer);
        text.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (text.size() > max_bytes) {
            result.too_large = true;
            return result;
        }
    }
    if (in.bad()) {
        result.error = std::strerror(errno);
        return result;
    }
    result.text = std::move(text);
    return result;
}

std::string read_file(const std::filesystem::path& path, const std::string& display_name,
                      std::size_t max_bytes) {
    // O_NONBLOCK keeps a FIFO given by mistake from hanging the open; fstat then refuses it.
    FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        const int error = errno;
        fail(ErrorKind::usage, "{}: cannot read: {}", display_name, lower_first(std::strerror(error)));
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) {
        const int error = errno;
        fail(ErrorKind::usage, "{}: cannot read: {}", display_name, lower_first(std::strerror(error)));
    }
    if (S_ISDIR(status.st_mode)) {
        fail(ErrorKind::usage, "{}: is a folder, not a file", display_name);
    }
    if (!S_ISREG(status.st_mode)) fail(ErrorKind::usage, "{}: not a regular file", display_name);
    if (static_cast<std::size_t>(status.st_size) > max_bytes) {
        fail(ErrorKind::usage, "{}: the file is {} bytes, more than the {} bytes allowed", display_name,
             status.st_size, max_bytes);
    }
    std::string content;
    content.resize(static_cast<std::size_t>(status.st_size));
    std::size_t filled = 0;
    // The file may grow between fstat and read; read what was there and refuse what grew past the limit.
    while (true) {
        if (filled == content.size()) {
            if (content.size() > max_bytes) break;
            content.resize(content.size() + 4096);
        }
        const ssize_t count = ::read(fd.get(), content.data() + filled, content.size() - filled);
        if (count < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            fail(ErrorKind::usage, "{}: cannot read: {}", display_name, lower_first(std::strerror(error)));
        }
        if (count == 0) break;
        filled += static_cast<std::size_t>(count);
    }
    if (filled > max_bytes) {
        fail(ErrorKind::usage, "{}: the file is more than the {} bytes allowed", display_name, max_bytes);
    }
    content.resize(filled);
    return content;
}

std::optional<std::filesystem::path> find_upwards(const std::filesystem::path& start,
                                                  std::span<const std::string> names) {
    std::filesystem::path folder = start;
    while (true) {
        for (const std::string& name : names) {
            std::error_code error;
            const std::filesystem::path candidate = folder / name;
            if (std::filesystem::is_regular_file(candidate, error)) return candidate;
        }
        const std::filesystem::path parent = folder.parent_path();
        if (parent.empty() || parent == folder) return std::nullopt;
        folder = parent;
    }
}

std::string display_path(const std::filesystem::path& path, const std::filesystem::path& base) {
    std::error_code error;
    const std::filesystem::path relative = std::filesystem::relative(path, base, error);
    if (error || relative.empty()) return path.string();
    const std::string relative_text = relative.string();
    return relative_text.size() <= path.string().size() ? relative_text : path.string();
}

} // namespace kq
