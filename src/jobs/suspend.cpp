#include "jobs/suspend.hpp"

#include "jobs/paths.hpp"
#include "kube/job_status.hpp"

namespace kq::jobs {

void set_suspended(kube::Client& client, const std::string& namespace_name,
                   const std::vector<std::string>& names, const SuspendOptions& options,
                   const std::function<void(const SuspendOutcome&)>& done) {
    for (const std::string& name : names) {
        const std::string path = job_path(namespace_name, name);
        // Read first, so that a Job already in the wanted state is reported as such (kubectl rollout
        // pause says "already paused") and a finished one is not patched for nothing.
        const nlohmann::json job = client.get(path);
        const kube::JobSummary summary = kube::summarize_job(job);
        SuspendOutcome outcome;
        outcome.name = name;
        const nlohmann::json* suspend = nullptr;
        if (job.contains("spec") && job["spec"].is_object() && job["spec"].contains("suspend")) {
            suspend = &job["spec"]["suspend"];
        }
        const bool suspended = suspend != nullptr && suspend->is_boolean() && suspend->get<bool>();
        outcome.finished = summary.finished;
        outcome.changed = !summary.finished && suspended != options.suspend;
        if (outcome.changed && options.dry_run != SuspendOptions::DryRun::client) {
            kube::ApiRequest request;
            request.method = "PATCH";
            request.path = path;
            request.content_type = "application/merge-patch+json";
            request.body = nlohmann::json{{"spec", {{"suspend", options.suspend}}}};
            if (options.dry_run == SuspendOptions::DryRun::server)
                request.query.emplace_back("dryRun", "All");
            (void)client.call(std::move(request));
        }
        if (done) done(outcome);
    }
}

} // namespace kq::jobs
