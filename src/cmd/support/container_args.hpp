#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace kq::cmd {

// The container arguments a command takes after "--", and the first argument given without it.
struct ContainerArgs {
    std::vector<std::string> args;
    std::optional<std::string> stray; // an argument after the job name that came before any "--"
};

// Adds the trailing "args" positional to a command. CLI11 fills it alike with and without "--"; a
// validator that runs while parsing sees whether "--" came first, which is the one way to reject
// "kq render JOB extra" as kubectl would.
void add_container_args(CLI::App& command, const std::shared_ptr<ContainerArgs>& target);

// Registers -p/--param NAME=VALUE (repeatable), the params of render, submit and run.
void add_param_flag(CLI::App& command, std::vector<std::string>& params);

// Throws the usage Error for an argument given without "--", naming the command line that works.
void check_container_args(const ContainerArgs& args, const std::string& command, const std::string& job);

} // namespace kq::cmd
