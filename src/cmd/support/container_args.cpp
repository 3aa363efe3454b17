#include "cmd/support/container_args.hpp"

#include "util/error.hpp"
#include "util/text.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace kq::cmd {

void add_param_flag(CLI::App& command, std::vector<std::string>& params) {
    command.add_option("-p,--param", params, "Set a param: NAME=VALUE (repeatable)")
        ->allow_extra_args(false)
        ->type_name("NAME=VALUE");
}

void add_container_args(CLI::App& command, const std::shared_ptr<ContainerArgs>& target) {
    CLI::App* app = &command;
    command.add_option("args", target->args, "Arguments appended to the container's args (after \"--\")")
        ->check(CLI::Validator(
            [app, target](std::string& value) {
                const std::vector<std::string> seen = app->remaining();
                if (!target->stray && std::find(seen.begin(), seen.end(), "--") == seen.end()) {
                    target->stray = value;
                }
                return std::string();
            },
            "", ""));
    command.validate_positionals();
}

void check_container_args(const ContainerArgs& args, const std::string& command, const std::string& job) {
    if (!args.stray) return;
    fail(ErrorKind::usage,
         "unexpected argument {} after the job name; put the container's arguments after \"--\": kq {} {} -- "
         "{}",
         quote(*args.stray), command, job, *args.stray);
}

} // namespace kq::cmd
