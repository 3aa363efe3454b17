#include "jobs/submit.hpp"

#include "jobs/await.hpp"
#include "jobs/paths.hpp"
#include "jobs/submission.hpp"
#include "jobs/unique.hpp"
#include "kube/api_error.hpp"
#include "project/labels.hpp"
#include "util/error.hpp"
#include "util/sha256.hpp"
#include "util/signals.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

namespace kq::jobs {
namespace {

using Clock = std::chrono::steady_clock;

// How many creates may be on the wire at once in a fan-out: enough to fill an HTTP/2 connection,
// few enough not to trip the API server's max-mutating-requests-inflight (200 by default).
constexpr size_t k_create_concurrency = 64;

// How many failures the error of a fan-out quotes.
constexpr size_t k_failures_shown = 10;

// What to do about a create whose answer never came, when a retry could have made a second Job.
constexpr const char* k_maybe_created_hint =
    "the Job may have been created: look with 'kq list' before submitting again (with --idempotency-key "
    "a repeated submission finds its Job instead of making another)";

std::string label_of(const nlohmann::json& object, std::string_view label) {
    if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return {};
    const nlohmann::json& metadata = object["metadata"];
    if (!metadata.contains("labels") || !metadata["labels"].is_object()) return {};
    const auto found = metadata["labels"].find(std::string(label));
    return found != metadata["labels"].end() && found->is_string() ? found->get<std::string>()
                                                                   : std::string();
}

// Puts the submission's label on a Job and its pod template; after rendering, so the spec hash that a
// retried idempotent submission compares does not include it.
void label_submission(nlohmann::json& manifest, const std::string& id) {
    if (id.empty() || !manifest.is_object()) return;
    const std::string label(project::k_label_submission);
    manifest["metadata"]["labels"][label] = id;
    if (manifest.contains("spec") && manifest["spec"].is_object() && manifest["spec"].contains("template"))
        manifest["spec"]["template"]["metadata"]["labels"][label] = id;
}

// Handles 409 AlreadyExists for a fixed name: the same rendered spec is this submission's own earlier
// Job (a retried CI step), anything else is a conflict.
void adopt_existing(kube::Client& client, const std::string& namespace_name, const Submission& submission,
                    Planned& entry) {
    adopt_as_is(submission, entry, client.get(job_path(namespace_name, entry.fixed_name)));
}

} // namespace

void adopt_as_is(const Submission& submission, Planned& entry, nlohmann::json existing) {
    const std::string& ours = entry.spec_hash;
    const std::string theirs = label_of(existing, project::k_label_spec_hash);
    if (submission.idempotency_key.empty()) {
        fail(ErrorKind::cluster, "jobs.batch \"{}\" already exists", entry.fixed_name);
    }
    if (ours != theirs) {
        fail(ErrorKind::usage,
             "--idempotency-key: {} already exists with a different spec (spec-hash {} here, {} there): the "
             "key \"{}\" was used with other params or another version of definition \"{}\"; use a new key",
             job_ref(entry.fixed_name), ours, theirs.empty() ? "none" : theirs, submission.idempotency_key,
             submission.job->name);
    }
    if (!submission.payloads.empty()) {
        const std::string our_payload = sha256_hex(submission.payloads[entry.payload]);
        const std::optional<PayloadRef> their_payload = payload_ref(existing);
        if (!their_payload || their_payload->sha256 != our_payload) {
            fail(ErrorKind::usage,
                 "--idempotency-key: {} already exists with {} (payload SHA-256 {} here); the key \"{}\" was "
                 "used with another payload; use a new key",
                 job_ref(entry.fixed_name),
                 their_payload ? fmt::format("another payload ({} there)", their_payload->sha256)
                               : "no payload",
                 our_payload.substr(0, 16), submission.idempotency_key);
        }
    }
    entry.created = std::move(existing);
    entry.unchanged = true;
}

void finish_payload(kube::Client& client, const std::string& namespace_name, const Submission& submission,
                    Planned& entry) {
    if (submission.payloads.empty() || !payload_pending(entry.created)) return;
    entry.created = deliver_payload(client, namespace_name, entry.created, submission.payload(entry),
                                    submission.suspend || submission.claim);
}

namespace {

// After an interrupt: deletes the Jobs of a fan-out still waiting for their payload, so that none is
// left half made; returns how many.
size_t discard_pending(kube::Client& client, const std::string& namespace_name,
                       std::vector<Planned>& planned) {
    size_t discarded = 0;
    for (Planned& entry : planned) {
        if (entry.created.is_null() || !payload_pending(entry.created)) continue;
        try {
            delete_job(client, namespace_name, entry.created["metadata"]["name"].get<std::string>());
            ++discarded;
        } catch (const Error&) { // best effort: the interrupt is what to report
        }
        entry.created = nullptr;
    }
    return discarded;
}

// True when a create without a fixed name reached the server but its answer was lost: the server may
// have made the Job, and kq did not try again, as a second create would make a second Job.
bool lost_create(const kube::ApiError& error, const Planned& entry) {
    return entry.fixed_name.empty() && error.unreachable() && error.request_sent();
}

// The create of one planned Job. A fixed name makes a repeat harmless (a second create meets 409 and is
// recognised), so only then may a create whose answer was lost be sent again.
kube::ApiRequest create_request(const std::string& path, const Submission& submission, const Planned& entry,
                                const std::string& dry_run_query) {
    kube::ApiRequest request;
    request.method = "POST";
    request.path = path;
    request.body = submission.manifest(entry);
    if (!dry_run_query.empty()) request.query.emplace_back("dryRun", dry_run_query);
    request.retry_unsafe = !entry.fixed_name.empty();
    return request;
}

// Creates a submission's one Job; its error is the command's.
void create_one(kube::Client& client, const std::string& namespace_name, Submission& submission,
                const CreateOptions& options) {
    Planned& entry = submission.entries.front();
    try {
        entry.created =
            client.call(create_request(jobs_path(namespace_name), submission, entry, options.dry_run_query));
    } catch (const kube::ApiError& error) {
        if (lost_create(error, entry)) {
            throw Error(ErrorKind::cluster, fmt::format("{}; {}", error.what(), k_maybe_created_hint));
        }
        if (!error.already_exists() || entry.fixed_name.empty()) throw;
        adopt_existing(client, namespace_name, submission, entry);
    }
    if (options.dry_run_query.empty()) finish_payload(client, namespace_name, submission, entry);
}

// Reads and checks the submission's payloads before anything is created: --payload for every Job, or
// --payload-file with one per Job (as many as the params file's lines, or the Jobs' count without one).
void plan_payloads(const project::JobDef& job, const PlanOptions& options, Submission& submission,
                   size_t& total) {
    submission.payload_secret = options.payload_secret || (job.payload && job.payload->secret);
    if (options.payload) {
        check_payload(*options.payload, job, options.payload_source);
        submission.payloads.push_back(*options.payload);
    } else if (options.payload_text) {
        const std::string file = options.payload_file == "-" ? "<stdin>" : options.payload_file;
        std::vector<PayloadLine> lines = parse_payload_lines(*options.payload_text, file);
        if (options.params_text && lines.size() != total) {
            const std::string params_file = options.params_file == "-" ? "<stdin>" : options.params_file;
            if (lines.size() > total) {
                fail(ErrorKind::usage,
                     "{}:{}: payload {} has no line of --params-file {}, which has {}; give one "
                     "payload per params line",
                     file, lines[total].line, total + 1, params_file, total);
            }
            fail(ErrorKind::usage,
                 "{}: {} payloads for the {} lines of --params-file {}; give one payload per "
                 "params line",
                 file, lines.size(), total, params_file);
        }
        if (!options.params_text) {
            total = lines.size();
            submission.params.assign(total, submission.params.front());
        }
        for (PayloadLine& line : lines) {
            check_payload(line.bytes, job, fmt::format("{}:{}", file, line.line));
            submission.payloads.push_back(std::move(line.bytes));
        }
    } else if (job.payload && job.payload->required) {
        fail(ErrorKind::usage,
             "job \"{}\" requires a payload (payload.required in {}); give --payload FILE or --payload-file "
             "FILE",
             job.name, job.location.file);
    }
}

} // namespace

nlohmann::json Submission::manifest(const Planned& entry) const {
    if (!shared.is_null()) return shared; // labelled when planned
    project::RenderRequest request = base;
    request.params = params[entry.params];
    if (!entry.fixed_name.empty()) request.name = entry.fixed_name;
    nlohmann::json rendered = project::render_job(*job, request);
    if (claim) make_claim(rendered);
    if (suspend) rendered["spec"]["suspend"] = true;
    label_submission(rendered, id);
    record_origin(rendered, params[entry.params], base.extra_args, entry.key);
    if (!payloads.empty()) {
        if (entry.fixed_name.empty()) {
            rendered["metadata"].erase("generateName");
            rendered["metadata"]["name"] = generated_job_name(job->name + "-");
        }
        attach_payload(rendered, payload(entry));
    }
    return rendered;
}

Payload Submission::payload(const Planned& entry) const {
    Payload result;
    result.bytes = payloads.at(entry.payload);
    result.secret = payload_secret;
    if (job->payload) result.env = job->payload->env;
    return result;
}

Submission plan(const project::JobDef& job, const std::string& namespace_name, const PlanOptions& options) {
    std::vector<project::ParamValues> lines;
    if (options.params_text) {
        lines = parse_params_lines(*options.params_text,
                                   options.params_file == "-" ? "<stdin>" : options.params_file);
    }
    Submission submission;
    submission.job = &job;
    submission.idempotency_key = options.idempotency_key;
    submission.suspend = options.suspend;
    submission.id = submission_id(namespace_name, job.name, options.idempotency_key);
    submission.base.extra_args = options.extra_args;
    if (options.namespace_known) submission.base.namespace_override = namespace_name;
    submission.base.env = options.env;
    submission.base.queue = options.queue;
    submission.base.priority = options.priority;
    // --count repeats one set of params; a params file has one per line.
    submission.params = submission_params(options.params, lines, lines.empty() ? 1 : options.count);
    size_t total = lines.empty() ? static_cast<size_t>(options.count) : submission.params.size();
    plan_payloads(job, options, submission, total);
    std::vector<Planned>& planned = submission.entries;
    planned.reserve(total);
    const bool alike = lines.empty() && options.idempotency_key.empty() && options.name.empty() &&
                       submission.payloads.empty();
    for (size_t index = 0; index < total; ++index) {
        Planned entry;
        entry.params = lines.empty() ? 0 : index;
        entry.payload = submission.payloads.size() > 1 ? index : 0;
        if (!options.idempotency_key.empty()) {
            const std::string key =
                total == 1 ? options.idempotency_key : fmt::format("{}/{}", options.idempotency_key, index);
            entry.fixed_name = idempotent_job_name(namespace_name, job.name, key);
            entry.key = key;
        } else if (!options.name.empty()) {
            entry.fixed_name = options.name;
        }
        if (alike && index > 0) { // the same manifest as the first
            entry.spec_hash = planned.front().spec_hash;
            planned.push_back(std::move(entry));
            continue;
        }
        try {
            nlohmann::json manifest = submission.manifest(entry);
            entry.spec_hash = label_of(manifest, project::k_label_spec_hash);
            if (alike && total > 1) submission.shared = std::move(manifest);
        } catch (const Error& error) {
            if (total == 1) throw;
            const std::string where = lines.empty() ? fmt::format("Job {} of {}", index + 1, total)
                                                    : fmt::format("{}:{}", options.params_file, index + 1);
            throw Error(error.kind(), fmt::format("{}: {}", where, error.what()));
        }
        planned.push_back(std::move(entry));
    }
    return submission;
}

nlohmann::json kept_of_created(nlohmann::json object, bool waiting) {
    if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return object;
    if (!waiting) {
        nlohmann::json name_only;
        name_only["metadata"]["name"] = std::move(object["metadata"]["name"]);
        // A Job waiting for its payload needs its uid (the payload's owner) and its annotations.
        if (payload_pending(object)) {
            name_only["metadata"]["uid"] = std::move(object["metadata"]["uid"]);
            name_only["metadata"]["annotations"] = std::move(object["metadata"]["annotations"]);
            if (object["metadata"].contains("labels"))
                name_only["metadata"]["labels"] = std::move(object["metadata"]["labels"]);
        }
        return name_only;
    }
    object["metadata"].erase("managedFields");
    // Waiting reads the Job's metadata, its selector, counts and status, never its pod template, which
    // is most of its size: thousands of followed Jobs then cost a few KiB each.
    if (object.contains("spec") && object["spec"].is_object()) object["spec"].erase("template");
    return object;
}

namespace {

// Stores the payloads of a fan-out's created Jobs and releases the Jobs, with at most
// k_create_concurrency requests in flight: each payload object's create, then its Job's patch. A Job that
// meets a payload object already there (an earlier try's) takes deliver_payload's careful path
// afterwards; one whose payload can't be stored is deleted. An interrupt stops it between answers, and
// leaves the Jobs still pending to discard_pending.
void deliver_all(kube::Client& client, const std::string& namespace_name, Submission& submission,
                 const std::vector<size_t>& indices, const CreateOptions& options) {
    std::vector<Planned>& planned = submission.entries;
    const bool keep_suspended = submission.suspend || submission.claim;
    std::vector<size_t> pending;
    for (size_t index : indices) {
        const Planned& entry = planned[index];
        if (!entry.created.is_null() && !entry.error && payload_pending(entry.created))
            pending.push_back(index);
    }
    std::vector<size_t> found;                                 // a payload object was there already
    std::vector<std::pair<size_t, kube::ApiError>> not_stored; // their Jobs are deleted below
    size_t next = 0;
    size_t finished = 0;
    std::map<size_t, kube::CallId> in_flight;
    std::function<void()> start_more;
    auto send = [&](size_t index, kube::ApiRequest request, std::function<void(kube::ApiResult &&)> done) {
        in_flight[index] = kube::CallId{};
        const kube::CallId call = client.start(std::move(request), std::move(done));
        // (unless it was answered at once)
        if (const auto sent = in_flight.find(index); sent != in_flight.end()) sent->second = call;
    };
    auto released = [&](size_t index, kube::ApiResult&& result) {
        in_flight.erase(index);
        ++finished;
        Planned& entry = planned[index];
        if (result.ok()) {
            entry.created = kept_of_created(std::move(result.object), options.keep_objects);
        } else {
            entry.error = result.error->what();
            entry.created = nullptr;
        }
        start_more();
    };
    auto stored = [&](size_t index, kube::ApiResult&& result) {
        in_flight.erase(index);
        if (result.ok()) {
            send(index, payload_release_request(namespace_name, planned[index].created, keep_suspended),
                 [&released, index](kube::ApiResult&& answer) { released(index, std::move(answer)); });
            return;
        }
        ++finished;
        if (result.error->already_exists())
            found.push_back(index);
        else
            not_stored.emplace_back(index, std::move(*result.error));
        start_more();
    };
    start_more = [&] {
        while (in_flight.size() < k_create_concurrency && next < pending.size()) {
            const size_t index = pending[next++];
            send(index,
                 payload_store_request(namespace_name, planned[index].created,
                                       submission.payload(planned[index])),
                 [&stored, index](kube::ApiResult&& result) { stored(index, std::move(result)); });
        }
    };
    start_more();
    client.run([&] { return interrupted() || finished == pending.size(); });
    for (const auto& [index, call] : in_flight)
        client.cancel(call);
    if (interrupted()) return;
    for (auto& [index, error] : not_stored) {
        Planned& entry = planned[index];
        entry.error =
            payload_not_stored(client, namespace_name, entry.created["metadata"]["name"], error).what();
        entry.created = nullptr;
    }
    for (size_t index : found) {
        Planned& entry = planned[index];
        if (interrupted()) break;
        try {
            finish_payload(client, namespace_name, submission, entry);
            entry.created = kept_of_created(std::move(entry.created), options.keep_objects);
        } catch (const Error& error) {
            if (error.kind() == ErrorKind::interrupted) break; // that Job was deleted
            entry.error = error.what();
            entry.created = nullptr;
        }
    }
}

} // namespace

CreateReport create_entries(kube::Client& client, const std::string& namespace_name, Submission& submission,
                            const std::vector<size_t>& indices, const CreateOptions& options,
                            const CreateHandlers& handlers) {
    std::vector<Planned>& planned = submission.entries;
    CreateReport report;
    report.total = indices.size();
    // Keep a bounded number of creates in flight over the one connection. Ctrl-C stops it between
    // answers, so that the caller can say what was created.
    catch_interrupts();
    const std::string path = jobs_path(namespace_name);
    const auto started = Clock::now();
    size_t next = 0;
    size_t finished = 0;
    std::map<size_t, kube::CallId> in_flight;
    std::vector<size_t> conflicts;
    std::function<void()> start_more = [&] {
        while (in_flight.size() < k_create_concurrency && next < indices.size()) {
            const size_t index = indices[next++];
            auto done = [&, index](kube::ApiResult&& result) {
                in_flight.erase(index);
                ++finished;
                Planned& entry = planned[index];
                if (result.ok()) {
                    if (handlers.created) handlers.created(result.object, false);
                    entry.created = kept_of_created(std::move(result.object), options.keep_objects);
                } else if (result.error->already_exists() && !entry.fixed_name.empty()) {
                    conflicts.push_back(index);
                } else if (lost_create(*result.error, entry)) {
                    entry.error = fmt::format("{} (it may have been created)", result.error->what());
                } else {
                    entry.error = result.error->what();
                }
                report.throttled += static_cast<size_t>(result.throttled);
                if (handlers.progress) handlers.progress(finished, indices.size());
                start_more();
            };
            in_flight[index] = kube::CallId{};
            const kube::CallId call =
                client.start(create_request(path, submission, planned[index], options.dry_run_query), done);
            // (unless it was answered at once)
            if (const auto sent = in_flight.find(index); sent != in_flight.end()) sent->second = call;
        }
    };
    start_more();
    client.run([&] { return interrupted() || (finished == indices.size()); });
    // Creates still on the wire after an interrupt are dropped: their answers would find nothing here.
    for (const auto& [index, call] : in_flight)
        client.cancel(call);
    report.in_flight = in_flight.size();
    report.sent = next;
    if (handlers.progress_end) handlers.progress_end();
    for (size_t index : conflicts) {
        try {
            adopt_existing(client, namespace_name, submission, planned[index]);
            if (handlers.created) handlers.created(planned[index].created, true);
        } catch (const Error& error) {
            planned[index].error = error.what();
        }
    }
    if (!submission.payloads.empty() && options.dry_run_query.empty())
        deliver_all(client, namespace_name, submission, indices, options);
    if (interrupted()) {
        report.discarded = submission.payloads.empty() ? 0 : discard_pending(client, namespace_name, planned);
        report.interrupted = true;
    }
    report.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    for (size_t index : indices) {
        if (planned[index].error)
            report.failures.push_back(fmt::format("Job {}: {}", index + 1, *planned[index].error));
        else if (!planned[index].created.is_null())
            ++report.created;
    }
    return report;
}

CreateReport create_all(kube::Client& client, const std::string& namespace_name, Submission& submission,
                        const CreateOptions& options, const CreateHandlers& handlers) {
    std::vector<Planned>& planned = submission.entries;
    // A payload's Job waits, suspended, for its payload object: an interrupt must not leave it so.
    if (!submission.payloads.empty()) catch_interrupts();
    if (planned.size() == 1) {
        create_one(client, namespace_name, submission, options);
        CreateReport report;
        report.total = 1;
        report.created = 1;
        return report;
    }
    std::vector<size_t> indices(planned.size());
    for (size_t index = 0; index < indices.size(); ++index)
        indices[index] = index;
    CreateReport report = create_entries(client, namespace_name, submission, indices, options, handlers);
    if (report.interrupted) {
        const auto made = std::count_if(planned.begin(), planned.end(),
                                        [](const Planned& entry) { return !entry.created.is_null(); });
        throw Error(
            ErrorKind::interrupted,
            fmt::format(
                "interrupted after creating {} of {} Jobs{}{}", made, planned.size(),
                report.in_flight == 0
                    ? ""
                    : fmt::format(" ({} more were being created and may exist)", report.in_flight),
                report.discarded == 0
                    ? ""
                    : fmt::format("; {} whose payload was not stored yet were deleted", report.discarded)));
    }
    return report;
}

void throw_if_not_created(const CreateReport& report) {
    const std::vector<std::string>& failures = report.failures;
    if (failures.empty()) return;
    const size_t shown = std::min(failures.size(), k_failures_shown);
    std::vector<std::string> head(failures.begin(), failures.begin() + static_cast<std::ptrdiff_t>(shown));
    fail(ErrorKind::cluster, "{} of {} Jobs were not created: {}{}", failures.size(), report.total,
         fmt::join(head, "; "),
         failures.size() > shown ? fmt::format("; and {} more", failures.size() - shown) : "");
}

} // namespace kq::jobs
