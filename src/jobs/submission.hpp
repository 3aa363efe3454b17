#pragma once

#include "project/params.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kq::jobs {

// What kq records on each Job it submits, so that `kq rerun` can make it again (jobs/rerun.hpp); the
// definition is the label project::k_label_definition, the payload the annotations of jobs/payload.hpp.

// The params given to the Job (-p and its --params-file line; not the defaults), a JSON object of strings.
inline constexpr std::string_view k_annotation_params = "kq.dev/params";
// The arguments after "--", a JSON array of strings; only when there were any.
inline constexpr std::string_view k_annotation_args = "kq.dev/args";
// The --idempotency-key that named the Job ("KEY/N" for the Nth Job of a fan-out); only with a key.
inline constexpr std::string_view k_annotation_idempotency_key = "kq.dev/idempotency-key";
// On a Job `kq rerun` made: the name of the Job it re-runs.
inline constexpr std::string_view k_label_rerun_of = "kq.dev/rerun-of";

// Records on a Job manifest what made it: its params, the arguments after "--", its idempotency key.
void record_origin(nlohmann::json& manifest, const project::ParamValues& params,
                   const std::vector<std::string>& extra_args, const std::string& idempotency_key);

// A name as the API server's generateName makes it: the prefix and five random characters of its alphabet.
std::string generated_job_name(const std::string& prefix);

// The Job name an idempotency key gives: "<definition>-<10 hex digits>" from a SHA-256 of the
// namespace, definition and key, cut to fit 63 characters, so a retried submission finds its Job.
std::string idempotent_job_name(const std::string& namespace_name, const std::string& definition,
                                const std::string& key);

// The id of a submission (k_label_submission): with an idempotency key, 12 hex digits of a SHA-256 of
// the namespace, definition and key, so a retried submission has the same id; without one, random.
std::string submission_id(const std::string& namespace_name, const std::string& definition,
                          const std::string& key);

// Reads --params-file: JSON Lines, one object of param values per Job (strings, numbers and booleans,
// written as text); blank lines are skipped. Throws a usage Error naming the file and line.
std::vector<project::ParamValues> parse_params_lines(const std::string& text, const std::string& file_name);

// The params of each Job of a submission: --params-file's lines, else --count copies of the -p flags.
std::vector<project::ParamValues> submission_params(const project::ParamValues& flags,
                                                    const std::vector<project::ParamValues>& file_lines,
                                                    int count);

} // namespace kq::jobs
