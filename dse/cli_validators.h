// CLI11 helpers: validators whose messages read as our one-line errors ("--jobs: must be >= 1,
// not 0"), and renamed options that say where they went.
#pragma once

#include <CLI/CLI.hpp>
#include <cmath>
#include <string>

#include "models/error.h"
#include "models/json_enum.h"

namespace hybridnet::dse {

/// A number >= `min` (finite).
inline CLI::Validator at_least(double min) {
  char bound[32];
  std::snprintf(bound, sizeof bound, "%g", min);
  const std::string b = bound;
  return CLI::Validator(
      [min, b](std::string& value) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(value, v) || !std::isfinite(v) || v < min)
          return "must be >= " + b + ", not " + value;
        return {};
      },
      "NUMBER >= " + b);
}

/// An option naming a value of enum E by the names of its HYBRIDNET_JSON_ENUM table, e.g.
/// "--optimizer TEXT:{sgd,adam}=sgd"; another name is CLI11's one-line error listing them.
template <class E>
CLI::Option* add_enum_option(CLI::App& sub, const std::string& name, E& value,
                             const std::string& help) {
  std::vector<std::string> names;
  for (const auto& [v, n] : enum_names(E{})) names.push_back(n);
  auto* o = sub.add_option_function<std::string>(
      name, [&value, name](const std::string& s) { value = models::enum_from_string<E>(s, name); },
      help);
  o->check(CLI::IsMember(names))->default_str(to_string(value));
  return o;
}

/// A finite number in [lo, hi] (CLI::Range lets NaN through: every comparison with it is false).
inline CLI::Validator in_range(double lo, double hi) {
  char bounds[64];
  std::snprintf(bounds, sizeof bounds, "[%g, %g]", lo, hi);
  const std::string b = bounds;
  return CLI::Validator(
      [lo, hi, b](std::string& value) -> std::string {
        double v = 0;
        if (!CLI::detail::lexical_cast(value, v) || !std::isfinite(v) || v < lo || v > hi)
          return "must be a number in " + b + ", not " + value;
        return {};
      },
      "NUMBER in " + b);
}

/// An option that was renamed (each name means one thing across commands): hidden from --help;
/// giving it is a one-line error with `message`, which names the new spelling.
inline void add_renamed_option(CLI::App& sub, const std::string& old_name,
                               const std::string& message) {
  sub.add_option_function<std::string>(
         old_name, [message](const std::string&) { throw ConfigError(message); })
      ->group("");
}

}  // namespace hybridnet::dse
