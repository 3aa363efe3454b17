#pragma once

#include "jobs/await.hpp"
#include "jobs/submit.hpp"
#include "kube/client.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace kq::jobs {

// Which Jobs of a fan-out to create next under `kq submit --max-active K`: at most K of them unfinished
// at once, a create on the wire counting as unfinished, in the submission's order. Plain bookkeeping:
// the caller tells it what became of each Job.
class ActiveCap {
public:
    // A fan-out of `total` Jobs, at most `limit` (at least 1) unfinished at once.
    ActiveCap(size_t total, size_t limit);

    // How many creates may start now: the room under the limit, at most the Jobs still to create.
    size_t room() const;

    // Takes up to `count` of the Jobs still to create, in order, as being created; returns their indices.
    std::vector<size_t> take(size_t count);

    // A Job found already there (a re-run with the same --idempotency-key): never created again, and
    // counted against the limit until it finishes.
    void found(size_t index, const std::string& name, bool finished);

    // A create was answered with the Job (created, or found under its fixed name).
    void created(size_t index, const std::string& name, bool finished);

    // A create failed: the Job does not exist, and takes no room.
    void failed(size_t index);

    // A create whose answer never came (an interrupt dropped it): the Job may exist.
    void unknown(size_t index);

    // A Job taken but never sent (an interrupt came first): untaken again, as never created.
    void give_back(size_t index);

    // A Job finished; unknown names and Jobs already finished are ignored.
    void finished(const std::string& name);

    // The Jobs known unfinished, creates on the wire included.
    size_t active() const { return m_creating + m_unfinished; }

    // The Jobs never taken to be created (nor found).
    size_t untaken() const { return m_untaken; }

    // The Jobs of the fan-out.
    size_t total() const { return m_states.size(); }

    // True when every Job has been taken and no create is on the wire.
    bool done() const { return m_untaken == 0 && m_creating == 0; }

private:
    enum class State { untaken, creating, unfinished, finished, failed, unknown };

    void leave(State state);
    void settle(size_t index, const std::string& name, bool finished);

    std::vector<State> m_states;
    std::map<std::string, size_t> m_index; // by Job name
    size_t m_limit;
    size_t m_next = 0; // the first index that may still be untaken
    size_t m_untaken = 0;
    size_t m_creating = 0;
    size_t m_unfinished = 0;
};

// The Jobs of a planned fan-out made under --max-active, as a wait's JobSource (jobs/await.hpp): the
// first call lists the Jobs a re-run with the same --idempotency-key finds already there (one request)
// and adopts them; each call creates as many as the room under the limit allows (create_entries), with
// the creates' handlers. Its own interrupt message says how many Jobs were never created.
class CappedSubmission : public JobSource {
public:
    CappedSubmission(kube::Client& client, std::string namespace_name, Submission& submission, size_t limit,
                     CreateHandlers handlers);

    std::string selector() const override;
    std::vector<nlohmann::json> more() override;
    void changed(const kube::JobSummary& job) override;
    bool ready() const override { return m_started && m_cap.room() > 0; }
    bool exhausted() const override { return m_started && m_cap.done(); }
    size_t left() const override { return m_cap.untaken(); }
    std::string interrupted_message() const override;

    // The Jobs it made or found, by name, in the order they came.
    const std::vector<std::string>& names() const { return m_names; }

    // What became of the creates: every create that failed ("Job N: ERROR"), and the total.
    CreateReport report() const;

private:
    std::vector<nlohmann::json> adopt_found();

    kube::Client& m_client;
    std::string m_namespace;
    Submission& m_submission;
    ActiveCap m_cap;
    CreateHandlers m_handlers;
    bool m_started = false;
    size_t m_in_flight = 0; // creates dropped by an interrupt, which may exist
    size_t m_discarded = 0; // Jobs deleted on an interrupt before their payload was stored
    size_t m_throttled = 0;
    std::vector<std::string> m_names;
};

} // namespace kq::jobs
