#include "jobs/schedules.hpp"
#include "jobs/paths.hpp"
#include "jobs/submission.hpp"
#include "kube/api_error.hpp"
#include "util/error.hpp"

#include "kube/job_status.hpp"
#include "project/labels.hpp"
#include "project/schedule.hpp"
#include "util/cron.hpp"

#include <fmt/format.h>

#include <map>

namespace kq::jobs {
namespace {

std::string text_at(const nlohmann::json& object, const char* pointer) {
    const nlohmann::json::json_pointer where(pointer);
    if (!object.contains(where) || !object[where].is_string()) return "";
    return object[where].get<std::string>();
}

// What a server dry run of an apply may change: the rest (status, resourceVersion, managedFields,
// generation) the server sets whatever the manifest says.
nlohmann::json applied_part(const nlohmann::json& object) {
    nlohmann::json part = nlohmann::json::object();
    if (object.contains("spec")) part["spec"] = object["spec"];
    const nlohmann::json empty = nlohmann::json::object();
    const nlohmann::json metadata = object.value("metadata", empty);
    part["labels"] = metadata.value("labels", empty);
    part["annotations"] = metadata.value("annotations", empty);
    return part;
}

kube::ApiRequest apply_request(const nlohmann::json& manifest, bool dry_run) {
    kube::ApiRequest request;
    request.method = "PATCH";
    request.path =
        cronjob_path(text_at(manifest, "/metadata/namespace"), text_at(manifest, "/metadata/name"));
    request.content_type = "application/apply-patch+yaml"; // JSON is YAML
    request.body = manifest;
    request.query.emplace_back("fieldManager", "kq");
    // kq owns what it renders: fields another manager took (kubectl edit) are taken back, as
    // kubectl apply --server-side --force-conflicts does.
    request.query.emplace_back("force", "true");
    if (dry_run) request.query.emplace_back("dryRun", "All");
    // Applying the same configuration twice leaves what once does: an answer lost on the way back is
    // asked for again rather than reported as "may have been applied".
    request.retry_unsafe = true;
    return request;
}

// The live object, or null when there is none.
nlohmann::json get_if_any(kube::Client& client, const std::string& path) {
    try {
        return client.get(path);
    } catch (const kube::ApiError& error) {
        if (error.not_found()) return nullptr;
        throw;
    }
}

void drop_managed_fields(nlohmann::json& object) {
    if (object.is_object() && object.contains("metadata") && object["metadata"].is_object())
        object["metadata"].erase("managedFields");
}

} // namespace

std::string cronjobs_path(const std::string& namespace_name) {
    if (namespace_name.empty()) return "/apis/batch/v1/cronjobs";
    return fmt::format("/apis/batch/v1/namespaces/{}/cronjobs", namespace_name);
}

std::string cronjob_path(const std::string& namespace_name, const std::string& name) {
    return fmt::format("/apis/batch/v1/namespaces/{}/cronjobs/{}", namespace_name, name);
}

std::string cronjob_ref(const std::string& name) { return "cronjob.batch/" + name; }

std::string project_selector(const std::string& project) {
    return fmt::format("{}={},{}={}", project::k_label_managed_by, project::k_managed_by_value,
                       project::k_label_project, project);
}

const char* apply_action_text(ApplyAction action) {
    switch (action) {
    case ApplyAction::created: return "created";
    case ApplyAction::configured: return "configured";
    case ApplyAction::unchanged: return "unchanged";
    case ApplyAction::pruned: return "pruned";
    }
    return "unchanged";
}

AppliedCronJob apply_cronjob(kube::Client& client, const nlohmann::json& manifest, ScheduleDryRun dry_run) {
    AppliedCronJob applied;
    applied.namespace_name = text_at(manifest, "/metadata/namespace");
    applied.name = text_at(manifest, "/metadata/name");
    const nlohmann::json live = get_if_any(client, cronjob_path(applied.namespace_name, applied.name));
    if (dry_run == ScheduleDryRun::client) {
        applied.action = live.is_null() ? ApplyAction::created : ApplyAction::configured;
        return applied;
    }
    const nlohmann::json result = client.call(apply_request(manifest, dry_run == ScheduleDryRun::server));
    if (live.is_null()) {
        applied.action = ApplyAction::created;
    } else if (dry_run == ScheduleDryRun::server) {
        applied.action =
            applied_part(live) == applied_part(result) ? ApplyAction::unchanged : ApplyAction::configured;
    } else {
        applied.action =
            text_at(live, "/metadata/resourceVersion") == text_at(result, "/metadata/resourceVersion")
                ? ApplyAction::unchanged
                : ApplyAction::configured;
    }
    return applied;
}

void prune_cronjobs(kube::Client& client, const std::vector<std::string>& namespaces,
                    const std::string& project, const std::set<std::string>& keep, ScheduleDryRun dry_run,
                    const std::function<void(const AppliedCronJob&)>& done) {
    kube::ListOptions options;
    options.label_selector = project_selector(project);
    for (const std::string& namespace_name : namespaces) {
        std::vector<std::string> names;
        client.list(cronjobs_path(namespace_name), options, [&](nlohmann::json& page) {
            for (const nlohmann::json& item : page.value("items", nlohmann::json::array())) {
                const std::string name = text_at(item, "/metadata/name");
                if (keep.count(name) == 0) names.push_back(name);
            }
        });
        for (const std::string& name : names) {
            if (dry_run != ScheduleDryRun::client) {
                nlohmann::json options_body = {{"propagationPolicy", "Background"}};
                // The server reads a DELETE's options from its body when it has one, and then ignores
                // ?dryRun=All, which would make a dry run real.
                if (dry_run == ScheduleDryRun::server) options_body["dryRun"] = {"All"};
                try {
                    (void)client.remove(cronjob_path(namespace_name, name), {}, options_body);
                } catch (const kube::ApiError& error) {
                    // Deleted meanwhile: what prune wanted.
                    if (!error.not_found()) throw;
                }
            }
            if (done) done({namespace_name, name, ApplyAction::pruned});
        }
    }
}

CronJobDiff diff_cronjob(kube::Client& client, const nlohmann::json& manifest) {
    CronJobDiff diff;
    diff.namespace_name = text_at(manifest, "/metadata/namespace");
    diff.name = text_at(manifest, "/metadata/name");
    diff.live = get_if_any(client, cronjob_path(diff.namespace_name, diff.name));
    diff.merged = client.call(apply_request(manifest, true));
    drop_managed_fields(diff.live);
    drop_managed_fields(diff.merged);
    return diff;
}

std::vector<ScheduleSummary> list_schedules(kube::Client& client, const std::string& namespace_name,
                                            TimePoint now) {
    std::vector<ScheduleSummary> schedules;
    kube::ListOptions options;
    options.label_selector = fmt::format("{}={}", project::k_label_managed_by, project::k_managed_by_value);
    client.list(cronjobs_path(namespace_name), options, [&](nlohmann::json& page) {
        for (nlohmann::json& item : page.value("items", nlohmann::json::array())) {
            ScheduleSummary summary;
            summary.namespace_name = text_at(item, "/metadata/namespace");
            summary.name = text_at(item, "/metadata/name");
            summary.schedule = text_at(item, "/spec/schedule");
            summary.time_zone = text_at(item, "/spec/timeZone");
            const nlohmann::json::json_pointer suspend("/spec/suspend");
            summary.suspended =
                item.contains(suspend) && item[suspend].is_boolean() && item[suspend].get<bool>();
            const nlohmann::json::json_pointer active("/status/active");
            if (item.contains(active) && item[active].is_array())
                summary.active = static_cast<int>(item[active].size());
            summary.last_schedule = parse_rfc3339(text_at(item, "/status/lastScheduleTime"));
            summary.created = parse_rfc3339(text_at(item, "/metadata/creationTimestamp"));
            std::string error;
            const std::optional<CronSchedule> cron = parse_cron(summary.schedule, error);
            const std::optional<TimeZone> zone =
                summary.time_zone.empty() ? TimeZone::utc() : TimeZone::load(summary.time_zone, error);
            if (cron && zone && !summary.suspended) summary.next_run = next_run(*cron, *zone, now);
            summary.object = std::move(item);
            schedules.push_back(std::move(summary));
        }
    });
    if (schedules.empty()) return schedules;

    // The newest finished Job of each CronJob, found by its controller's uid.
    std::map<std::string, ScheduleSummary*> by_uid;
    for (ScheduleSummary& summary : schedules)
        by_uid[text_at(summary.object, "/metadata/uid")] = &summary;
    std::map<std::string, TimePoint> newest;
    kube::ListOptions job_options;
    job_options.label_selector = options.label_selector;
    const std::string jobs_collection =
        namespace_name.empty() ? "/apis/batch/v1/jobs"
                               : fmt::format("/apis/batch/v1/namespaces/{}/jobs", namespace_name);
    client.list(jobs_collection, job_options, [&](nlohmann::json& page) {
        for (const nlohmann::json& job : page.value("items", nlohmann::json::array())) {
            const nlohmann::json::json_pointer owners("/metadata/ownerReferences");
            if (!job.contains(owners) || !job[owners].is_array()) continue;
            for (const nlohmann::json& owner : job[owners]) {
                if (owner.value("kind", "") != "CronJob") continue;
                const auto found = by_uid.find(owner.value("uid", ""));
                if (found == by_uid.end()) continue;
                const kube::JobSummary summary = kube::summarize_job(job);
                if (!summary.finished) continue;
                const TimePoint when = summary.completed.value_or(summary.created.value_or(TimePoint{}));
                const auto seen = newest.find(found->first);
                if (seen != newest.end() && seen->second > when) continue;
                newest[found->first] = when;
                found->second->last_result = summary.status;
            }
        }
    });
    return schedules;
}

nlohmann::json job_from_cronjob(const nlohmann::json& cronjob, const nlohmann::json& job_template,
                                const std::string& name) {
    const std::string cronjob_name = text_at(cronjob, "/metadata/name");
    const nlohmann::json empty = nlohmann::json::object();
    nlohmann::json metadata = job_template.value("metadata", empty);
    nlohmann::json annotations = metadata.value("annotations", empty);
    annotations["cronjob.kubernetes.io/instantiate"] = "manual";
    metadata["annotations"] = std::move(annotations);
    if (name.empty()) {
        metadata["generateName"] = cronjob_name + "-manual-";
    } else {
        metadata["name"] = name;
    }
    metadata["namespace"] = text_at(cronjob, "/metadata/namespace");
    metadata["ownerReferences"] = nlohmann::json::array({{{"apiVersion", "batch/v1"},
                                                          {"kind", "CronJob"},
                                                          {"name", cronjob_name},
                                                          {"uid", text_at(cronjob, "/metadata/uid")},
                                                          {"controller", true}}});
    return {{"apiVersion", "batch/v1"},
            {"kind", "Job"},
            {"metadata", std::move(metadata)},
            {"spec", job_template.value("spec", empty)}};
}

void key_triggered_job(nlohmann::json& manifest, const std::string& namespace_name, const std::string& job,
                       const std::string& key) {
    nlohmann::json& metadata = manifest["metadata"];
    metadata.erase("generateName");
    metadata["name"] = idempotent_job_name(namespace_name, job, "trigger:" + key);
    metadata["annotations"][std::string(k_annotation_idempotency_key)] = key;
}

Triggered create_triggered(kube::Client& client, const std::string& namespace_name,
                           const nlohmann::json& manifest, const std::string& key,
                           const std::string& dry_run_query) {
    kube::ApiRequest request;
    request.method = "POST";
    request.path = jobs_path(namespace_name);
    request.body = manifest;
    if (!dry_run_query.empty()) request.query.emplace_back("dryRun", dry_run_query);
    // A keyed Job has a fixed name: a create sent again after a lost answer meets 409, and is adopted
    // below as this trigger's own.
    request.retry_unsafe = !key.empty();
    try {
        return {client.call(std::move(request)), false};
    } catch (const kube::ApiError& error) {
        if (key.empty() || !error.already_exists()) throw;
    }
    const std::string name = text_at(manifest, "/metadata/name");
    nlohmann::json existing = client.get(job_path(namespace_name, name));
    // JSON pointers: "~1" is the "/" in "kq.dev/...".
    static_assert(project::k_label_spec_hash == "kq.dev/spec-hash");
    static_assert(k_annotation_idempotency_key == "kq.dev/idempotency-key");
    const char* spec_hash = "/metadata/labels/kq.dev~1spec-hash";
    const bool same_origin = text_at(existing, "/metadata/annotations/kq.dev~1idempotency-key") == key &&
                             text_at(existing, "/metadata/ownerReferences/0/uid") ==
                                 text_at(manifest, "/metadata/ownerReferences/0/uid");
    if (!same_origin || text_at(existing, spec_hash) != text_at(manifest, spec_hash)) {
        fail(ErrorKind::usage,
             "--idempotency-key: {} already exists and was not made by this CronJob's template with the key "
             "\"{}\" (another key, CronJob or params); use a new key",
             job_ref(name), key);
    }
    return {std::move(existing), true};
}

bool set_cronjob_suspended(kube::Client& client, const std::string& namespace_name, const std::string& name,
                           bool suspend, ScheduleDryRun dry_run) {
    const std::string path = cronjob_path(namespace_name, name);
    const nlohmann::json cronjob = client.get(path);
    const nlohmann::json::json_pointer where("/spec/suspend");
    const bool suspended =
        cronjob.contains(where) && cronjob[where].is_boolean() && cronjob[where].get<bool>();
    if (suspended == suspend) return false;
    if (dry_run == ScheduleDryRun::client) return true;
    kube::ApiRequest request;
    request.method = "PATCH";
    request.path = path;
    request.content_type = "application/merge-patch+json";
    request.body = nlohmann::json{{"spec", {{"suspend", suspend}}}};
    request.retry_unsafe = true; // setting a field to a value twice is setting it once
    if (dry_run == ScheduleDryRun::server) request.query.emplace_back("dryRun", "All");
    (void)client.call(std::move(request));
    return true;
}

} // namespace kq::jobs
