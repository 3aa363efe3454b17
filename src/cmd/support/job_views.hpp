#pragma once

#include "kube/job_queries.hpp"
#include "util/table.hpp"
#include "util/time.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace kq::cmd {

// Which columns `kq list` shows.
struct JobTableColumns {
    bool namespaces = false; // -A: a NAMESPACE column first
    bool wide = false;       // -o wide: REASON, QUEUE, IMAGES and SCHEDULE after AGE
};

// The header row of `kq list`: [NAMESPACE] NAME DEFINITION STATUS COMPLETIONS DURATION AGE
// [REASON QUEUE IMAGES SCHEDULE].
std::vector<std::string> job_table_headers(const JobTableColumns& columns);

// One row of `kq list` for a Job object, ages and running durations measured to `now`.
std::vector<std::string> job_table_row(const nlohmann::json& job, TimePoint now,
                                       const JobTableColumns& columns);

// The colour of a STATUS cell on a terminal: green for Complete, red for Failed, none otherwise.
std::string_view status_color(std::string_view status);

// Prints a table of Jobs made with `columns`: with or without its header row, fitted to `width` (0: no
// limit), its STATUS column coloured when `color` is set.
void print_job_table(const Table& table, const JobTableColumns& columns, std::ostream& out, bool headers,
                     std::size_t width, bool color);

// The human-readable text of `kq status`: the Job, its conditions, pods and recent events.
std::string status_text(const kube::JobReport& report, TimePoint now);

// The `kq status -o json` document; see status.cpp for its shape.
nlohmann::json status_json(const kube::JobReport& report, TimePoint now);

} // namespace kq::cmd
