#include "job_fixtures.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <sstream>
#include <thread>

namespace kq::e2e {

TestJob succeeding(const std::string& name, const std::string& definition) {
    return {.name = name, .definition = definition, .annotations = {{"kq.test/run-seconds", "1"}}};
}

TestJob failing(const std::string& name, const std::string& definition, int code) {
    return {.name = name,
            .definition = definition,
            .annotations = {{"kq.test/run-seconds", "1"}, {"kq.test/exit-code", std::to_string(code)}}};
}

TestJob running(const std::string& name, const std::string& definition) {
    return {.name = name, .definition = definition, .annotations = {{"kq.test/run-seconds", "600"}}};
}

nlohmann::json job_manifest(const TestJob& job) {
    nlohmann::json labels = nlohmann::json::object();
    if (!job.definition.empty()) {
        labels = {{"app.kubernetes.io/managed-by", "kq"},
                  {"app.kubernetes.io/name", job.definition},
                  {"kq.dev/definition", job.definition}};
    }
    for (const auto& [key, value] : job.labels)
        labels[key] = value;
    nlohmann::json annotations = nlohmann::json::object();
    for (const auto& [key, value] : job.annotations)
        annotations[key] = value;
    nlohmann::json manifest = {{"apiVersion", "batch/v1"},
                               {"kind", "Job"},
                               {"metadata", {{"name", job.name}, {"labels", labels}}},
                               {"spec",
                                {{"backoffLimit", job.backoff_limit},
                                 {"suspend", job.suspend},
                                 {"template",
                                  {{"metadata", {{"labels", labels}, {"annotations", annotations}}},
                                   {"spec",
                                    {{"restartPolicy", "Never"},
                                     {"containers", {{{"name", "main"}, {"image", "busybox:1.36"}}}}}}}}}}};
    if (job.active_deadline_seconds > 0)
        manifest["spec"]["activeDeadlineSeconds"] = job.active_deadline_seconds;
    return manifest;
}

void create_jobs(kube::Client& client, const std::string& namespace_name, const std::vector<TestJob>& jobs) {
    std::size_t done = 0;
    std::vector<std::string> errors;
    for (const TestJob& job : jobs) {
        kube::ApiRequest request;
        request.method = "POST";
        request.path = fmt::format("/apis/batch/v1/namespaces/{}/jobs", namespace_name);
        request.body = job_manifest(job);
        client.start(std::move(request), [&](kube::ApiResult&& result) {
            ++done;
            if (!result.ok()) errors.push_back(result.error->what());
        });
    }
    client.run([&] { return done == jobs.size(); });
    REQUIRE_MESSAGE(errors.empty(), errors.front());
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return true;
}

void wait_finished(kube::Client& client, const std::string& namespace_name,
                   const std::vector<std::string>& names) {
    for (const std::string& name : names) {
        const bool finished = eventually([&] {
            const nlohmann::json job =
                client.get(fmt::format("/apis/batch/v1/namespaces/{}/jobs/{}", namespace_name, name));
            for (const nlohmann::json& condition :
                 job["status"].value("conditions", nlohmann::json::array())) {
                const std::string type = condition.value("type", "");
                if ((type == "Complete" || type == "Failed") && condition.value("status", "") == "True")
                    return true;
            }
            return false;
        });
        REQUIRE_MESSAGE(finished, "job ", name, " did not finish within a minute");
    }
}

void wait_running(kube::Client& client, const std::string& namespace_name, const std::string& name) {
    const bool started = eventually([&] {
        kube::ListOptions options;
        options.label_selector = "batch.kubernetes.io/job-name=" + name;
        bool running = false;
        client.list(fmt::format("/api/v1/namespaces/{}/pods", namespace_name), options,
                    [&](nlohmann::json& page) {
                        for (const nlohmann::json& pod : page["items"])
                            running = running || pod["status"].value("phase", "") == "Running";
                    });
        return running;
    });
    REQUIRE_MESSAGE(started, "job ", name, " had no running pod within a minute");
}

bool job_exists(kube::Client& client, const std::string& namespace_name, const std::string& name) {
    try {
        client.get(fmt::format("/apis/batch/v1/namespaces/{}/jobs/{}", namespace_name, name));
        return true;
    } catch (const kube::ApiError& error) {
        if (error.not_found()) return false;
        throw;
    }
}

std::vector<std::string> job_pods(kube::Client& client, const std::string& namespace_name,
                                  const std::string& name) {
    kube::ListOptions options;
    options.label_selector = "batch.kubernetes.io/job-name=" + name;
    std::vector<std::string> names;
    client.list(fmt::format("/api/v1/namespaces/{}/pods", namespace_name), options,
                [&](nlohmann::json& page) {
                    for (const nlohmann::json& pod : page["items"])
                        names.push_back(pod["metadata"].value("name", ""));
                });
    return names;
}

std::vector<std::string> job_names(kube::Client& client, const std::string& namespace_name) {
    std::vector<std::string> names;
    client.list(fmt::format("/apis/batch/v1/namespaces/{}/jobs", namespace_name), {},
                [&](nlohmann::json& page) {
                    for (const nlohmann::json& job : page["items"])
                        names.push_back(job["metadata"].value("name", ""));
                });
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line);
    for (std::string word; in >> word;)
        words.push_back(word);
    return words;
}

} // namespace kq::e2e
