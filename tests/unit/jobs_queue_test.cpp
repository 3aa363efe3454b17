// Unit tests of jobs/queue.hpp's manifest helpers: holding a Job out of its Kueue queue while kq still
// works on it, releasing it, and putting a copied Job in a queue.

#include "jobs/queue.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

namespace {

using queue_json = nlohmann::json;

queue_json queued_manifest() {
    return {{"metadata", {{"name", "work-a"}, {"labels", {{"kueue.x-k8s.io/queue-name", "batch"}}}}},
            {"spec", {{"suspend", true}}}};
}

} // namespace

TEST_CASE("hold_queue moves the queue label into kq.dev/held-queue; add_release puts it back, suspended") {
    queue_json manifest = queued_manifest();
    kq::jobs::hold_queue(manifest);
    CHECK_FALSE(manifest["metadata"]["labels"].contains("kueue.x-k8s.io/queue-name"));
    CHECK(manifest["metadata"]["annotations"]["kq.dev/held-queue"] == "batch");
    CHECK(kq::jobs::queue_of(manifest).empty()); // Kueue does not see it yet

    queue_json patch = {{"metadata", {{"annotations", {{"kq.dev/payload-pending", nullptr}}}}}};
    kq::jobs::add_release(manifest, patch);
    CHECK(patch ==
          queue_json{{"metadata",
                      {{"annotations", {{"kq.dev/payload-pending", nullptr}, {"kq.dev/held-queue", nullptr}}},
                       {"labels", {{"kueue.x-k8s.io/queue-name", "batch"}}}}}});
    // It stays suspended: Kueue resumes it when admitted.
    CHECK_FALSE(patch.contains("spec"));
}

TEST_CASE(
    "a Job held from no queue is released by resuming it; holding one without a queue changes nothing") {
    queue_json manifest = {{"metadata", {{"name", "work-b"}, {"labels", {{"kq.dev/definition", "work"}}}}},
                           {"spec", {{"suspend", true}}}};
    const queue_json before = manifest;
    kq::jobs::hold_queue(manifest);
    CHECK(manifest == before);
    queue_json patch = json::object();
    kq::jobs::add_release(manifest, patch);
    CHECK(patch == queue_json{{"spec", {{"suspend", false}}}});
}

TEST_CASE("put_in_queue labels a copied Job with --queue and --priority and suspends a queued one") {
    queue_json copy = {{"metadata", {{"name", "work-c"}, {"labels", {{"kq.dev/definition", "work"}}}}},
                       {"spec", json::object()}};
    kq::jobs::put_in_queue(copy, std::nullopt, std::nullopt);
    CHECK_FALSE(copy["spec"].contains("suspend")); // in no queue: left as it was

    kq::jobs::put_in_queue(copy, std::string("batch"), std::string("low"));
    CHECK(copy["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "batch");
    CHECK(copy["metadata"]["labels"]["kueue.x-k8s.io/priority-class"] == "low");
    CHECK(copy["spec"]["suspend"] == true);

    // A copy already in a queue keeps it, suspended; --queue moves it.
    queue_json queued = queued_manifest();
    queued["spec"].erase("suspend");
    kq::jobs::put_in_queue(queued, std::nullopt, std::nullopt);
    CHECK(queued["spec"]["suspend"] == true);
    kq::jobs::put_in_queue(queued, std::string("other"), std::nullopt);
    CHECK(kq::jobs::queue_of(queued) == "other");

    CHECK_THROWS_WITH_AS(kq::jobs::put_in_queue(queued, std::string("Bad_Name"), std::nullopt),
                         doctest::Contains("--queue \"Bad_Name\": invalid LocalQueue name"), kq::Error);
    CHECK_THROWS_WITH_AS(kq::jobs::put_in_queue(queued, std::nullopt, std::string("-low")),
                         doctest::Contains("--priority \"-low\": invalid WorkloadPriorityClass name"),
                         kq::Error);
}
