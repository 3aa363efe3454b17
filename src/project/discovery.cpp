#include "project/discovery.hpp"

#include "util/error.hpp"
#include "util/files.hpp"
#include "util/text.hpp"

#include <array>

namespace kq::project {

ProjectFileLocation find_project_file(const std::string& flag, const std::optional<std::string>& env_value,
                                      const std::filesystem::path& cwd) {
    // The names are shown as the user wrote them; the path is made absolute so the file's folder is known.
    if (!flag.empty()) return {(cwd / flag).lexically_normal(), flag};
    if (env_value && !env_value->empty()) return {(cwd / *env_value).lexically_normal(), *env_value};
    static const std::array<std::string, 2> k_names = {"kq.yaml", "kq.yml"};
    const std::optional<std::filesystem::path> found = find_upwards(cwd, k_names);
    if (!found) {
        fail(ErrorKind::usage,
             "no kq.yaml found in {} or its parent folders; create one, or name it with -f FILE "
             "or $KQ_FILE",
             quote(cwd.string()));
    }
    return {*found, display_path(*found, cwd)};
}

} // namespace kq::project
