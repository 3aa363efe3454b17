#pragma once

#include "kube/client.hpp"
#include "kube/job_status.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kq::jobs {

// `kq submit --unique` without a race: the Job is created suspended and marked as a claim
// (k_annotation_unique_claim), then the definition's Jobs are listed (a quorum read, so each list sees
// every claim created before it). A claim that finds itself alone is resumed: it won. One that finds an
// unfinished Job that is not a claim is deleted, and kq exits 122. One that finds only other claims is
// deleted and tried again after a random pause. No two claims can both find themselves alone (the later
// one's list sees the earlier), so at most one Job of the definition ever runs, and no pod is made for a
// claim until it is resumed; the random pauses make one of the contenders soon find itself alone.

// The annotation that marks a suspended Job as a --unique claim not yet settled; removed on resume.
inline constexpr std::string_view k_annotation_unique_claim = "kq.dev/unique-claim";
// A claim for a Job in a Kueue queue holds its queue label (jobs/queue.hpp hold_queue), so that Kueue
// does not admit (unsuspend) it before it is settled; the winner gets the label back and stays
// suspended, for Kueue to admit.

// A claim older than this (by the API server's creation times) belongs to a kq that died before settling
// it; it no longer competes and is deleted by the next claim.
inline constexpr std::chrono::seconds k_stale_claim_after{60};

// A Job of the definition as the --unique decision sees it.
struct UniqueRival {
    kube::JobSummary job;
    bool claim = false; // suspended and carrying k_annotation_unique_claim
};

// Reads a Job object into what the decision needs.
UniqueRival unique_rival(const nlohmann::json& job);

// What a claim does after looking at its rivals.
struct UniqueDecision {
    enum class Verdict {
        win,         // resume the claim
        lose_active, // an unfinished Job of the definition that is not a pending claim exists
        contend,     // other pending claims exist: stand back and try again
    };
    Verdict verdict = Verdict::win;
    kube::JobSummary rival;         // the Job it lost to, or the oldest contender
    std::vector<std::string> stale; // claims to delete: left behind by a kq that died
};

// Decides a claim's fate from the definition's Jobs (which may include the claim itself).
UniqueDecision decide_unique(const kube::JobSummary& claim, const std::vector<UniqueRival>& jobs);

// Sets up a rendered manifest as a claim: suspended, with the claim annotation.
void make_claim(nlohmann::json& manifest);

// True when a Job object is a claim not settled yet.
bool is_pending_claim(const nlohmann::json& job);

// How long and how often a contended claim tries again.
struct UniqueRetry {
    std::chrono::milliseconds pause{200};      // the pause after the first contended try, grown per try
    std::chrono::milliseconds max_pause{1000}; // the longest pause
    std::chrono::milliseconds patience{30000}; // then kq gives up with exit 122
};

// Submits one Job under --unique: `create_claim` creates the claim (a manifest made with make_claim) and
// returns the object the server holds; this settles it as above and returns the resumed Job, or throws
// the --unique Error (exit 122) naming the active Job. Any other failure, and an interrupt, deletes the
// claim (best effort) before the Error goes on, so no claim is left behind.
nlohmann::json submit_unique(kube::Client& client, const std::string& namespace_name,
                             const std::string& definition,
                             const std::function<nlohmann::json()>& create_claim,
                             const UniqueRetry& retry = {});

// For a server-side dry run, which creates no claim: throws the --unique Error when an unfinished Job
// of the definition other than `ours` (and other than pending claims) exists.
void check_unique(kube::Client& client, const std::string& namespace_name, const std::string& definition,
                  const std::string& ours);

} // namespace kq::jobs
