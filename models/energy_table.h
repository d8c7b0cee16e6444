// Per-operation energy tables (pJ) as data: built-in tables embedded from models/energy_tables/
// (10nm, 45nm, cdl) or a user's JSON file of the same shape.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hybridnet::models {

struct EnergyTable {
  std::string name;
  std::string source;
  double memory_access_pj_per_bit = 2.5;
  std::map<int, double> mac_pj;        ///< by operand bits: 1..8 integer, 32 floating point
  bool alpha_memory_access = true;     ///< charge one 32-bit read per alpha (per output filter)
  bool quantized_output_write = true;  ///< charge quantized layers' output writes

  /// Energy of one MAC at `bits` (max of weight and input bits); throws if the table lacks it.
  double mac(int bits) const;
};

/// The table used when none is named (the papers' 10 nm figures): stated once, here.
inline const std::string kDefaultEnergyTable = "10nm";

/// Names of the embedded tables.
std::vector<std::string> builtin_energy_tables();
/// A built-in table by name, or a JSON file by path; errors name the table or file and field.
EnergyTable load_energy_table(const std::string& name_or_path);

}  // namespace hybridnet::models
