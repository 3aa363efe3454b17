// Inputs the libFuzzer targets of tests/fuzz found crashing kq, each kept as a test of the fix. The
// crashing inputs themselves are in tests/fuzz/regressions/<target>/, replayed by the fuzz tests.
#include "jobs/submission.hpp"
#include "kube/auth.hpp"
#include "kube/watch.hpp"
#include "util/error.hpp"
#include "util/pattern.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

// The message of the kq::Error that parse_watch_event throws for text, or "" when it throws none. Any
// other exception escapes and fails the test, as it would have ended kq.
std::string watch_event_error(const std::string& text) {
    try {
        (void)kq::kube::parse_watch_event(text);
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::cluster);
        return error.what();
    }
    return "";
}

} // namespace

TEST_SUITE_BEGIN("fuzz regressions");

TEST_CASE("fuzz_watch: a number beyond a double's range is invalid JSON, not an uncaught exception") {
    // nlohmann throws out_of_range, not parse_error, for 1e999; only parse_error used to be caught.
    const std::string message =
        watch_event_error(R"({"type":"ADDED","object":{"metadata":{"name":"x"},"labels":1e999}})");
    CHECK(message.rfind("the watch stream sent invalid JSON: ", 0) == 0);
    CHECK(message.find("number overflow") != std::string::npos);
}

TEST_CASE("fuzz_watch: an event's object must be a JSON object") {
    // The watch loop reads an ERROR event's Status with value(), which throws on anything but an object.
    CHECK(watch_event_error(R"({"type":"ERROR","object":"too old resource version"})") ==
          "the watch stream sent an event whose object is string, not a JSON object");
    CHECK(watch_event_error(R"({"type":"ADDED","object":[1,2]})") ==
          "the watch stream sent an event whose object is array, not a JSON object");
    CHECK(watch_event_error(R"({"type":"DELETED","object":null})") ==
          "the watch stream sent an event whose object is null, not a JSON object");
}

TEST_CASE("fuzz_watch: the fields the watch loop reads have their types") {
    CHECK(
        watch_event_error(R"({"type":"ERROR","object":{"kind":"Status","code":"410","reason":"Expired"}})") ==
        "the watch stream sent an event whose code is string, not a whole number");
    CHECK(watch_event_error(R"({"type":"ERROR","object":{"code":410.5}})") ==
          "the watch stream sent an event whose code is number, not a whole number");
    CHECK(watch_event_error(R"({"type":"ERROR","object":{"code":410,"reason":["Expired"]}})") ==
          "the watch stream sent an event whose reason is array, not a string");
    CHECK(watch_event_error(R"({"type":"ERROR","object":{"code":500,"message":false}})") ==
          "the watch stream sent an event whose message is boolean, not a string");
    CHECK(watch_event_error(R"({"type":"MODIFIED","object":{"metadata":{"resourceVersion":1234}}})") ==
          "the watch stream sent an event whose resourceVersion is number, not a string");
    // What the API server sends passes, and so do absent fields and an ERROR's Status of any other
    // shape of metadata (the reader checks metadata's type itself).
    CHECK(watch_event_error(R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)"
                            R"json("status":"Failure","message":"too old resource version: 1 (1234)",)json"
                            R"("reason":"Expired","code":410}})") == "");
    CHECK(watch_event_error(R"({"type":"ERROR","object":{}})") == "");
    CHECK(watch_event_error(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}})") == "");
    CHECK(watch_event_error(R"({"type":"ADDED","object":{"metadata":"odd"}})") == "");
}

TEST_CASE("fuzz_params: huge repetition counts and back-reference numbers are refused before std::regex") {
    // libstdc++ multiplies such numbers into an int unchecked: signed overflow, which UBSan reports.
    for (const char* source :
         {"^[0-9]{1,58888888888888888888}$", "a{99999999999}", "a{2,}{123456}", "(a)\\12345678901"}) {
        CAPTURE(source);
        const kq::Pattern pattern = kq::Pattern::compile(source);
        CHECK(!pattern.valid());
        CHECK(pattern.error() == "a repetition count or back-reference in the pattern is too large");
    }
    // Long numbers elsewhere are text, and ordinary counts still compile.
    for (const char* source :
         {"^[0-9]{1,5}$", "^1234567890123456$", "[{]12345678", "\\{1234567\\}", "a{2,3}b{4}"}) {
        CAPTURE(source);
        const kq::Pattern pattern = kq::Pattern::compile(source);
        CHECK(pattern.valid());
    }
    CHECK(kq::Pattern::compile("[{]12345678").search("{12345678"));
    CHECK(kq::Pattern::compile("^[0-9]{1,5}$").search("31415"));
}

TEST_SUITE_END();

TEST_CASE("1e999 in an exec plugin's output or a params file is an error, not an uncaught exception") {
    kq::kube::ExecConfig exec;
    exec.api_version = "client.authentication.k8s.io/v1";
    try {
        (void)kq::kube::parse_exec_credential(R"({"kind":"ExecCredential","status":{"token":1e999}})", exec,
                                              "plugin");
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(std::string(error.what()) ==
              "plugin printed no ExecCredential: a number in it is out of range");
    }
    try {
        (void)kq::jobs::parse_params_lines("{\"n\": 1e999}\n", "params.jsonl");
        FAIL("no error");
    } catch (const kq::Error& error) {
        CHECK(error.kind() == kq::ErrorKind::usage);
        CHECK(std::string(error.what()).rfind("params.jsonl:1: not a JSON object: ", 0) == 0);
    }
}
