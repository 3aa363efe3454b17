#pragma once

#include "project/diagnostics.hpp"
#include "project/source.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kq::project {

// The project file format version this kq reads.
inline constexpr int k_project_version = 1;

// One parameter of a job definition, set with -p NAME=VALUE and read as {{ params.NAME }}.
struct ParamDef {
    std::string name;
    // The value used when -p does not give one.
    std::optional<std::string> default_value;
    // True when -p must give a value.
    bool required = false;
    std::string description;
    // A regular expression (ECMAScript, unanchored) every value must match.
    std::optional<std::string> pattern;
    // The values allowed, when not empty.
    std::vector<std::string> choices;
    // Where the param is declared.
    Location location;
};

// A job's `schedule`: when the cluster runs it (a batch/v1 CronJob) and with which params.
struct ScheduleDef {
    // The cron expression or macro, as written.
    std::string cron;
    // An IANA time zone name; empty for the controller's (UTC on a kube-controller-manager in UTC).
    std::string time_zone;
    // Allow, Forbid or Replace.
    std::string concurrency_policy = "Forbid";
    std::optional<std::int64_t> starting_deadline_seconds;
    std::optional<std::int64_t> successful_jobs_history_limit;
    std::optional<std::int64_t> failed_jobs_history_limit;
    bool suspend = false;
    // The param values the scheduled runs use, by name.
    std::map<std::string, std::string> params;
    // Where each of params is written.
    std::map<std::string, Location> param_locations;
    // Where the schedule key is written.
    Location location;
};

// The largest payload kq delivers, in bytes: what one ConfigMap or Secret holds (1 MiB).
inline constexpr std::size_t k_max_payload_bytes = 1048576;
// The largest payload that may also go into an environment variable (payload.env), in bytes.
inline constexpr std::size_t k_max_env_payload_bytes = 32768;

// The environment variable that holds the path of a Job's payload file.
inline constexpr std::string_view k_payload_file_env = "KQ_PAYLOAD_FILE";

// The payload a job takes (its `payload` key): how `kq submit --payload` checks and delivers it.
struct PayloadDef {
    // True when every submit must give a payload.
    bool required = false;
    // The largest payload accepted, in bytes; nullopt for kq's limit (jobs::k_max_payload_bytes).
    std::optional<std::size_t> max_bytes;
    // The payload's media type, e.g. application/json (then every payload must be JSON); empty when unsaid.
    std::string content_type;
    // True to store the payload in a Secret instead of a ConfigMap.
    bool secret = false;
    // The environment variable that also holds the payload, when not empty.
    std::string env;

    // True when content_type says JSON (application/json or a +json type).
    bool is_json() const;
};

// One job definition: what `kq render NAME` turns into a Job manifest.
struct JobDef {
    std::string name;
    std::string description;
    // The job's namespace as written, else the project's; nullopt when neither sets one.
    std::optional<std::string> namespace_name;
    std::vector<ParamDef> params;
    // The job's keys after the project's defaults were merged in, checked against the schema;
    // "description" and "params" are left out.
    SourceNode spec;
    // Its payload key, when it has one.
    std::optional<PayloadDef> payload;
    // Where the job's name is written.
    Location location;
    // When set, `kq apply` makes the job a CronJob.
    std::optional<ScheduleDef> schedule;

    // The param called name, or nullptr.
    const ParamDef* find_param(std::string_view param_name) const;
};

// A loaded project file.
struct Project {
    // The file's name as shown in messages.
    std::string file;
    // The folder holding the file, against which relative paths inside it resolve.
    std::filesystem::path directory;
    int version = k_project_version;
    // The project's identity, a label value: `name`, else the folder's name made one; CronJobs carry
    // it as the label kq.dev/project so that `kq apply --prune` touches only this project's.
    std::string name;
    // The project's namespace, when it sets one.
    std::optional<std::string> namespace_name;
    // The job definitions in the order written.
    std::vector<JobDef> jobs;

    // The job called name, or nullptr.
    const JobDef* find_job(std::string_view job_name) const;

    // The names of the jobs in the order written.
    std::vector<std::string> job_names() const;
};

} // namespace kq::project
