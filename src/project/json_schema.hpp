#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace kq::project {

// The JSON Schema (draft 2020-12) of kq.yaml, made from the tables the loader checks (job_fields(), the
// key tables of schema.hpp, the naming rules of names.hpp) with the descriptions of kq.yaml(5). It
// accepts every file the loader accepts, and refuses unknown keys, values of the wrong type, choices
// not offered and invalid names; rules between values (a request above its limit, params a template
// names) are left to `kq validate`.
nlohmann::json project_json_schema();

// The text of key's entry in section ("TOP-LEVEL KEYS", "JOB KEYS" or "PARAMS") of kq.yaml(5), or
// empty when the page has none.
std::string_view man_description(std::string_view section, std::string_view key);

} // namespace kq::project
