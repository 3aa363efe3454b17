#pragma once

#include "project/diagnostics.hpp"
#include "project/source.hpp"

#include <string>
#include <string_view>

namespace kq::project {

// Checks the rules the API server applies between a Job's keys (podFailurePolicy needs restartPolicy
// Never, backoffLimitPerIndex and successPolicy need completionMode Indexed, maxFailedIndexes at most
// completions, ...) on a job's keys merged over defaults, jobSpec's keys overriding the job's; values
// still holding a template are left to the API server. job_name names the default container.
void check_job_rules(const SourceNode& job, std::string_view job_name, std::string_view owner,
                     Diagnostics& diagnostics);

} // namespace kq::project
