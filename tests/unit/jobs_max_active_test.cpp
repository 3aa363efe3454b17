// Unit tests of jobs/max_active: which Jobs of a fan-out under --max-active K are created when, as
// creates are answered, Jobs finish, creates fail, and a re-run finds some Jobs already there.

#include "jobs/max_active.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using kq::jobs::ActiveCap;

namespace {

std::string job_name(size_t index) { return "job-" + std::to_string(index); }

// Creates every Job taken, unfinished.
void answer_all(ActiveCap& cap, const std::vector<size_t>& taken) {
    for (size_t index : taken)
        cap.created(index, job_name(index), false);
}

} // namespace

TEST_CASE("max-active: K of N are taken first, one more as each finishes, in order") {
    ActiveCap cap(6, 2);
    CHECK(cap.room() == 2);
    const std::vector<size_t> first = cap.take(cap.room());
    CHECK(first == std::vector<size_t>{0, 1});
    // Creates on the wire count against the limit.
    CHECK(cap.room() == 0);
    CHECK(cap.active() == 2);
    answer_all(cap, first);
    CHECK(cap.room() == 0);
    cap.finished(job_name(1));
    CHECK(cap.room() == 1);
    CHECK(cap.take(cap.room()) == std::vector<size_t>{2});
    CHECK(cap.room() == 0);
    cap.created(2, job_name(2), false);
    cap.finished(job_name(0));
    cap.finished(job_name(2));
    CHECK(cap.room() == 2);
    const std::vector<size_t> next = cap.take(cap.room());
    CHECK(next == std::vector<size_t>{3, 4});
    answer_all(cap, next);
    cap.finished(job_name(3));
    CHECK(cap.take(cap.room()) == std::vector<size_t>{5});
    CHECK(cap.untaken() == 0);
    CHECK_FALSE(cap.done()); // Job 6's create is on the wire
    cap.created(5, job_name(5), false);
    CHECK(cap.done());
    CHECK(cap.room() == 0); // nothing left to take
    CHECK(cap.active() == 2);
}

TEST_CASE("max-active: the active count never passes K, whatever order things happen in") {
    for (size_t limit : {1, 2, 3, 7}) {
        CAPTURE(limit);
        ActiveCap cap(20, limit);
        std::vector<size_t> running;
        size_t peak = 0;
        size_t step = 0;
        while (!cap.done() || !running.empty()) {
            for (size_t index : cap.take(cap.room())) {
                cap.created(index, job_name(index), false);
                running.push_back(index);
            }
            peak = std::max(peak, cap.active());
            REQUIRE(!running.empty());
            // Finish the oldest or the newest, by turns.
            const auto which = (step++ % 2 == 0) ? running.begin() : running.end() - 1;
            cap.finished(job_name(*which));
            running.erase(which);
        }
        CHECK(peak == limit);
        CHECK(cap.untaken() == 0);
    }
}

TEST_CASE("max-active: a finish reported twice, or of a Job not the fan-out's, changes nothing") {
    ActiveCap cap(4, 2);
    answer_all(cap, cap.take(cap.room()));
    cap.finished(job_name(0));
    cap.finished(job_name(0));
    cap.finished("another-job");
    CHECK(cap.active() == 1);
    CHECK(cap.room() == 1);
}

TEST_CASE("max-active: a Job found finished at its create (adopted) frees its room at once") {
    ActiveCap cap(3, 1);
    const std::vector<size_t> first = cap.take(cap.room());
    cap.created(first.front(), job_name(0), true);
    CHECK(cap.room() == 1);
    CHECK(cap.take(1) == std::vector<size_t>{1});
}

TEST_CASE("max-active: a failed create takes no room and is not created again") {
    ActiveCap cap(4, 2);
    const std::vector<size_t> first = cap.take(cap.room());
    cap.failed(first[0]);
    cap.created(first[1], job_name(1), false);
    CHECK(cap.room() == 1);
    CHECK(cap.take(cap.room()) == std::vector<size_t>{2});
    CHECK(cap.untaken() == 1);
}

TEST_CASE("max-active: a re-run counts the Jobs found unfinished against K and never takes them again") {
    // Jobs 1 and 4 finished, Jobs 2 and 6 still running, from the interrupted first run.
    ActiveCap cap(8, 3);
    cap.found(0, job_name(0), true);
    cap.found(1, job_name(1), false);
    cap.found(3, job_name(3), true);
    cap.found(5, job_name(5), false);
    CHECK(cap.untaken() == 4);
    CHECK(cap.active() == 2);
    CHECK(cap.room() == 1);
    const std::vector<size_t> first = cap.take(cap.room());
    CHECK(first == std::vector<size_t>{2});
    answer_all(cap, first);
    CHECK(cap.room() == 0);
    cap.finished(job_name(5));
    cap.finished(job_name(1));
    CHECK(cap.take(cap.room()) == std::vector<size_t>{4, 6});
    CHECK(cap.take(5) == std::vector<size_t>{7});
    CHECK(cap.untaken() == 0);
}

TEST_CASE("max-active: creates dropped by an interrupt leave the rest untaken, counted as never created") {
    ActiveCap cap(20, 4);
    const std::vector<size_t> first = cap.take(cap.room());
    cap.created(first[0], job_name(0), false);
    cap.created(first[1], job_name(1), false);
    cap.unknown(first[2]);
    cap.unknown(first[3]);
    CHECK(cap.untaken() == 16);
    CHECK(cap.active() == 2);
    CHECK_FALSE(cap.done());
}

TEST_CASE("max-active: K of at least N takes every Job at once") {
    ActiveCap cap(3, 10);
    CHECK(cap.room() == 3);
    CHECK(cap.take(cap.room()).size() == 3);
    CHECK(cap.untaken() == 0);
}

TEST_CASE("max-active: Jobs taken but never sent (an interrupt came first) count as never created") {
    ActiveCap cap(10, 6);
    const std::vector<size_t> taken = cap.take(cap.room());
    REQUIRE(taken.size() == 6);
    cap.created(taken[0], job_name(0), false);
    cap.unknown(taken[1]);
    for (size_t at = 2; at < taken.size(); ++at)
        cap.give_back(taken[at]);
    CHECK(cap.untaken() == 8);
    CHECK(cap.active() == 1);
    CHECK(cap.done() == false);
    // Given back, they are taken again in order.
    CHECK(cap.take(2) == std::vector<size_t>{2, 3});
}
