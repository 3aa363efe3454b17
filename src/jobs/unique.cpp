#include "jobs/unique.hpp"

#include "jobs/queue.hpp"

#include "jobs/await.hpp"
#include "jobs/paths.hpp"
#include "kube/api_error.hpp"
#include "kube/json_fields.hpp"
#include "project/labels.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"
#include "util/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <thread>

namespace kq::jobs {
namespace {

// Creation time, then name: the order in which claims are served. Every claim sees the same order, as
// both come from the API server.
bool earlier(const kube::JobSummary& a, const kube::JobSummary& b) {
    if (a.created != b.created) {
        if (!a.created) return false; // an unknown time sorts last
        if (!b.created) return true;
        return *a.created < *b.created;
    }
    return a.name < b.name;
}

bool suspended(const nlohmann::json& job) {
    const auto spec = job.find("spec");
    if (spec == job.end() || !spec->is_object()) return false;
    const auto suspend = spec->find("suspend");
    return suspend != spec->end() && suspend->is_boolean() && suspend->get<bool>();
}

std::string age_text(const kube::JobSummary& job) {
    return job.created ? fmt::format(", created {} ago", human_duration(now_seconds() - *job.created)) : "";
}

[[noreturn]] void refuse_active(const std::string& namespace_name, const std::string& definition,
                                const kube::JobSummary& rival) {
    fail(ErrorKind::unique,
         "--unique: definition \"{}\" already has an active Job in namespace \"{}\": job.batch/{} ({}{}); "
         "wait for it ('kq wait {}') or delete it ('kq delete {}')",
         definition, namespace_name, rival.name, rival.status, age_text(rival), rival.name, rival.name);
}

std::vector<UniqueRival> list_rivals(kube::Client& client, const std::string& namespace_name,
                                     const std::string& definition) {
    std::vector<UniqueRival> jobs;
    kube::ListOptions list;
    list.label_selector = managed_selector(definition);
    client.list(jobs_path(namespace_name), list, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (const nlohmann::json& item : page["items"])
            jobs.push_back(unique_rival(item));
    });
    return jobs;
}

} // namespace

bool is_pending_claim(const nlohmann::json& job) {
    if (!suspended(job)) return false;
    const auto annotations = job.find("metadata");
    if (annotations == job.end() || !annotations->is_object()) return false;
    const auto found = annotations->find("annotations");
    return found != annotations->end() && found->is_object() &&
           found->contains(std::string(k_annotation_unique_claim));
}

void check_unique(kube::Client& client, const std::string& namespace_name, const std::string& definition,
                  const std::string& ours) {
    for (const UniqueRival& rival : list_rivals(client, namespace_name, definition)) {
        if (rival.job.name == ours || rival.job.finished || rival.claim) continue;
        refuse_active(namespace_name, definition, rival.job);
    }
}

UniqueRival unique_rival(const nlohmann::json& job) {
    return {kube::summarize_job(job), is_pending_claim(job)};
}

UniqueDecision decide_unique(const kube::JobSummary& claim, const std::vector<UniqueRival>& jobs) {
    UniqueDecision decision;
    std::optional<kube::JobSummary> active;
    std::optional<kube::JobSummary> contender;
    for (const UniqueRival& rival : jobs) {
        if (rival.job.name == claim.name || rival.job.finished) continue;
        if (!rival.claim) {
            if (!active || earlier(rival.job, *active)) active = rival.job;
            continue;
        }
        // A claim much older than ours was left by a kq that died between creating and settling it.
        if (rival.job.created && claim.created && *claim.created - *rival.job.created > k_stale_claim_after) {
            decision.stale.push_back(rival.job.name);
            continue;
        }
        if (!contender || earlier(rival.job, *contender)) contender = rival.job;
    }
    if (active) {
        decision.verdict = UniqueDecision::Verdict::lose_active;
        decision.rival = *active;
    } else if (contender) {
        decision.verdict = UniqueDecision::Verdict::contend;
        decision.rival = *contender;
    }
    return decision;
}

void make_claim(nlohmann::json& manifest) {
    manifest["spec"]["suspend"] = true;
    manifest["metadata"]["annotations"][std::string(k_annotation_unique_claim)] = "pending";
    hold_queue(manifest);
}

namespace {

// The patch that settles a winning claim: it runs at once, or, in a Kueue queue, goes to the queue.
nlohmann::json settle_patch(const nlohmann::json& claim) {
    nlohmann::json patch = {
        {"metadata", {{"annotations", {{std::string(k_annotation_unique_claim), nullptr}}}}}};
    add_release(claim, patch);
    return patch;
}

} // namespace

nlohmann::json submit_unique(kube::Client& client, const std::string& namespace_name,
                             const std::string& definition,
                             const std::function<nlohmann::json()>& create_claim, const UniqueRetry& retry) {
    std::mt19937 random{std::random_device{}()};
    const auto give_up = std::chrono::steady_clock::now() + retry.patience;
    for (int attempt = 1;; ++attempt) {
        const nlohmann::json claim = create_claim();
        // An idempotency key can find its Job already settled and running: that Job is this submission's.
        if (!is_pending_claim(claim)) return claim;
        const kube::JobSummary ours = kube::summarize_job(claim);
        UniqueDecision decision;
        try {
            const std::vector<UniqueRival> jobs = list_rivals(client, namespace_name, definition);
            // A Ctrl-C or SIGTERM (the caller catches them) ends the claim here rather than leave it behind.
            if (interrupted()) fail(ErrorKind::interrupted, "interrupted; the --unique claim was deleted");
            decision = decide_unique(ours, jobs);
            for (const std::string& name : decision.stale)
                delete_job(client, namespace_name, name);
            if (decision.verdict == UniqueDecision::Verdict::win)
                return client.patch(job_path(namespace_name, ours.name), settle_patch(claim));
            // Lost, or contended: the claim goes before anything else, so that other claims stop seeing it.
            delete_job(client, namespace_name, ours.name);
        } catch (...) {
            // Interrupted, or the server failed us: the claim must not stay behind, suspended for ever.
            try {
                delete_job(client, namespace_name, ours.name);
            } catch (const Error&) { // the first error is the one to report
            }
            throw;
        }
        const kube::JobSummary& rival = decision.rival;
        if (decision.verdict == UniqueDecision::Verdict::lose_active)
            refuse_active(namespace_name, definition, rival);
        if (std::chrono::steady_clock::now() >= give_up) {
            fail(ErrorKind::unique,
                 "--unique: other 'kq submit --unique' of definition \"{}\" in namespace \"{}\" kept "
                 "competing for {} ({} tries; the last seen: job.batch/{}); this one started nothing",
                 definition, namespace_name,
                 human_duration(std::chrono::duration_cast<std::chrono::seconds>(retry.patience)), attempt,
                 rival.name);
        }
        // Contended: every claim that saw another stood back; each tries again after its own random
        // pause, so that one of them soon finds itself alone, wins, and the rest then see its Job.
        const auto cap = std::min(retry.pause * attempt, retry.max_pause);
        auto pause = std::chrono::milliseconds(
            std::uniform_int_distribution<std::int64_t>(cap.count() / 4, cap.count())(random));
        const auto until = std::chrono::steady_clock::now() + pause;
        while (std::chrono::steady_clock::now() < until) {
            if (interrupted()) fail(ErrorKind::interrupted, "interrupted; the --unique claim was deleted");
            std::this_thread::sleep_for(std::min(std::chrono::milliseconds(20), pause));
        }
    }
}

} // namespace kq::jobs
