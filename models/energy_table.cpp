// Loading energy tables (embedded or from a file) with field-naming errors.
#include "models/energy_table.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "models/energy_tables_data.h"
#include "models/error.h"
#include "models/json_input.h"

namespace hybridnet::models {

using nlohmann::json;

double EnergyTable::mac(int bits) const {
  auto it = mac_pj.find(bits);
  if (it == mac_pj.end())
    throw ConfigError("energy table " + name + ": no MAC energy for " + std::to_string(bits) +
                      "-bit operands (mac_pj.\"" + std::to_string(bits) + "\")");
  return it->second;
}

namespace {

EnergyTable parse_table(const json& j, const std::string& where) {
  const std::set<std::string> allowed = {"name",
                                         "source",
                                         "memory_access_pj_per_bit",
                                         "mac_pj",
                                         "alpha_memory_access",
                                         "quantized_output_write",
                                         "notes"};
  if (!j.is_object()) throw ConfigError(where + ": must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!allowed.count(it.key())) throw ConfigError(where + ": " + it.key() + ": unknown key");
  EnergyTable t;
  try {
    t.name = j.value("name", std::filesystem::path(where).stem().string());
    t.source = j.value("source", std::string());
    t.memory_access_pj_per_bit = j.at("memory_access_pj_per_bit").get<double>();
    t.alpha_memory_access = j.value("alpha_memory_access", true);
    t.quantized_output_write = j.value("quantized_output_write", true);
    for (auto it = j.at("mac_pj").begin(); it != j.at("mac_pj").end(); ++it) {
      const std::string& key = it.key();
      if (key.empty() || key.size() > 2 || key.find_first_not_of("0123456789") != std::string::npos)
        throw ConfigError("mac_pj: key '" + key + "' is not a bit width (1 to 32)");
      const int bits = std::stoi(key);
      t.mac_pj[bits] = it.value().get<double>();
    }
  } catch (const std::exception& e) {
    throw ConfigError(where + ": " + without_json_prefix(e.what()));
  }
  if (!t.mac_pj.count(32)) throw ConfigError(where + ": mac_pj.\"32\": missing");
  return t;
}

}  // namespace

std::vector<std::string> builtin_energy_tables() {
  std::vector<std::string> names;
  for (const auto& [name, text] : embedded_energy_tables()) names.push_back(name);
  return names;
}

EnergyTable load_energy_table(const std::string& name_or_path) {
  for (const auto& [name, text] : embedded_energy_tables())
    if (name == name_or_path)
      return parse_table(parse_json_input(text, "energy table " + name), "energy table " + name);
  std::ifstream in(name_or_path);
  if (!in) {
    std::string names;
    for (const auto& n : builtin_energy_tables()) names += (names.empty() ? "" : ", ") + n;
    throw ConfigError("energy table '" + name_or_path + "': not a built-in table (" + names +
                      ") nor a readable file");
  }
  in.close();
  return parse_table(read_json_input_file(name_or_path), name_or_path);
}

}  // namespace hybridnet::models
