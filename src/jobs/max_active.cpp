#include "jobs/max_active.hpp"

#include "jobs/paths.hpp"
#include "kube/job_status.hpp"
#include "project/labels.hpp"
#include "util/error.hpp"
#include "util/signals.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kq::jobs {

ActiveCap::ActiveCap(size_t total, size_t limit)
    : m_states(total, State::untaken), m_limit(std::max<size_t>(limit, 1)), m_untaken(total) {}

size_t ActiveCap::room() const {
    const size_t busy = active();
    return busy >= m_limit ? 0 : std::min(m_limit - busy, m_untaken);
}

std::vector<size_t> ActiveCap::take(size_t count) {
    std::vector<size_t> taken;
    while (taken.size() < count && m_next < m_states.size()) {
        const size_t index = m_next++;
        if (m_states[index] != State::untaken) continue; // found already there, or given up
        m_states[index] = State::creating;
        --m_untaken;
        ++m_creating;
        taken.push_back(index);
    }
    return taken;
}

void ActiveCap::leave(State state) {
    switch (state) {
    case State::untaken: --m_untaken; break;
    case State::creating: --m_creating; break;
    case State::unfinished: --m_unfinished; break;
    case State::finished:
    case State::failed:
    case State::unknown: break;
    }
}

void ActiveCap::settle(size_t index, const std::string& name, bool finished) {
    if (index >= m_states.size()) return;
    leave(m_states[index]);
    m_index[name] = index;
    m_states[index] = finished ? State::finished : State::unfinished;
    if (!finished) ++m_unfinished;
}

void ActiveCap::found(size_t index, const std::string& name, bool finished) { settle(index, name, finished); }

void ActiveCap::created(size_t index, const std::string& name, bool finished) {
    settle(index, name, finished);
}

void ActiveCap::failed(size_t index) {
    if (index >= m_states.size()) return;
    leave(m_states[index]);
    m_states[index] = State::failed;
}

void ActiveCap::unknown(size_t index) {
    if (index >= m_states.size()) return;
    leave(m_states[index]);
    m_states[index] = State::unknown;
}

void ActiveCap::give_back(size_t index) {
    if (index >= m_states.size() || m_states[index] != State::creating) return;
    --m_creating;
    ++m_untaken;
    m_states[index] = State::untaken;
    m_next = std::min(m_next, index);
}

void ActiveCap::finished(const std::string& name) {
    const auto found = m_index.find(name);
    if (found == m_index.end() || m_states[found->second] != State::unfinished) return;
    m_states[found->second] = State::finished;
    --m_unfinished;
}

CappedSubmission::CappedSubmission(kube::Client& client, std::string namespace_name, Submission& submission,
                                   size_t limit, CreateHandlers handlers)
    : m_client(client), m_namespace(std::move(namespace_name)), m_submission(submission),
      m_cap(submission.entries.size(), limit), m_handlers(std::move(handlers)) {}

std::string CappedSubmission::selector() const {
    return fmt::format("{}={}", project::k_label_submission, m_submission.id);
}

std::vector<nlohmann::json> CappedSubmission::adopt_found() {
    // A re-run with the same key: its Jobs' names are known, and those already there count against the
    // limit from the start, wherever they are in the order.
    std::map<std::string, size_t> index_of;
    for (size_t index = 0; index < m_submission.entries.size(); ++index) {
        const std::string& name = m_submission.entries[index].fixed_name;
        if (!name.empty()) index_of[name] = index;
    }
    std::vector<nlohmann::json> existing;
    kube::ListOptions options;
    options.label_selector = selector();
    m_client.list(jobs_path(m_namespace), options, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (nlohmann::json& item : page["items"]) {
            if (index_of.count(item.value("/metadata/name"_json_pointer, std::string())) != 0)
                existing.push_back(std::move(item));
        }
    });
    std::vector<nlohmann::json> adopted;
    for (nlohmann::json& object : existing) {
        const std::string name = object["metadata"]["name"].get<std::string>();
        const size_t index = index_of.at(name);
        Planned& entry = m_submission.entries[index];
        try {
            adopt_as_is(m_submission, entry, std::move(object));
            finish_payload(m_client, m_namespace, m_submission, entry);
        } catch (const Error& error) {
            if (error.kind() == ErrorKind::interrupted) throw;
            entry.error = error.what();
            entry.created = nullptr;
            m_cap.failed(index);
            continue;
        }
        entry.created["metadata"].erase("managedFields");
        if (m_handlers.created) m_handlers.created(entry.created, true);
        m_cap.found(index, name, kube::summarize_job(entry.created).finished);
        m_names.push_back(name);
        adopted.push_back(std::move(entry.created));
        entry.created = {{"metadata", {{"name", name}}}};
    }
    return adopted;
}

std::vector<nlohmann::json> CappedSubmission::more() {
    std::vector<nlohmann::json> made;
    if (!m_started) {
        m_started = true;
        if (!m_submission.idempotency_key.empty()) made = adopt_found();
    }
    if (interrupted() || m_cap.room() == 0) return made;
    const std::vector<size_t> indices = m_cap.take(m_cap.room());
    CreateOptions options;
    options.keep_objects = true;
    const CreateReport report =
        create_entries(m_client, m_namespace, m_submission, indices, options, m_handlers);
    m_throttled += report.throttled;
    m_in_flight += report.in_flight;
    m_discarded += report.discarded;
    for (size_t at = 0; at < indices.size(); ++at) {
        const size_t index = indices[at];
        Planned& entry = m_submission.entries[index];
        if (at >= report.sent) {
            m_cap.give_back(index); // an interrupt came before its create was sent
        } else if (entry.error) {
            m_cap.failed(index);
        } else if (entry.created.is_null()) {
            m_cap.unknown(index); // on the wire, or deleted before its payload was stored
        } else {
            const std::string name = entry.created["metadata"]["name"].get<std::string>();
            m_cap.created(index, name, kube::summarize_job(entry.created).finished);
            m_names.push_back(name);
            made.push_back(std::move(entry.created));
            // The wait keeps what it needs of the Job; the entry only its name.
            entry.created = {{"metadata", {{"name", name}}}};
        }
    }
    return made;
}

void CappedSubmission::changed(const kube::JobSummary& job) {
    if (job.finished) m_cap.finished(job.name);
}

std::string CappedSubmission::interrupted_message() const {
    const size_t never = m_cap.untaken() + m_discarded;
    std::string message = fmt::format("interrupted: {} of {} Jobs were never created", never, m_cap.total());
    if (m_in_flight > 0) message += fmt::format(" ({} more were being created and may exist)", m_in_flight);
    if (m_discarded > 0)
        message += fmt::format("; {} whose payload was not stored yet were deleted", m_discarded);
    if (never + m_in_flight > 0 && !m_submission.idempotency_key.empty())
        message += "; run it again with the same --idempotency-key to create only those";
    return message;
}

CreateReport CappedSubmission::report() const {
    CreateReport report;
    report.total = m_submission.entries.size();
    report.throttled = m_throttled;
    for (size_t index = 0; index < report.total; ++index) {
        const Planned& entry = m_submission.entries[index];
        if (entry.error) {
            report.failures.push_back(fmt::format("Job {}: {}", index + 1, *entry.error));
        } else if (!entry.created.is_null()) {
            ++report.created;
        }
    }
    return report;
}

} // namespace kq::jobs
