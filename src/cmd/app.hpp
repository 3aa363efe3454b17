#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace kq::cmd {

// Parses the command line, runs the chosen command and returns the process exit status.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        bool out_is_terminal = false, bool err_is_terminal = false);

// The process entry point: run() on argv, stdout and stderr.
int main(int argc, char** argv);

} // namespace kq::cmd
