#include "jobs/rerun.hpp"
#include "jobs/queue.hpp"

#include "jobs/paths.hpp"
#include "jobs/submission.hpp"
#include "jobs/unique.hpp"
#include "kube/api_error.hpp"
#include "kube/job_queries.hpp"
#include "kube/job_status.hpp"
#include "kube/json_fields.hpp"
#include "project/labels.hpp"
#include "project/render.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

namespace kq::jobs {
namespace {

// The labels and annotations prefix the Job controller and the API server set on a Job.
constexpr std::string_view k_batch_prefix = "batch.kubernetes.io/";
constexpr std::string_view k_kueue_prefix = "kueue.x-k8s.io/";

std::string rerun_label(const nlohmann::json& object, std::string_view key) {
    const nlohmann::json& metadata = object["metadata"];
    if (!metadata.contains("labels") || !metadata["labels"].is_object()) return {};
    return metadata["labels"].value(std::string(key), "");
}

std::string rerun_annotation(const nlohmann::json& object, std::string_view key) {
    const nlohmann::json& metadata = object["metadata"];
    if (!metadata.contains("annotations") || !metadata["annotations"].is_object()) return {};
    return metadata["annotations"].value(std::string(key), "");
}

// Drops from labels what the Job controller added: its selector's labels.
void drop_controller_labels(nlohmann::json& labels) {
    if (!labels.is_object()) return;
    for (auto item = labels.begin(); item != labels.end();) {
        const std::string& key = item.key();
        const bool controller =
            key == "controller-uid" || key == "job-name" || starts_with(key, k_batch_prefix);
        item = controller ? labels.erase(item) : std::next(item);
    }
}

// Drops from a copied Job what its payload added (volume, mount, variables); returns the name of the
// variable that held the payload (payload.env), or empty.
std::string drop_payload(nlohmann::json& pod_spec, const std::string& old_name) {
    std::string env_name;
    auto remove_if = [](nlohmann::json& list, const auto& matches) {
        if (!list.is_array()) return;
        nlohmann::json kept = nlohmann::json::array();
        for (nlohmann::json& item : list) {
            if (!matches(item)) kept.push_back(std::move(item));
        }
        list = std::move(kept);
    };
    auto named_volume = [](const nlohmann::json& item) { return item.value("name", "") == k_payload_volume; };
    if (pod_spec.contains("volumes")) {
        remove_if(pod_spec["volumes"], named_volume);
        if (pod_spec["volumes"].empty()) pod_spec.erase("volumes");
    }
    if (!pod_spec.contains("containers")) return env_name;
    for (nlohmann::json& container : pod_spec["containers"]) {
        if (container.contains("volumeMounts")) {
            remove_if(container["volumeMounts"], named_volume);
            if (container["volumeMounts"].empty()) container.erase("volumeMounts");
        }
        if (!container.contains("env")) continue;
        remove_if(container["env"], [&](const nlohmann::json& variable) {
            if (variable.value("name", "") == project::k_payload_file_env) return true;
            if (!variable.contains("valueFrom")) return false;
            for (const char* ref : {"configMapKeyRef", "secretKeyRef"}) {
                const nlohmann::json& from = variable["valueFrom"];
                if (from.contains(ref) && from[ref].value("name", "") == old_name &&
                    from[ref].value("key", "") == k_payload_key) {
                    env_name = variable.value("name", "");
                    return true;
                }
            }
            return false;
        });
        if (container["env"].empty()) container.erase("env");
    }
    return env_name;
}

// Drops the kueue.x-k8s.io/ keys of a labels or annotations map.
void drop_kueue_keys(nlohmann::json& map) {
    if (!map.is_object()) return;
    for (auto item = map.begin(); item != map.end();)
        item = starts_with(item.key(), k_kueue_prefix) ? map.erase(item) : std::next(item);
}

// A copy of a Job Kueue admitted has the node selector and tolerations Kueue added for the flavor it
// chose; its Workload keeps the pod template as it was before, which the copy takes back, so that
// Kueue may choose again. Without a Workload to read (Kueue gone, no RBAC for workloads), the copy
// keeps them.
void restore_kueue_template(kube::Client& client, const std::string& namespace_name,
                            const nlohmann::json& old, nlohmann::json& manifest) {
    const std::string uid = kube::string_at(old, {"metadata", "uid"});
    if (uid.empty()) return;
    std::optional<nlohmann::json> workload;
    try {
        workload = kube::find_workload_object(client, namespace_name, uid);
    } catch (const kube::ApiError&) {
        return;
    }
    if (!workload) return;
    const nlohmann::json::json_pointer recorded("/spec/podSets/0/template/spec");
    if (!workload->contains(recorded) || !(*workload)[recorded].is_object()) return;
    const nlohmann::json& before = (*workload)[recorded];
    nlohmann::json& pod_spec = manifest["spec"]["template"]["spec"];
    for (const char* field : {"nodeSelector", "tolerations"}) {
        if (before.contains(field)) {
            pod_spec[field] = before[field];
        } else {
            pod_spec.erase(field);
        }
    }
}

// The old Job's spec, without what the API server and the Job controller added.
nlohmann::json copied_job(const nlohmann::json& old, const std::string& name, std::string& payload_env) {
    const std::string old_name = old["metadata"]["name"].get<std::string>();
    nlohmann::json labels = old["metadata"].value("labels", nlohmann::json::object());
    drop_controller_labels(labels);
    nlohmann::json annotations = old["metadata"].value("annotations", nlohmann::json::object());
    for (auto item = annotations.begin(); item != annotations.end();) {
        const std::string& key = item.key();
        const bool dropped = starts_with(key, "kq.dev/payload") || key == k_annotation_unique_claim ||
                             key == k_annotation_idempotency_key || starts_with(key, k_batch_prefix) ||
                             key == "kubectl.kubernetes.io/last-applied-configuration";
        item = dropped ? annotations.erase(item) : std::next(item);
    }
    nlohmann::json spec = old["spec"];
    if (!spec.value("manualSelector", false)) spec.erase("selector");
    spec.erase("suspend");
    nlohmann::json& template_metadata = spec["template"]["metadata"];
    if (template_metadata.contains("labels")) drop_controller_labels(template_metadata["labels"]);
    // What Kueue wrote into the template when it admitted the old Job (its Workload's name, the podset,
    // the queues) would tie the copy to the old Workload.
    for (const char* field : {"labels", "annotations"}) {
        if (template_metadata.contains(field)) drop_kueue_keys(template_metadata[field]);
    }
    template_metadata.erase("creationTimestamp");
    payload_env = drop_payload(spec["template"]["spec"], old_name);
    nlohmann::json manifest = {{"apiVersion", "batch/v1"},
                               {"kind", "Job"},
                               {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
                               {"spec", std::move(spec)}};
    if (!annotations.empty()) manifest["metadata"]["annotations"] = std::move(annotations);
    return manifest;
}

// The params recorded on a Job (k_annotation_params), or none for a Job from before kq recorded them.
project::ParamValues recorded_params(const nlohmann::json& old, const std::string& old_name) {
    project::ParamValues params;
    const std::string text = rerun_annotation(old, k_annotation_params);
    if (text.empty()) return params;
    const nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
    if (!object.is_object())
        fail(ErrorKind::usage, "{}: annotation {} is not a JSON object", job_ref(old_name),
             k_annotation_params);
    for (const auto& [key, value] : object.items()) {
        if (!value.is_string()) {
            fail(ErrorKind::usage, "{}: annotation {}: param \"{}\" is not a string", job_ref(old_name),
                 k_annotation_params, key);
        }
        params[key] = value.get<std::string>();
    }
    return params;
}

std::vector<std::string> recorded_args(const nlohmann::json& old) {
    const std::string text = rerun_annotation(old, k_annotation_args);
    const nlohmann::json array =
        text.empty() ? nlohmann::json::array() : nlohmann::json::parse(text, nullptr, false);
    std::vector<std::string> args;
    if (!array.is_array()) return args;
    for (const nlohmann::json& arg : array) {
        if (arg.is_string()) args.push_back(arg.get<std::string>());
    }
    return args;
}

void label_both(nlohmann::json& manifest, std::string_view key, const std::string& value) {
    manifest["metadata"]["labels"][std::string(key)] = value;
    manifest["spec"]["template"]["metadata"]["labels"][std::string(key)] = value;
}

} // namespace

RerunPlan plan_rerun(kube::Client& client, const std::string& namespace_name, const nlohmann::json& old,
                     const RerunOptions& options) {
    RerunPlan plan;
    plan.old_name = old["metadata"]["name"].get<std::string>();
    plan.suspend = options.suspend;
    const std::string definition = rerun_label(old, project::k_label_definition);
    if (definition.empty() || rerun_label(old, project::k_label_managed_by) != project::k_managed_by_value) {
        fail(ErrorKind::usage, "{}: not made by kq (no {} label); kq rerun re-runs the Jobs kq made",
             job_ref(plan.old_name), project::k_label_definition);
    }
    const std::string name = generated_job_name(definition + "-");
    const std::optional<PayloadRef> old_payload = payload_ref(old);
    Payload payload;
    if (old_payload) payload.secret = old_payload->kind == "secret";

    if (options.from_definition) {
        const project::JobDef* job = options.project->find_job(definition);
        if (job == nullptr) {
            fail(ErrorKind::usage,
                 "--from-definition: {} was made from definition \"{}\", which {} no longer has",
                 job_ref(plan.old_name), definition, options.project->file);
        }
        project::ParamValues params = recorded_params(old, plan.old_name);
        for (const auto& [key, value] : options.params)
            params[key] = value;
        project::RenderRequest request;
        request.params = params;
        request.extra_args = recorded_args(old);
        request.name = name;
        request.namespace_override = namespace_name;
        request.env = options.env;
        // The old Job's queue and priority class, as its params, unless the flags name others.
        request.queue = options.queue;
        request.priority = options.priority;
        if (const std::string queue = queue_of(old); !request.queue && !queue.empty()) request.queue = queue;
        const std::string priority = rerun_label(old, project::k_label_kueue_priority);
        if (!request.priority && !priority.empty()) request.priority = priority;
        plan.manifest = project::render_job(*job, request);
        record_origin(plan.manifest, params, request.extra_args, "");
        if (job->payload) {
            payload.env = job->payload->env;
            payload.secret = payload.secret || job->payload->secret;
        }
    } else {
        plan.manifest = copied_job(old, name, payload.env);
        if (!queue_of(old).empty()) restore_kueue_template(client, namespace_name, old, plan.manifest);
        put_in_queue(plan.manifest, options.queue, options.priority);
    }
    label_both(plan.manifest, project::k_label_submission, submission_id(namespace_name, definition, ""));
    plan.manifest["metadata"]["labels"][std::string(k_label_rerun_of)] = plan.old_name;
    if (old_payload) {
        try {
            payload.bytes = read_payload(client, namespace_name, plan.old_name);
        } catch (const Error& error) {
            throw Error(error.kind(), fmt::format("the payload of {} can't be copied: {}",
                                                  job_ref(plan.old_name), error.what()));
        }
        attach_payload(plan.manifest, payload);
        plan.payload = std::move(payload);
    } else if (options.suspend) {
        plan.manifest["spec"]["suspend"] = true;
    }
    return plan;
}

nlohmann::json create_rerun(kube::Client& client, const std::string& namespace_name, const RerunPlan& plan,
                            const std::string& dry_run_query) {
    const bool store = plan.payload && dry_run_query.empty();
    if (store) catch_interrupts();
    kube::ApiRequest request;
    request.method = "POST";
    request.path = jobs_path(namespace_name);
    request.body = plan.manifest;
    if (!dry_run_query.empty()) request.query.emplace_back("dryRun", dry_run_query);
    nlohmann::json created = client.call(request);
    if (store) created = deliver_payload(client, namespace_name, created, *plan.payload, plan.suspend);
    return created;
}

std::vector<nlohmann::json> failed_not_rerun(kube::Client& client, const std::string& namespace_name,
                                             const std::string& definition) {
    std::vector<nlohmann::json> jobs;
    kube::ListOptions options;
    options.label_selector = managed_selector(definition);
    client.list(jobs_path(namespace_name), options, [&](nlohmann::json& page) {
        for (nlohmann::json& item : page["items"])
            jobs.push_back(std::move(item));
    });
    std::set<std::string> rerun;
    for (const nlohmann::json& job : jobs) {
        const std::string of = rerun_label(job, k_label_rerun_of);
        if (!of.empty()) rerun.insert(of);
    }
    std::vector<nlohmann::json> failed;
    for (nlohmann::json& job : jobs) {
        const std::string name = job["metadata"]["name"].get<std::string>();
        if (kube::summarize_job(job).status == "Failed" && rerun.count(name) == 0)
            failed.push_back(std::move(job));
    }
    std::sort(failed.begin(), failed.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        const auto key = [](const nlohmann::json& job) {
            return std::make_pair(job["metadata"].value("creationTimestamp", ""),
                                  job["metadata"].value("name", ""));
        };
        return key(a) < key(b);
    });
    return failed;
}

} // namespace kq::jobs
