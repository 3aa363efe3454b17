#pragma once

#include "project/params.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace kq::jobs {

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
