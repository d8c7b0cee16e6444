#include "search/strict_json.h"

namespace hybridnet::search {

std::string json_kind(const nlohmann::json& e) {
  if (e.is_number_float()) return "a number";
  if (e.is_number_unsigned()) return "a non-negative integer";
  if (e.is_number_integer()) return "an integer";
  if (e.is_string()) return "a string";
  if (e.is_boolean()) return "true or false";
  if (e.is_array()) return "an array";
  if (e.is_object()) return "an object";
  return e.type_name();
}

bool same_kind(const nlohmann::json& e, const nlohmann::json& v) {
  if (e.is_number_float()) return v.is_number();
  if (e.is_number_unsigned()) return v.is_number_unsigned() || (v.is_number_integer() && v >= 0);
  if (e.is_number_integer()) return v.is_number_integer();
  return e.type() == v.type();
}

}  // namespace hybridnet::search
