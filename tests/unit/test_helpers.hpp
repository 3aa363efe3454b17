#pragma once

#include "cmd/app.hpp"

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
    return std::string(KQ_SOURCE_DIR) + "/" + relative;
}

} // namespace kq::testing
