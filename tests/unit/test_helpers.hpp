#pragma once

#include "build_paths.hpp"
#include "cmd/app.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kq::testing {

// What one in-process run of the kq command line printed and returned.
struct RunResult {
    int status = 0;
    std::string out;
    std::string err;
};

// Runs the kq command line in-process with the given arguments (argv without the program name).
inline RunResult run_kq(const std::vector<std::string>& args) {
    std::ostringstream out;
    std::ostringstream err;
    const int status = kq::cmd::run(args, out, err);
    return {status, out.str(), err.str()};
}

// The absolute path of a file in the source tree.
inline std::string source_path(const std::string& relative) {
    return std::string(kq::testing::k_source_dir) + "/" + relative;
}

// The whole content of a file, as bytes; empty when it can't be read (the test's checks then fail).
inline std::string file_contents(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace kq::testing
