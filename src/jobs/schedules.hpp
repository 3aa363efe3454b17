#pragma once

#include "kube/client.hpp"
#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kq::jobs {

// The API path of a namespace's CronJobs, or of every namespace's when `namespace_name` is empty.
std::string cronjobs_path(const std::string& namespace_name);

// The API path of one CronJob.
std::string cronjob_path(const std::string& namespace_name, const std::string& name);

// A CronJob's kind and name as kubectl prints them after a change: "cronjob.batch/NAME".
std::string cronjob_ref(const std::string& name);

// The label selector of the CronJobs `kq apply` made for one project.
std::string project_selector(const std::string& project);

// How `kq apply`, `kq diff` and `kq suspend|resume --schedule` reach the API server.
enum class ScheduleDryRun {
    none,   // change the objects
    client, // only read them
    server, // have the server check the change (dryRun=All) without making it
};

// What `kq apply` did to one CronJob, as kubectl apply words it.
enum class ApplyAction { created, configured, unchanged, pruned };

// The word kubectl prints for an action: "created", "configured", "unchanged" or "pruned".
const char* apply_action_text(ApplyAction action);

// One CronJob `kq apply` handled.
struct AppliedCronJob {
    std::string namespace_name;
    std::string name;
    ApplyAction action = ApplyAction::unchanged;
};

// Applies a rendered CronJob with server-side apply (field manager "kq", conflicts forced, as
// `kubectl apply --server-side --force-conflicts`): created when there was none, unchanged when the
// object's resourceVersion stayed (in a server dry run: its spec, labels and annotations stayed),
// configured otherwise. A client dry run only reads the live object. Throws ApiError.
AppliedCronJob apply_cronjob(kube::Client& client, const nlohmann::json& manifest, ScheduleDryRun dry_run);

// Deletes, in each namespace, the CronJobs of `project` (by its label, made by kq) whose name is not in
// `keep`, telling `done` each one as it goes (background propagation: their Jobs and pods follow).
// Throws ApiError.
void prune_cronjobs(kube::Client& client, const std::vector<std::string>& namespaces,
                    const std::string& project, const std::set<std::string>& keep, ScheduleDryRun dry_run,
                    const std::function<void(const AppliedCronJob&)>& done);

// A CronJob as it is and as `kq apply` would make it.
struct CronJobDiff {
    std::string namespace_name;
    std::string name;
    nlohmann::json live;   // null when there is none
    nlohmann::json merged; // the server dry run's result
};

// Reads the live CronJob and applies the manifest with dryRun=All; both lose metadata.managedFields
// (as kubectl diff shows them). Throws ApiError.
CronJobDiff diff_cronjob(kube::Client& client, const nlohmann::json& manifest);

// One row of `kq schedules`.
struct ScheduleSummary {
    std::string namespace_name;
    std::string name;
    std::string schedule;  // spec.schedule
    std::string time_zone; // spec.timeZone, or empty
    bool suspended = false;
    int active = 0;                         // status.active
    std::optional<TimePoint> last_schedule; // status.lastScheduleTime
    // The status (Complete or Failed) of the newest finished Job it made, or empty.
    std::string last_result;
    // When it next fires, computed from the schedule and zone; nullopt when suspended or unparsable.
    std::optional<TimePoint> next_run;
    std::optional<TimePoint> created;
    nlohmann::json object; // the CronJob as the server returned it
};

// The CronJobs kq made (label app.kubernetes.io/managed-by=kq) in a namespace, or in every one when
// `namespace_name` is empty, with the newest finished Job of each (by ownerReference); next runs are
// measured from `now`. Throws ApiError.
std::vector<ScheduleSummary> list_schedules(kube::Client& client, const std::string& namespace_name,
                                            TimePoint now);

// The Job `kubectl create job --from=cronjob/NAME` makes of a CronJob: its jobTemplate (or
// `job_template` when given), the annotation cronjob.kubernetes.io/instantiate=manual, an
// ownerReference to the CronJob (controller: true), named `name` or generated from "NAME-manual-".
nlohmann::json job_from_cronjob(const nlohmann::json& cronjob, const nlohmann::json& job_template,
                                const std::string& name);

// Names a triggered Job from --idempotency-key KEY (from the namespace, the scheduled job and KEY, apart
// from the names `kq submit --idempotency-key` gives) and records the key on it, so that a retried
// trigger finds its Job.
void key_triggered_job(nlohmann::json& manifest, const std::string& namespace_name, const std::string& job,
                       const std::string& key);

// What became of a triggered Job.
struct Triggered {
    nlohmann::json job;   // as the server has it
    bool adopted = false; // with a key: the Job an earlier trigger with the same key made
};

// Creates a triggered Job (a server-side dry run with `dry_run_query` "All"). With a key, a Job of its
// name that the same key made from the same CronJob and spec is this trigger's own earlier Job (a retried
// CI step) and is returned adopted; another is a usage Error naming the key. Throws ApiError.
Triggered create_triggered(kube::Client& client, const std::string& namespace_name,
                           const nlohmann::json& manifest, const std::string& key,
                           const std::string& dry_run_query);

// Sets a CronJob's spec.suspend with a merge patch; returns whether it changed (a CronJob already in
// that state is left alone). Throws ApiError (`cronjobs.batch "NAME" not found`).
bool set_cronjob_suspended(kube::Client& client, const std::string& namespace_name, const std::string& name,
                           bool suspend, ScheduleDryRun dry_run);

} // namespace kq::jobs
