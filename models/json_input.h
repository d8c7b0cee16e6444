// Reading JSON that users write (space files, plans, energy tables, run.json): bounded in size
// and depth, and strict about duplicate keys, so that a hostile or broken file is a one-line
// error naming it instead of a stack overflow (printing a value nested 70,000 deep recurses), an
// exhausted memory (/dev/zero as a file) or a silently ignored first value of a repeated key.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace hybridnet::models {

/// Deepest nesting accepted (our files need 6).
inline constexpr int kMaxJsonDepth = 64;
/// Largest JSON file accepted.
inline constexpr size_t kMaxJsonFileBytes = size_t{16} << 20;

/// Parses `text`; ConfigError "<where>: ..." for malformed JSON, nesting deeper than
/// kMaxJsonDepth, or a key given twice in one object.
nlohmann::json parse_json_input(const std::string& text, const std::string& where);

/// Reads and parses the file `path` (at most kMaxJsonFileBytes); errors as parse_json_input,
/// and a DataError naming the file when it cannot be read.
nlohmann::json read_json_input_file(const std::string& path);

/// An exception's text without nlohmann/json's "[json.exception.type_error.302] " prefix.
std::string without_json_prefix(const std::string& what);

}  // namespace hybridnet::models
