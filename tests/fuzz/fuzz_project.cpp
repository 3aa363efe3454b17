// libFuzzer target: load a project file from bytes and render every job, as kq render would.
// A kq::Error is the expected answer to bad input; anything else (a crash, a sanitizer report, an
// uncaught exception, a hang) is a bug.
#include "project/diagnostics.hpp"
#include "project/loader.hpp"
#include "project/render.hpp"
#include "util/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    kq::project::Diagnostics diagnostics;
    const kq::project::Project project = kq::project::parse_project(text, "fuzz.yaml", diagnostics);
    // Collecting every problem must never throw; only a clean project is rendered.
    if (!diagnostics.empty()) {
        for (const auto& diagnostic : diagnostics.sorted())
            (void)kq::project::to_string(diagnostic);
        return 0;
    }
    kq::project::RenderRequest request;
    request.env = [](const std::string& name) -> std::optional<std::string> {
        if (name.size() % 2 == 0) return "value-of-" + name;
        return std::nullopt;
    };
    request.extra_args = {"--extra"};
    for (const kq::project::JobDef& job : project.jobs) {
        try {
            const nlohmann::json manifest = kq::project::render_job(job, request);
            (void)kq::project::to_yaml(manifest);
            (void)kq::project::to_json_text(manifest);
        } catch (const kq::Error&) {
            // Missing required params, unset variables and values invalid once expanded.
        }
    }
    return 0;
}
