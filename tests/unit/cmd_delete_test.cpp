// Unit tests of `kq delete`'s checks: which selections are allowed, --older-than and the age filter.

#include "cmd/support/job_filters.hpp"
#include "kube/job_queries.hpp"
#include "test_helpers.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using kq::cmd::DeleteSelection;

namespace {

// A selection with the flags `set` sets.
template <typename Setter> DeleteSelection make(Setter set) {
    DeleteSelection selection;
    set(selection);
    return selection;
}

std::string selection_error(const DeleteSelection& selection) {
    try {
        kq::cmd::check_delete_selection(selection);
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::usage);
        return error.what();
    }
    return "";
}

} // namespace

TEST_CASE("delete: names alone, or one bulk form narrowed by --status and --older-than") {
    CHECK(selection_error(make([](DeleteSelection& s) { s.names = {"a", "b"}; })) == "");
    CHECK(selection_error(make([](DeleteSelection& s) { s.definition = "backup"; })) == "");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.selector = "team=data";
              s.status = "failed";
          })) == "");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.status = "finished";
              s.older_than = "24h";
          })) == "");
    CHECK(selection_error(make([](DeleteSelection& s) { s.older_than = "1h"; })) == "");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.status = "failed";
              s.all = true;
          })) == "");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.definition = "backup";
              s.status = "failed";
          })) == "");

    CHECK(selection_error(DeleteSelection{}) ==
          "delete: name a Job, or use --job, -l, --status, --older-than or --all");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.names = {"a"};
              s.selector = "x=y";
          })) == "delete: Job names cannot be combined with -l/--selector; use one or the other");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.names = {"a"};
              s.status = "failed";
          })) == "delete: Job names cannot be combined with --status; use one or the other");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.selector = "x=y";
              s.all = true;
          })) == "delete: use only one of -l/--selector and --all");
    CHECK(selection_error(make([](DeleteSelection& s) {
              s.definition = "d";
              s.selector = "x=y";
          })) == "delete: use only one of --job and -l/--selector");
}

TEST_CASE("--older-than reads Go durations and keeps Jobs created longer ago") {
    CHECK(kq::cmd::parse_age_filter("", "--older-than") == std::nullopt);
    CHECK(kq::cmd::parse_age_filter("36h", "--older-than") == std::chrono::hours(36));
    CHECK(kq::cmd::parse_age_filter("1h30m", "--older-than") == std::chrono::minutes(90));
    CHECK(kq::cmd::parse_age_filter("7d", "--older-than") == std::chrono::hours(7 * 24));
    CHECK(kq::cmd::parse_age_filter("1d12h", "--older-than") == std::chrono::hours(36));
    for (const char* bad : {"d", "1.5d", "-1d", "1d1d", "7days", "3x"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(kq::cmd::parse_age_filter(bad, "--older-than"), kq::Error);
    }
    try {
        kq::cmd::parse_age_filter("yesterday", "--older-than");
        FAIL("accepted");
    } catch (const kq::Error& error) {
        CHECK(std::string(error.what()) ==
              "--older-than: \"yesterday\" is not a duration (e.g. 90m, 36h, 7d)");
    }
    const kq::TimePoint now = *kq::parse_rfc3339("2026-11-27T12:00:00Z");
    auto created = [](const char* when) {
        return kq::kube::summarize_job({{"metadata", {{"creationTimestamp", when}}}});
    };
    CHECK(kq::kube::older_than(created("2026-11-26T11:00:00Z"), std::chrono::hours(24), now));
    CHECK_FALSE(kq::kube::older_than(created("2026-11-26T12:00:00Z"), std::chrono::hours(24), now));
    CHECK_FALSE(kq::kube::older_than(created("2026-11-27T11:00:00Z"), std::chrono::hours(24), now));
    CHECK_FALSE(
        kq::kube::older_than(kq::kube::summarize_job(nlohmann::json::object()), std::chrono::hours(0), now));
}

TEST_CASE("kq delete refuses to run without a selection, and checks its values before connecting") {
    auto nothing = kq::testing::run_kq({"delete"});
    CHECK(nothing.status == kq::k_exit_usage);
    CHECK(nothing.err ==
          "kq: error: delete: name a Job, or use --job, -l, --status, --older-than or --all\n");
    CHECK(nothing.out.empty());

    auto bad_age = kq::testing::run_kq({"delete", "--older-than", "soon"});
    CHECK(bad_age.status == kq::k_exit_usage);
    CHECK(bad_age.err == "kq: error: --older-than: \"soon\" is not a duration (e.g. 90m, 36h, 7d)\n");

    auto active = kq::testing::run_kq({"delete", "--status", "active"});
    CHECK(active.status == kq::k_exit_usage);
    CHECK(active.err.find("--status") != std::string::npos);

    auto cascade = kq::testing::run_kq({"delete", "x", "--cascade", "sideways"});
    CHECK(cascade.status == kq::k_exit_usage);
    CHECK(cascade.err.find("--cascade") != std::string::npos);

    auto dry_run = kq::testing::run_kq({"delete", "x", "--dry-run=maybe"});
    CHECK(dry_run.status == kq::k_exit_usage);
    CHECK(dry_run.err == "kq: error: --dry-run: \"maybe\" is not a mode; use client, server or none\n");
}
