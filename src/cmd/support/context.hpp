#pragma once

#include <iosfwd>
#include <string>

namespace kq::cmd {

// Flags that every command accepts, given before the command (or, for the cluster flags, after it too).
struct GlobalOptions {
    std::string file;            // -f/--file: the project file
    std::string kubeconfig;      // --kubeconfig
    std::string context;         // --context
    std::string namespace_name;  // -n/--namespace
    std::string request_timeout; // --request-timeout, a duration such as 30s
    int verbosity = 0;           // -v, repeatable
    bool no_color = false;       // --no-color
};

// What a running command may use: the global flags, the output streams and what they are connected to.
struct Context {
    GlobalOptions global;
    std::ostream& out;
    std::ostream& err;
    bool out_is_terminal = false;
    bool err_is_terminal = false;

    // True when diagnostics on stderr may be coloured: a terminal that is not TERM=dumb, no NO_COLOR,
    // no --no-color.
    bool color() const;

    // True when stderr may carry a status redrawn in place (spinner, progress bar): the same terminal
    // test as colour, since NO_COLOR and --no-color ask for plain output.
    bool live_status() const;
};

} // namespace kq::cmd
