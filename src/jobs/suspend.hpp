#pragma once

#include "kube/client.hpp"

#include <functional>
#include <string>
#include <vector>

namespace kq::jobs {

// How kq suspend and kq resume change Jobs.
struct SuspendOptions {
    enum class DryRun { none, client, server };
    bool suspend = true;           // the spec.suspend wanted: true for kq suspend, false for kq resume
    DryRun dry_run = DryRun::none; // client: only read each Job; server: have the server check the patch
};

// What became of one Job.
struct SuspendOutcome {
    std::string name;
    bool changed = false;  // spec.suspend was (or, in a dry run, would be) flipped
    bool finished = false; // the Job had finished: suspending it changes nothing, so it is left alone
};

// Sets spec.suspend on each named Job with a merge patch, in order, telling `done` each outcome as it
// comes; a Job already in the wanted state, or finished, is left as it is. Throws the first API error
// (a missing Job is `jobs.batch "NAME" not found`).
void set_suspended(kube::Client& client, const std::string& namespace_name,
                   const std::vector<std::string>& names, const SuspendOptions& options,
                   const std::function<void(const SuspendOutcome&)>& done);

} // namespace kq::jobs
