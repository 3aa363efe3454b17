#include "jobs/submission.hpp"

#include "util/error.hpp"
#include "util/sha256.hpp"

#include <fmt/format.h>

#include <random>

namespace kq::jobs {
namespace {

constexpr size_t k_hash_digits = 10;
constexpr size_t k_max_name = 63;
constexpr size_t k_submission_digits = 12;

} // namespace

std::string idempotent_job_name(const std::string& namespace_name, const std::string& definition,
                                const std::string& key) {
    // NUL separators keep ("a", "bc") and ("ab", "c") apart.
    std::string input = namespace_name;
    input += '\0';
    input += definition;
    input += '\0';
    input += key;
    const std::string digest = sha256_hex(input).substr(0, k_hash_digits);
    std::string stem = definition.substr(0, k_max_name - k_hash_digits - 1);
    while (!stem.empty() && stem.back() == '-')
        stem.pop_back();
    return stem + "-" + digest;
}

std::string submission_id(const std::string& namespace_name, const std::string& definition,
                          const std::string& key) {
    if (key.empty()) {
        std::random_device source;
        std::string id;
        while (id.size() < k_submission_digits)
            id += fmt::format("{:08x}", source());
        return id.substr(0, k_submission_digits);
    }
    // A prefix of its own keeps it apart from the Job name's digest of the same key.
    std::string input = "submission";
    input += '\0';
    input += namespace_name;
    input += '\0';
    input += definition;
    input += '\0';
    input += key;
    return sha256_hex(input).substr(0, k_submission_digits);
}

std::vector<project::ParamValues> parse_params_lines(const std::string& text, const std::string& file_name) {
    std::vector<project::ParamValues> lines;
    size_t start = 0;
    int number = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        ++number;
        start = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            if (end == text.size()) break;
            continue;
        }
        nlohmann::json object;
        try {
            object = nlohmann::json::parse(line);
        } catch (const nlohmann::json::exception& error) {
            fail(ErrorKind::usage, "{}:{}: not a JSON object: {}", file_name, number,
                 std::string(error.what()).substr(std::string(error.what()).find(']') + 2));
        }
        if (!object.is_object())
            fail(ErrorKind::usage, "{}:{}: expected a JSON object of params", file_name, number);
        project::ParamValues values;
        for (const auto& [name, value] : object.items()) {
            if (value.is_string()) {
                values[name] = value.get<std::string>();
            } else if (value.is_number() || value.is_boolean()) {
                values[name] = value.dump();
            } else {
                fail(ErrorKind::usage, "{}:{}: param \"{}\" must be a string, number or boolean", file_name,
                     number, name);
            }
        }
        lines.push_back(std::move(values));
        if (end == text.size()) break;
    }
    if (lines.empty())
        fail(ErrorKind::usage, "{}: no params lines; write one JSON object per Job", file_name);
    return lines;
}

std::vector<project::ParamValues> submission_params(const project::ParamValues& flags,
                                                    const std::vector<project::ParamValues>& file_lines,
                                                    int count) {
    if (file_lines.empty()) return std::vector<project::ParamValues>(static_cast<size_t>(count), flags);
    std::vector<project::ParamValues> all;
    for (const project::ParamValues& line : file_lines) {
        // -p sets what every line leaves out; a line's own value wins.
        project::ParamValues merged = flags;
        for (const auto& [name, value] : line)
            merged[name] = value;
        all.push_back(std::move(merged));
    }
    return all;
}

void record_origin(nlohmann::json& manifest, const project::ParamValues& params,
                   const std::vector<std::string>& extra_args, const std::string& idempotency_key) {
    nlohmann::json& annotations = manifest["metadata"]["annotations"];
    nlohmann::json given = nlohmann::json::object();
    for (const auto& [name, value] : params)
        given[name] = value;
    annotations[std::string(k_annotation_params)] = given.dump();
    if (!extra_args.empty()) annotations[std::string(k_annotation_args)] = nlohmann::json(extra_args).dump();
    if (!idempotency_key.empty()) annotations[std::string(k_annotation_idempotency_key)] = idempotency_key;
}

std::string generated_job_name(const std::string& prefix) {
    static constexpr std::string_view k_name_alphabet = "bcdfghjklmnpqrstvwxz2456789";
    static std::mt19937 random{std::random_device{}()};
    std::uniform_int_distribution<size_t> pick(0, k_name_alphabet.size() - 1);
    std::string name = prefix;
    for (int i = 0; i < 5; ++i)
        name += k_name_alphabet[pick(random)];
    return name;
}

} // namespace kq::jobs
