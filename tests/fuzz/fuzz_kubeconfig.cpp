// libFuzzer target: parse a kubeconfig file from bytes, as kq reads ~/.kube/config or $KUBECONFIG, and
// merge it with itself. A kq::Error naming the file is the expected answer to bad input; a crash, a
// sanitizer report, another exception (yaml-cpp's, nlohmann's) or a hang is a bug.
#include "kube/kubeconfig.hpp"
#include "util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const kq::kube::Kubeconfig config = kq::kube::parse_kubeconfig(text, "/fuzz/kubeconfig");
        const kq::kube::Kubeconfig merged = kq::kube::merge_kubeconfigs({config, config});
        // What the client configuration reads of each entry: names, locations and the plugin's extension.
        for (const auto& [name, cluster] : merged.clusters) {
            (void)cluster.at("server").str();
            (void)cluster.exec_extension.dump();
        }
        for (const auto& [name, user] : merged.users)
            (void)user.at("token").str();
        for (const auto& [name, context] : merged.contexts)
            (void)context.at("namespace").str();
        (void)merged.source();
    } catch (const kq::Error& error) {
        // Every refusal names the file it is about.
        if (std::string_view(error.what()).find("/fuzz/kubeconfig") == std::string_view::npos)
            __builtin_trap();
    }
    return 0;
}
