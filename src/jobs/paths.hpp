#pragma once

#include <string>

namespace kq::jobs {

// The label selector of the Jobs kq manages, narrowed to one definition and/or a user selector.
std::string managed_selector(const std::string& definition = "", const std::string& extra = "");

// The API path of a namespace's Jobs, or of every namespace's when `namespace_name` is empty.
std::string jobs_path(const std::string& namespace_name);

// The API path of one Job.
std::string job_path(const std::string& namespace_name, const std::string& name);

// The API path of a namespace's pods.
std::string pods_path(const std::string& namespace_name);

// A Job's kind and name as kubectl prints them after a change: "job.batch/NAME".
std::string job_ref(const std::string& name);

} // namespace kq::jobs
