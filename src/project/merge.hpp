#pragma once

#include "project/source.hpp"

#include <nlohmann/json.hpp>

namespace kq::project {

// overlay merged onto base: maps key by key, recursively; lists, scalars and values of different
// kinds are replaced by overlay's. Keys keep base's order, overlay's new keys follow.
SourceNode merge_nodes(const SourceNode& base, const SourceNode& overlay);

// A job's keys merged over the project's defaults: as merge_nodes, except that each variable of
// "env" and each param of "params" is replaced whole, never merged field by field.
SourceNode merge_job_over_defaults(const SourceNode& defaults, const SourceNode& job);

// overlay merged onto base as merge_nodes does, for JSON (podTemplate into the rendered template).
void merge_json(nlohmann::json& base, const nlohmann::json& overlay);

} // namespace kq::project
