#include "jobs/select.hpp"

#include "jobs/paths.hpp"
#include "util/error.hpp"
#include "util/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace kq::jobs {
namespace {

// How many deletes are on the wire at once: enough to hide latency, few enough not to crowd out
// others' requests to the API server (kubectl's default client rate is lower still).
constexpr std::size_t k_deletes_in_flight = 32;

// The outcome of one delete, kept until its turn to be told.
struct DeleteOutcome {
    bool deleted = false;
    std::optional<kube::ApiError> error;
};

// Oldest first, then by name: the order in which kq lists and selects Jobs.
bool created_before(const kube::JobSummary& a, const kube::JobSummary& b) {
    if (a.created != b.created) return a.created < b.created;
    return a.name < b.name;
}

} // namespace

std::vector<kube::JobSummary> list_summaries(kube::Client& client, const std::string& namespace_name,
                                             const std::string& selector) {
    std::vector<kube::JobSummary> jobs;
    kube::ListOptions options;
    options.label_selector = selector;
    client.list(jobs_path(namespace_name), options, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (const nlohmann::json& item : page["items"])
            jobs.push_back(kube::summarize_job(item));
    });
    std::sort(jobs.begin(), jobs.end(), created_before);
    return jobs;
}

std::string newest_job(kube::Client& client, const std::string& namespace_name,
                       const std::string& definition) {
    const auto jobs = list_summaries(client, namespace_name, managed_selector(definition));
    if (jobs.empty()) {
        fail(ErrorKind::usage, "--job: definition \"{}\" has no Jobs in namespace \"{}\"", definition,
             namespace_name);
    }
    return jobs.back().name;
}

std::vector<std::string> select_jobs(kube::Client& client, const std::string& namespace_name,
                                     const JobSelection& selection) {
    if (!selection.names.empty()) return selection.names;
    if (!selection.definition.empty()) return {newest_job(client, namespace_name, selection.definition)};
    std::vector<std::string> names;
    for (const kube::JobSummary& job :
         list_summaries(client, namespace_name, managed_selector("", selection.selector))) {
        names.push_back(job.name);
    }
    return names;
}

std::vector<nlohmann::json> select_job_objects(kube::Client& client, const std::string& namespace_name,
                                               const JobSelection& selection) {
    std::vector<nlohmann::json> objects;
    if (!selection.names.empty() || !selection.definition.empty()) {
        for (const std::string& name : select_jobs(client, namespace_name, selection)) {
            kube::ApiRequest request;
            request.path = job_path(namespace_name, name);
            request.lean = true;
            objects.push_back(client.call(std::move(request)));
        }
        return objects;
    }
    kube::ListOptions options;
    options.label_selector = managed_selector("", selection.selector);
    options.lean = true;
    client.list(jobs_path(namespace_name), options, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (nlohmann::json& item : page["items"])
            objects.push_back(std::move(item));
    });
    // Oldest first, as select_jobs orders them.
    std::vector<std::pair<kube::JobSummary, size_t>> order;
    for (size_t index = 0; index < objects.size(); ++index)
        order.emplace_back(kube::summarize_job(objects[index]), index);
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return created_before(a.first, b.first); });
    std::vector<nlohmann::json> sorted;
    sorted.reserve(objects.size());
    for (const auto& [summary, index] : order)
        sorted.push_back(std::move(objects[index]));
    return sorted;
}

std::vector<std::string> bulk_names(kube::Client& client, const std::string& namespace_name,
                                    const BulkSelection& selection) {
    auto keep = [&](const nlohmann::json& job) {
        const kube::JobSummary summary = kube::summarize_job(job);
        return (!selection.state || kube::matches_state(summary, *selection.state)) &&
               (!selection.age || kube::older_than(summary, *selection.age, selection.now));
    };
    std::vector<std::string> names;
    if (!selection.definition.empty()) {
        const std::string newest = newest_job(client, namespace_name, selection.definition);
        if (!selection.state && !selection.age) return {newest};
        if (keep(client.get(job_path(namespace_name, newest)))) names.push_back(newest);
        return names;
    }
    kube::ListOptions options;
    options.label_selector = managed_selector("", selection.selector);
    options.limit = selection.page_size;
    client.list(jobs_path(namespace_name), options, [&](nlohmann::json& page) {
        if (!page.contains("items") || !page["items"].is_array()) return;
        for (const nlohmann::json& item : page["items"]) {
            if (keep(item)) names.push_back(item["metadata"].value("name", ""));
        }
    });
    return names;
}

DeleteFailures delete_jobs(kube::Client& client, const std::string& namespace_name,
                           const std::vector<std::string>& names, const DeleteOptions& options,
                           const std::function<void(const std::string& name)>& deleted) {
    const bool client_dry_run = options.dry_run == DeleteOptions::DryRun::client;
    nlohmann::json delete_options = {
        {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", options.propagation_policy}};
    // In the body, not the query: the API server reads a DELETE's options from its body when it has one
    // and then ignores ?dryRun=All, which would make a dry run real.
    if (options.dry_run == DeleteOptions::DryRun::server) delete_options["dryRun"] = {"All"};

    DeleteFailures failures;
    std::map<std::size_t, DeleteOutcome> done; // finished out of order, waiting for the ones before them
    std::size_t next_start = 0;
    std::size_t next_told = 0;
    std::function<void()> start_more = [&] {
        while (next_start < names.size() && next_start < next_told + k_deletes_in_flight) {
            const std::size_t index = next_start++;
            kube::ApiRequest request;
            request.path = job_path(namespace_name, names[index]);
            if (client_dry_run) {
                request.method = "GET";
            } else {
                request.method = "DELETE";
                request.body = delete_options;
            }
            client.start(std::move(request), [&, index](kube::ApiResult&& result) {
                DeleteOutcome outcome;
                if (result.ok())
                    outcome.deleted = true;
                else if (!(options.ignore_not_found && result.error->not_found()))
                    outcome.error = std::move(result.error);
                done.emplace(index, std::move(outcome));
                for (auto next = done.find(next_told); next != done.end(); next = done.find(next_told)) {
                    if (next->second.deleted && deleted) deleted(names[next_told]);
                    if (next->second.error && failures.count++ < DeleteFailures::k_shown) {
                        failures.first.push_back(std::move(*next->second.error));
                    }
                    done.erase(next);
                    ++next_told;
                }
                start_more();
            });
        }
    };
    start_more();
    client.run([&] { return next_told == names.size(); });
    return failures;
}

void throw_delete_failures(const DeleteFailures& failures) {
    if (failures.count == 1) throw failures.first.front();
    std::vector<std::string> messages;
    for (const kube::ApiError& error : failures.first)
        messages.push_back(error.what());
    std::string message = join(messages, "; ");
    if (failures.count > failures.first.size()) {
        const std::size_t more = failures.count - failures.first.size();
        message += fmt::format("; and {}", plural(more, "more error", "more errors"));
    }
    throw Error(ErrorKind::cluster, message);
}

} // namespace kq::jobs
