#include "jobs/payload.hpp"

#include "jobs/queue.hpp"

#include "jobs/await.hpp"
#include "jobs/paths.hpp"
#include "kube/api_error.hpp"
#include "project/labels.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

namespace kq::jobs {
namespace {

std::string payload_objects_path(const std::string& namespace_name, bool secret) {
    return fmt::format("/api/v1/namespaces/{}/{}", namespace_name, secret ? "secrets" : "configmaps");
}

std::string payload_object_path(const std::string& namespace_name, bool secret, const std::string& name) {
    return fmt::format("{}/{}", payload_objects_path(namespace_name, secret), name);
}

std::string annotation_of(const nlohmann::json& object, std::string_view key) {
    const nlohmann::json* annotations = nullptr;
    if (object.is_object() && object.contains("metadata") && object["metadata"].is_object() &&
        object["metadata"].contains("annotations") && object["metadata"]["annotations"].is_object())
        annotations = &object["metadata"]["annotations"];
    if (annotations == nullptr) return {};
    const auto found = annotations->find(std::string(key));
    return found != annotations->end() && found->is_string() ? found->get<std::string>() : std::string();
}

// The bytes a ConfigMap or Secret holds under the payload key, or nullopt.
std::optional<std::string> stored_bytes(const nlohmann::json& object) {
    const std::string key(k_payload_key);
    if (object.contains("binaryData") && object["binaryData"].contains(key))
        return base64_decode(object["binaryData"][key].get<std::string>());
    if (object.value("kind", "") == "Secret") {
        if (object.contains("data") && object["data"].contains(key))
            return base64_decode(object["data"][key].get<std::string>());
        return std::nullopt;
    }
    if (object.contains("data") && object["data"].contains(key))
        return object["data"][key].get<std::string>();
    return std::nullopt;
}

bool owned_by(const nlohmann::json& object, const std::string& uid) {
    const nlohmann::json& metadata = object["metadata"];
    if (!metadata.contains("ownerReferences")) return false;
    for (const nlohmann::json& owner : metadata["ownerReferences"]) {
        if (owner.value("uid", "") == uid) return true;
    }
    return false;
}

// Creates the payload object; one found there already is this Job's from an earlier try (kept when it
// holds the same bytes) or a stale one of a deleted Job of the same name (replaced).
void store_payload(kube::Client& client, const std::string& namespace_name, const nlohmann::json& job,
                   const Payload& payload) {
    const std::string name = job["metadata"]["name"].get<std::string>();
    const std::string uid = job["metadata"]["uid"].get<std::string>();
    for (int attempt = 0;; ++attempt) {
        try {
            client.call(payload_store_request(namespace_name, job, payload));
            return;
        } catch (const kube::ApiError& error) {
            if (!error.already_exists() || attempt > 0) throw;
        }
        const nlohmann::json existing = client.get(payload_object_path(namespace_name, payload.secret, name));
        if (owned_by(existing, uid) && stored_bytes(existing) == payload.bytes) return;
        const nlohmann::json options = {{"kind", "DeleteOptions"},
                                        {"apiVersion", "v1"},
                                        {"preconditions", {{"uid", existing["metadata"]["uid"]}}}};
        try {
            client.remove(payload_object_path(namespace_name, payload.secret, name), {}, options);
        } catch (const kube::ApiError& error) {
            if (!error.not_found()) throw;
        }
    }
}

// Why text is not one JSON document, or nullopt when it is.
std::optional<std::string> json_problem(std::string_view text) {
    if (nlohmann::json::accept(text)) return std::nullopt;
    try {
        const nlohmann::json parsed = nlohmann::json::parse(text);
        return "not a JSON document";
    } catch (const nlohmann::json::exception& error) {
        const std::string what = error.what();
        return what.substr(what.find(']') + 2);
    }
}

// Deletes a Job whose payload was not stored, keeping the first error.
void discard_job(kube::Client& client, const std::string& namespace_name, const std::string& name) {
    try {
        delete_job(client, namespace_name, name);
    } catch (const Error&) { // the error that made us discard it is the one to report
    }
}

} // namespace

void check_payload(std::string_view bytes, const project::JobDef& job, const std::string& source) {
    const project::PayloadDef* def = job.payload ? &*job.payload : nullptr;
    if (bytes.size() > project::k_max_payload_bytes) {
        fail(ErrorKind::usage,
             "{}: the payload is {} bytes, more than the {} a payload may hold (one ConfigMap or Secret)",
             source, bytes.size(), project::k_max_payload_bytes);
    }
    if (def == nullptr) return;
    if (def->max_bytes && bytes.size() > *def->max_bytes) {
        fail(ErrorKind::usage,
             "{}: the payload is {} bytes, more than job \"{}\" takes (payload.maxBytes: {})", source,
             bytes.size(), job.name, *def->max_bytes);
    }
    if (def->is_json()) {
        if (const auto problem = json_problem(bytes)) {
            fail(ErrorKind::usage,
                 "{}: the payload is not JSON, which job \"{}\" takes (payload.contentType: {}): {}", source,
                 job.name, def->content_type, *problem);
        }
    }
    if (!def->env.empty()) {
        if (const auto offset = invalid_utf8_offset(bytes)) {
            fail(ErrorKind::usage,
                 "{}: the payload is not UTF-8 text (byte {}), which job \"{}\" puts in ${} (payload.env)",
                 source, *offset, job.name, def->env);
        }
        if (bytes.size() > project::k_max_env_payload_bytes) {
            fail(ErrorKind::usage,
                 "{}: the payload is {} bytes, more than the {} job \"{}\" may put in ${} (payload.env)",
                 source, bytes.size(), project::k_max_env_payload_bytes, job.name, def->env);
        }
    }
}

std::vector<PayloadLine> parse_payload_lines(const std::string& text, const std::string& file_name) {
    std::vector<PayloadLine> lines;
    size_t start = 0;
    int number = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        ++number;
        start = end + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        if (const auto problem = json_problem(line))
            fail(ErrorKind::usage, "{}:{}: not JSON: {}", file_name, number, *problem);
        lines.push_back({number, std::move(line)});
    }
    if (lines.empty())
        fail(ErrorKind::usage, "{}: no payload lines; write one JSON value per Job", file_name);
    return lines;
}

void attach_payload(nlohmann::json& manifest, const Payload& payload) {
    const std::string name = manifest["metadata"]["name"].get<std::string>();
    nlohmann::json& annotations = manifest["metadata"]["annotations"];
    annotations[std::string(k_annotation_payload)] =
        fmt::format("{}/{}", payload.secret ? "secret" : "configmap", name);
    annotations[std::string(k_annotation_payload_bytes)] = std::to_string(payload.bytes.size());
    annotations[std::string(k_annotation_payload_sha256)] = sha256_hex(payload.bytes);
    annotations[std::string(k_annotation_payload_pending)] = "true";
    manifest["spec"]["suspend"] = true;
    hold_queue(manifest); // Kueue must not admit it before its payload is there

    nlohmann::json& pod_spec = manifest["spec"]["template"]["spec"];
    nlohmann::json volume = {{"name", k_payload_volume}};
    if (payload.secret) {
        volume["secret"] = {{"secretName", name}};
    } else {
        volume["configMap"] = {{"name", name}};
    }
    pod_spec["volumes"].push_back(std::move(volume));
    // The main container is the first of containers (init containers and sidecars are initContainers).
    nlohmann::json& container = pod_spec["containers"][0];
    container["volumeMounts"].push_back({{"name", k_payload_volume},
                                         {"mountPath", k_payload_path},
                                         {"subPath", k_payload_key},
                                         {"readOnly", true}});
    nlohmann::json& env = container["env"];
    env.push_back({{"name", project::k_payload_file_env}, {"value", k_payload_path}});
    if (!payload.env.empty()) {
        const char* ref = payload.secret ? "secretKeyRef" : "configMapKeyRef";
        env.push_back(
            {{"name", payload.env}, {"valueFrom", {{ref, {{"name", name}, {"key", k_payload_key}}}}}});
    }
}

nlohmann::json payload_object(const nlohmann::json& job, const Payload& payload) {
    const nlohmann::json& metadata = job["metadata"];
    const std::string name = metadata["name"].get<std::string>();
    nlohmann::json labels = {{project::k_label_managed_by, project::k_managed_by_value}};
    if (metadata.contains("labels") && metadata["labels"].contains(std::string(project::k_label_definition)))
        labels[std::string(project::k_label_definition)] =
            metadata["labels"][std::string(project::k_label_definition)];
    nlohmann::json object = {
        {"apiVersion", "v1"},
        {"kind", payload.secret ? "Secret" : "ConfigMap"},
        {"metadata",
         {{"name", name},
          {"labels", std::move(labels)},
          {"annotations", {{k_annotation_payload_sha256, sha256_hex(payload.bytes)}}},
          {"ownerReferences", nlohmann::json::array({{{"apiVersion", "batch/v1"},
                                                      {"kind", "Job"},
                                                      {"name", name},
                                                      {"uid", metadata["uid"]},
                                                      {"blockOwnerDeletion", false}}})}}},
        {"immutable", true},
    };
    const std::string key(k_payload_key);
    if (payload.secret) {
        object["type"] = "Opaque";
        object["data"][key] = base64_encode(payload.bytes);
    } else if (invalid_utf8_offset(payload.bytes)) {
        object["binaryData"][key] = base64_encode(payload.bytes);
    } else {
        object["data"][key] = payload.bytes;
    }
    return object;
}

bool payload_pending(const nlohmann::json& job) {
    return annotation_of(job, k_annotation_payload_pending) == "true";
}

kube::ApiRequest payload_store_request(const std::string& namespace_name, const nlohmann::json& job,
                                       const Payload& payload) {
    kube::ApiRequest request;
    request.method = "POST";
    request.path = payload_objects_path(namespace_name, payload.secret);
    request.body = payload_object(job, payload);
    request.retry_unsafe = true; // a repeat meets 409, which store_payload recognises
    return request;
}

kube::ApiRequest payload_release_request(const std::string& namespace_name, const nlohmann::json& job,
                                         bool keep_suspended) {
    nlohmann::json patch = {{"metadata", {{"annotations", {{k_annotation_payload_pending, nullptr}}}}}};
    if (!keep_suspended) add_release(job, patch);
    kube::ApiRequest request;
    request.method = "PATCH";
    request.path = job_path(namespace_name, job["metadata"]["name"].get<std::string>());
    request.body = std::move(patch);
    request.content_type = "application/merge-patch+json";
    request.retry_unsafe = true; // the same merge patch twice is the same Job
    return request;
}

Error payload_not_stored(kube::Client& client, const std::string& namespace_name, const std::string& job_name,
                         const Error& why) {
    discard_job(client, namespace_name, job_name);
    return Error(why.kind(), fmt::format("{}; {} was deleted, as its payload could not be stored", why.what(),
                                         job_ref(job_name)));
}

nlohmann::json deliver_payload(kube::Client& client, const std::string& namespace_name,
                               const nlohmann::json& job, const Payload& payload, bool keep_suspended) {
    const std::string name = job["metadata"]["name"].get<std::string>();
    if (interrupted()) {
        discard_job(client, namespace_name, name);
        fail(ErrorKind::interrupted, "interrupted; {} was deleted before its payload was stored",
             job_ref(name));
    }
    try {
        store_payload(client, namespace_name, job, payload);
    } catch (const Error& error) {
        throw payload_not_stored(client, namespace_name, name, error);
    }
    if (interrupted()) {
        // The payload object goes with the Job, through the garbage collector.
        discard_job(client, namespace_name, name);
        fail(ErrorKind::interrupted, "interrupted; {} was deleted before it started", job_ref(name));
    }
    return client.call(payload_release_request(namespace_name, job, keep_suspended));
}

std::optional<PayloadRef> payload_ref(const nlohmann::json& job) {
    const std::string object = annotation_of(job, k_annotation_payload);
    const size_t slash = object.find('/');
    if (slash == std::string::npos) return std::nullopt;
    PayloadRef ref;
    ref.kind = object.substr(0, slash);
    ref.name = object.substr(slash + 1);
    try {
        ref.bytes = std::stoull(annotation_of(job, k_annotation_payload_bytes));
    } catch (const std::exception&) {
        ref.bytes = 0;
    }
    ref.sha256 = annotation_of(job, k_annotation_payload_sha256);
    return ref;
}

std::string read_payload(kube::Client& client, const std::string& namespace_name,
                         const std::string& job_name) {
    const nlohmann::json job = client.get(job_path(namespace_name, job_name));
    const std::optional<PayloadRef> ref = payload_ref(job);
    if (!ref) fail(ErrorKind::cluster, "{} has no payload", job_ref(job_name));
    const bool secret = ref->kind == "secret";
    const nlohmann::json object = client.get(payload_object_path(namespace_name, secret, ref->name));
    std::optional<std::string> bytes = stored_bytes(object);
    if (!bytes) fail(ErrorKind::cluster, "{}/{} holds no key \"{}\"", ref->kind, ref->name, k_payload_key);
    if (!ref->sha256.empty() && sha256_hex(*bytes) != ref->sha256) {
        fail(ErrorKind::cluster, "{}/{} does not hold the payload {} was given (its SHA-256 differs)",
             ref->kind, ref->name, job_ref(job_name));
    }
    return std::move(*bytes);
}

} // namespace kq::jobs
