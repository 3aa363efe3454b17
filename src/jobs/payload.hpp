#pragma once

#include "kube/client.hpp"
#include "project/project.hpp"
#include "util/error.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kq::jobs {

// A Job's payload (`kq submit --payload FILE`) travels in a ConfigMap (or a Secret) named like the Job and
// owned by it, so that deleting the Job, or its ttlSecondsAfterFinished, removes it through the garbage
// collector. The Job is created first, suspended and marked pending (k_annotation_payload_pending), with
// the object mounted read-only at k_payload_path; then the object is created with an ownerReference to
// the Job's uid; then the Job is resumed and the mark dropped. A failure to store the payload deletes
// the Job; a retried --idempotency-key submission finds a pending Job and finishes it.

// Where the container finds the payload, a file (the object's key k_payload_key through subPath).
inline constexpr std::string_view k_payload_path = "/var/run/kq/payload";
// The key of the payload in its ConfigMap or Secret.
inline constexpr std::string_view k_payload_key = "payload";
// The pod volume that mounts it.
inline constexpr std::string_view k_payload_volume = "kq-payload";
// The object holding a Job's payload, "configmap/NAME" or "secret/NAME".
inline constexpr std::string_view k_annotation_payload = "kq.dev/payload";
// The payload's size in bytes, in decimal.
inline constexpr std::string_view k_annotation_payload_bytes = "kq.dev/payload-bytes";
// The SHA-256 of the payload, 64 hex digits: a retried --idempotency-key must bring the same payload.
inline constexpr std::string_view k_annotation_payload_sha256 = "kq.dev/payload-sha256";
// "true" while the Job waits, suspended, for its payload object; removed when it is resumed.
inline constexpr std::string_view k_annotation_payload_pending = "kq.dev/payload-pending";

// One Job's payload and how its definition wants it delivered.
struct Payload {
    std::string bytes;
    bool secret = false; // a Secret instead of a ConfigMap
    std::string env;     // payload.env: also in this environment variable, when not empty
};

// Checks a payload against kq's limit and the definition's payload key (maxBytes, contentType JSON,
// env); `source` names it first in the usage Error ("--payload data.json", "lines.jsonl:3").
void check_payload(std::string_view bytes, const project::JobDef& job, const std::string& source);

// One payload of --payload-file and the line it came from.
struct PayloadLine {
    int line = 0;
    std::string bytes;
};

// Reads --payload-file: JSON Lines, each non-blank line one Job's payload (its text as written, a JSON
// value); throws a usage Error naming the file and line of one that is not JSON.
std::vector<PayloadLine> parse_payload_lines(const std::string& text, const std::string& file_name);

// Sets up a rendered manifest (with its final metadata.name) to receive a payload: the volume, its mount
// in the main container, KQ_PAYLOAD_FILE (and payload.env), the payload annotations, and suspended with
// the pending mark.
void attach_payload(nlohmann::json& manifest, const Payload& payload);

// The ConfigMap or Secret of a created Job's payload, owned by the Job (its uid).
nlohmann::json payload_object(const nlohmann::json& job, const Payload& payload);

// True while a Job waits for its payload object (k_annotation_payload_pending).
bool payload_pending(const nlohmann::json& job);

// Stores the payload of a created, pending Job, then resumes it (unless `keep_suspended`: --suspend, or a
// --unique claim that resumes itself) and drops the pending mark; returns the Job as patched. An object
// left by an earlier try of the same Job is kept when it holds the same bytes. If the payload can't be
// stored, or SIGINT/SIGTERM came (the caller catches them), the Job is deleted and an Error thrown.
nlohmann::json deliver_payload(kube::Client& client, const std::string& namespace_name,
                               const nlohmann::json& job, const Payload& payload, bool keep_suspended);

// The requests of deliver_payload's usual path, for a fan-out that sends many at once: the create of a
// pending Job's payload object (safe to repeat: its name is the Job's), and the patch that drops the
// pending mark and resumes the Job (unless `keep_suspended`). A create answered 409 AlreadyExists (an
// object left by an earlier try) needs deliver_payload, which checks whose object it is.
kube::ApiRequest payload_store_request(const std::string& namespace_name, const nlohmann::json& job,
                                       const Payload& payload);
kube::ApiRequest payload_release_request(const std::string& namespace_name, const nlohmann::json& job,
                                         bool keep_suspended);

// Deletes a pending Job whose payload could not be stored (best effort) and returns the Error to report:
// `why`, and that the Job was deleted.
Error payload_not_stored(kube::Client& client, const std::string& namespace_name, const std::string& job_name,
                         const Error& why);

// A Job's payload as its annotations describe it.
struct PayloadRef {
    std::string kind; // "configmap" or "secret"
    std::string name;
    std::size_t bytes = 0;
    std::string sha256;
};

// The payload a Job carries, or nullopt.
std::optional<PayloadRef> payload_ref(const nlohmann::json& job);

// The bytes of a Job's payload as stored; a cluster Error when the Job has none or the object is gone.
std::string read_payload(kube::Client& client, const std::string& namespace_name,
                         const std::string& job_name);

} // namespace kq::jobs
