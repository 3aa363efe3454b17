#include "project/merge.hpp"

namespace kq::project {
namespace {

SourceNode merge_to_depth(const SourceNode& base, const SourceNode& overlay, int depth) {
    if (depth == 0 || base.kind != NodeKind::map || overlay.kind != NodeKind::map) return overlay;
    SourceNode result = base;
    // The overlay's location wins: that is where the merged map was written last.
    result.location = overlay.location;
    for (const SourceEntry& entry : overlay.entries) {
        if (SourceNode* existing = result.find(entry.key)) {
            *existing = merge_to_depth(*existing, entry.value, depth - 1);
        } else {
            result.entries.push_back(entry);
        }
    }
    return result;
}

} // namespace

SourceNode merge_nodes(const SourceNode& base, const SourceNode& overlay) {
    // The parser bounds nesting, so the depth here only keeps the recursion obviously finite.
    return merge_to_depth(base, overlay, k_max_nesting_depth + 1);
}

SourceNode merge_job_over_defaults(const SourceNode& defaults, const SourceNode& job) {
    if (defaults.kind != NodeKind::map || job.kind != NodeKind::map) return job;
    SourceNode result = defaults;
    result.location = job.location;
    for (const SourceEntry& entry : job.entries) {
        SourceNode* existing = result.find(entry.key);
        if (existing == nullptr) {
            result.entries.push_back(entry);
            continue;
        }
        // An env variable or a param is one thing: a job's secretKeyRef must not gain a default's value.
        const bool whole_entries = entry.key == "env" || entry.key == "params";
        *existing =
            whole_entries ? merge_to_depth(*existing, entry.value, 1) : merge_nodes(*existing, entry.value);
    }
    return result;
}

void merge_json(nlohmann::json& base, const nlohmann::json& overlay) {
    if (!base.is_object() || !overlay.is_object()) {
        base = overlay;
        return;
    }
    for (const auto& [key, value] : overlay.items()) {
        auto found = base.find(key);
        if (found == base.end()) {
            base[key] = value;
        } else {
            merge_json(*found, value);
        }
    }
}

} // namespace kq::project
