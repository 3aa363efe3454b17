#include "jobs/paths.hpp"

#include "project/labels.hpp"

#include <fmt/format.h>

namespace kq::jobs {

std::string managed_selector(const std::string& definition, const std::string& extra) {
    std::string selector = fmt::format("{}={}", project::k_label_managed_by, project::k_managed_by_value);
    if (!definition.empty()) selector += fmt::format(",{}={}", project::k_label_definition, definition);
    if (!extra.empty()) selector += "," + extra;
    return selector;
}

std::string jobs_path(const std::string& namespace_name) {
    if (namespace_name.empty()) return "/apis/batch/v1/jobs";
    return fmt::format("/apis/batch/v1/namespaces/{}/jobs", namespace_name);
}

std::string job_path(const std::string& namespace_name, const std::string& name) {
    return fmt::format("/apis/batch/v1/namespaces/{}/jobs/{}", namespace_name, name);
}

std::string pods_path(const std::string& namespace_name) {
    return fmt::format("/api/v1/namespaces/{}/pods", namespace_name);
}

std::string job_ref(const std::string& name) { return "job.batch/" + name; }

} // namespace kq::jobs
