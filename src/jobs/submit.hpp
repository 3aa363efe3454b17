#pragma once

#include "jobs/payload.hpp"
#include "kube/client.hpp"
#include "project/params.hpp"
#include "project/project.hpp"
#include "project/render.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace kq::jobs {

// What a submission makes of a definition: its params, how many Jobs, and how they are named.
struct PlanOptions {
    project::ParamValues params;             // -p NAME=VALUE, for every Job
    std::optional<std::string> params_text;  // --params-file's text: one JSON object of params per Job
    std::string params_file;                 // --params-file as given ("-" for stdin), for messages
    int count = 1;                           // --count: Jobs alike
    std::string name;                        // --name: one Job's fixed name
    std::string idempotency_key;             // derives each Job's fixed name
    std::vector<std::string> extra_args;     // after "--": appended to the container's args
    bool namespace_known = true;             // false: the namespace fell back to "default" unasked
    bool suspend = false;                    // --suspend: created with spec.suspend, no pod starts
    std::optional<std::string> queue;        // --queue: the Kueue LocalQueue, over the definition's
    std::optional<std::string> priority;     // --priority: the Kueue WorkloadPriorityClass
    project::EnvLookup env;                  // reads {{ env.NAME }}
    std::optional<std::string> payload;      // --payload's bytes: every Job's payload
    std::string payload_source;              // how messages name it: "--payload FILE"
    std::optional<std::string> payload_text; // --payload-file's text: one payload per Job (jobs/payload.hpp)
    std::string payload_file;                // --payload-file as given ("-" for stdin), for messages
    bool payload_secret = false;             // --payload-secret: a Secret instead of a ConfigMap
};

// One Job of a submission: what its manifest is made from, and what became of it.
struct Planned {
    size_t params = 0;      // its params: an index into Submission::params
    size_t payload = 0;     // its payload: an index into Submission::payloads, when there are any
    std::string fixed_name; // idempotent or --name
    std::string key;        // the idempotency key that named it ("KEY/N" in a fan-out), or empty
    std::string spec_hash;  // its manifest's, which a 409 on a fixed name compares with the existing Job's
    nlohmann::json created; // the object the server returned (or the existing one)
    bool unchanged = false; // an idempotent Job found already there
    std::optional<std::string> error;
};

// The Jobs of a submission. plan() renders every manifest once to check it, so that a bad param line
// creates nothing, but keeps none of them: each is rendered again when its create is sent, so a fan-out
// of thousands of Jobs holds only the manifests on the wire. Jobs that render alike (--count without
// fixed names) share one manifest.
struct Submission {
    const project::JobDef* job = nullptr;
    project::RenderRequest base;              // all but the params and the name
    std::vector<project::ParamValues> params; // one set per params-file line, or one set shared by all
    std::vector<Planned> entries;
    nlohmann::json shared;             // the one manifest of all entries, when they render alike
    std::string idempotency_key;       // as planned, for the message of a conflict
    bool claim = false;                // --unique: created as a suspended claim (jobs/unique.hpp)
    bool suspend = false;              // --suspend; not part of the spec hash, as kq resume changes it
    std::string id;                    // the submission label's value (project::k_label_submission)
    std::vector<std::string> payloads; // one for all Jobs, one per Job (--payload-file), or none
    bool payload_secret = false;       // payloads in Secrets (--payload-secret or payload.secret)

    // The manifest of one of its Jobs; with a payload it is named here (not by generateName), as the
    // payload object the pod mounts is named like the Job.
    nlohmann::json manifest(const Planned& entry) const;

    // One Job's payload, when the submission has payloads.
    Payload payload(const Planned& entry) const;
};

// Plans a submission of `job` in a namespace, rendering every Job before any is created; a usage Error
// names the params line (or "Job N of M") whose manifest can't be rendered.
Submission plan(const project::JobDef& job, const std::string& namespace_name, const PlanOptions& options);

// How the Jobs of a submission are created.
struct CreateOptions {
    std::string dry_run_query; // "All" for a server-side dry run, else empty
    bool keep_objects = false; // keep what waiting needs of each created Job, else only its name
};

// What a fan-out (a submission of several Jobs) tells as the server answers; any of them may be null.
struct CreateHandlers {
    // Each Job the server created (`object` as it answered), in the order of the answers, then each with
    // a fixed name that was found already there (`unchanged`).
    std::function<void(const nlohmann::json& object, bool unchanged)> created;
    // After each answer: how many of the Jobs were answered.
    std::function<void(size_t answered, size_t total)> progress;
    // Once all were answered (or an interrupt stopped the fan-out), before the Jobs found already there.
    std::function<void()> progress_end;
};

// What became of a submission's creates.
struct CreateReport {
    size_t total = 0;                  // the Jobs of the submission
    size_t created = 0;                // those created or found already there
    double seconds = 0;                // the fan-out's time
    size_t throttled = 0;              // 429s the client waited out, each retried
    std::vector<std::string> failures; // "Job N: ERROR", in the submission's order
    bool interrupted = false;          // SIGINT or SIGTERM stopped the creates
    size_t in_flight = 0;              // after an interrupt: creates sent whose answer never came
    size_t sent = 0;                   // how many of the Jobs asked for were sent (the first ones)
    size_t discarded = 0;              // after an interrupt: Jobs deleted before their payload was stored
};

// Creates the planned Jobs, filling in each entry's `created`, `unchanged` and `error`. One Job is
// created alone and its error thrown (a fixed name found with the same spec is adopted); several are
// created at most 64 at once over the client's connection, their errors kept in the report. A create
// whose answer was lost is sent again only for a fixed name, where a repeat meets 409; otherwise it is
// an error saying the Job may have been created. Throws an interrupted Error on SIGINT/SIGTERM,
// counting what was created.
CreateReport create_all(kube::Client& client, const std::string& namespace_name, Submission& submission,
                        const CreateOptions& options, const CreateHandlers& handlers = {});

// Creates the planned Jobs at `indices` (into submission.entries) as create_all creates a fan-out, but
// returns on SIGINT/SIGTERM instead of throwing: the report says so, what was on the wire is dropped
// (it may exist), and the Jobs still waiting for their payload are deleted (their `created` reset).
CreateReport create_entries(kube::Client& client, const std::string& namespace_name, Submission& submission,
                            const std::vector<size_t>& indices, const CreateOptions& options,
                            const CreateHandlers& handlers = {});

// Takes a Job found under an entry's fixed name as the entry's own (`unchanged`), as a 409 on its
// create does: a usage Error when the Job has another spec or payload (the key was used for another
// submission).
void adopt_as_is(const Submission& submission, Planned& entry, nlohmann::json existing);

// Stores the payload of an entry's Job still waiting for it and resumes the Job as the submission asks
// (jobs/payload.hpp, deliver_payload); nothing when it waits for none.
void finish_payload(kube::Client& client, const std::string& namespace_name, const Submission& submission,
                    Planned& entry);

// Throws the cluster Error of a fan-out some of whose Jobs were not created, quoting the first ten.
void throw_if_not_created(const CreateReport& report);

// What a fan-out keeps of each Job the server created: what waiting on it needs (all of it but
// managedFields and the pod template, which nothing here reads), or without `waiting` only its name,
// so that thousands of Jobs cost little memory.
nlohmann::json kept_of_created(nlohmann::json object, bool waiting);

} // namespace kq::jobs
