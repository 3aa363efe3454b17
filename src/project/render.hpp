#pragma once

#include "project/params.hpp"
#include "project/project.hpp"
#include "project/templating.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace kq::project {

// Everything a render needs besides the job definition: the command line's choices, already parsed.
struct RenderRequest {
    // -p NAME=VALUE, by name.
    ParamValues params;
    // The arguments after "--", appended to the container's args.
    std::vector<std::string> extra_args;
    // --name: a fixed Job name instead of generateName "<job>-".
    std::optional<std::string> name;
    // -n: wins over the job's and the project's namespace.
    std::optional<std::string> namespace_override;
    // The kubeconfig context's namespace: used when neither the job nor the project sets one.
    std::optional<std::string> default_namespace;
    // --queue: the Kueue LocalQueue, over the job's `queue`.
    std::optional<std::string> queue;
    // --priority: the Kueue WorkloadPriorityClass, over the job's `workloadPriorityClass`.
    std::optional<std::string> priority;
    // Reads {{ env.NAME }}; when empty, every env reference is an error.
    EnvLookup env;
};

// The batch/v1 Job manifest of job for request: a pure function of its arguments. Throws a usage
// Error (the first problem, with its file location) for bad params, a bad --name or namespace,
// and values that are invalid once templates are expanded.
nlohmann::json render_job(const JobDef& job, const RenderRequest& request);

// Throws a usage Error naming --queue or --priority when the name given is not a valid DNS label.
void check_kueue_flags(const std::optional<std::string>& queue, const std::optional<std::string>& priority);

// The value of the kq.dev/spec-hash label: the first 16 hex digits of the SHA-256 of the manifest
// as compact JSON with sorted keys, leaving out metadata.name, metadata.generateName and the
// hash label itself (on the Job and its pod template).
std::string spec_hash(const nlohmann::json& manifest);

// The manifest as YAML, keys sorted, strings quoted wherever YAML would read them as another type.
std::string to_yaml(const nlohmann::json& manifest);

// The manifest as JSON indented by 4, as kubectl prints it, with a final newline.
std::string to_json_text(const nlohmann::json& manifest);

} // namespace kq::project
