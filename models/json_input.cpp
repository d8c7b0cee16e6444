#include "models/json_input.h"

#include <fstream>
#include <set>
#include <vector>

#include "models/error.h"

namespace hybridnet::models {

using nlohmann::json;

json parse_json_input(const std::string& text, const std::string& where) {
  std::vector<std::set<std::string>> keys;  // per open object, the keys seen so far
  std::string error;
  auto check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (depth > kMaxJsonDepth) {
      error = "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      throw std::runtime_error(error);
    }
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && !keys.back().insert(parsed.get<std::string>()).second) {
          std::string key = parsed.get<std::string>();
          if (key.size() > 60) key = key.substr(0, 60) + "...";
          error = "key \"" + key + "\" given twice in one object";
          throw std::runtime_error(error);
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    return json::parse(text, check);
  } catch (const json::parse_error& e) {
    throw ConfigError(where + ": malformed JSON: " + without_json_prefix(e.what()));
  } catch (const std::runtime_error&) {
    if (error.empty()) throw;
    throw ConfigError(where + ": " + error);
  }
}

json read_json_input_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot open");
  std::string text;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxJsonFileBytes)
      throw DataError(path + ": larger than " + std::to_string(kMaxJsonFileBytes >> 20) +
                      " MiB; not a hybridnet JSON file");
  }
  if (in.bad()) throw DataError(path + ": cannot read");
  return parse_json_input(text, path);
}

std::string without_json_prefix(const std::string& what) {
  if (what.rfind("[json.exception.", 0) == 0 && what.find("] ") != std::string::npos)
    return what.substr(what.find("] ") + 2);
  return what;
}

}  // namespace hybridnet::models
