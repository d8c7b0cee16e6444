#include "models/early_exit.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "models/error.h"

namespace hybridnet::models {

double softmax_entropy(const float* logits, int classes) {
  // With z = logits - max and Z = sum e^z: p_c = e^z_c / Z, -sum p ln p = ln Z - sum p_c z_c.
  const double m = *std::max_element(logits, logits + classes);
  double z_sum = 0, pz = 0;
  for (int c = 0; c < classes; ++c) z_sum += std::exp(logits[c] - m);
  for (int c = 0; c < classes; ++c) {
    const double z = logits[c] - m;
    pz += std::exp(z) / z_sum * z;
  }
  return std::max(0.0, std::log(z_sum) - pz);
}

ExitCurve::ExitCurve(const ExitLogits& l) : samples_(l.samples), outputs_(l.outputs) {
  if (l.outputs < 1 || l.classes < 2 ||
      l.logits.size() != size_t(l.outputs) * l.samples * l.classes ||
      l.labels.size() != size_t(l.samples))
    throw ConfigError("exit logits: inconsistent shape");
  entropy_.resize(size_t(outputs_) * samples_);
  correct_.resize(size_t(outputs_) * samples_);
  for (int k = 0; k < outputs_; ++k)
    for (int64_t i = 0; i < samples_; ++i) {
      const float* z = l.at(k, i);
      entropy_[k * samples_ + i] = softmax_entropy(z, l.classes);
      correct_[k * samples_ + i] = (std::max_element(z, z + l.classes) - z) == l.labels[i];
    }
}

int ExitCurve::decide(int64_t i, const std::vector<double>& thresholds) const {
  for (int k = 0; k + 1 < outputs_; ++k)
    if (entropy_[k * samples_ + i] < thresholds[k]) return k;
  return outputs_ - 1;
}

ExitPoint ExitCurve::at(const std::vector<double>& thresholds) const {
  if (static_cast<int>(thresholds.size()) != outputs_ - 1)
    throw ConfigError(std::to_string(thresholds.size()) + " threshold(s) for " +
                      std::to_string(outputs_ - 1) + " early exit(s)");
  std::vector<int64_t> taken(outputs_, 0), right(outputs_, 0);
  for (int64_t i = 0; i < samples_; ++i) {
    const int k = decide(i, thresholds);
    ++taken[k];
    right[k] += correct_[k * samples_ + i];
  }
  ExitPoint p;
  p.thresholds = thresholds;
  const double n = std::max<int64_t>(1, samples_);
  int64_t all_right = 0;
  for (int k = 0; k < outputs_; ++k) {
    if (k + 1 < outputs_) p.exit_share.push_back(taken[k] / n);
    p.exit_accuracy.push_back(taken[k] ? double(right[k]) / taken[k] : 0.0);
    all_right += right[k];
  }
  p.cloud_share = taken[outputs_ - 1] / n;
  p.accuracy = all_right / n;
  return p;
}

std::vector<double> threshold_grid(const std::string& text, const std::string& option) {
  const std::string what = option + ": expected FROM:TO:STEP or a comma list, got '" + text + "'";
  auto number = [&](const std::string& s) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(s, &used);
    } catch (const std::exception&) {
      throw ConfigError(what);
    }
    if (used != s.size() || !(v >= 0) || !std::isfinite(v))
      throw ConfigError(what + " (thresholds are entropies >= 0)");
    return v;
  };
  std::vector<std::string> parts;
  const char sep = text.find(':') != std::string::npos ? ':' : ',';
  std::stringstream ss(text);
  for (std::string p; std::getline(ss, p, sep);) parts.push_back(p);
  std::vector<double> out;
  if (sep == ':') {
    if (parts.size() != 3) throw ConfigError(what);
    const double from = number(parts[0]), to = number(parts[1]), step = number(parts[2]);
    if (step <= 0 || to < from) throw ConfigError(what + " (needs FROM <= TO and STEP > 0)");
    const auto n = static_cast<int64_t>(std::floor((to - from) / step + 1e-9)) + 1;
    if (n > 100000) throw ConfigError(what + " (more than 100000 thresholds)");
    // Rounded to 1e-9, so that 0.1:0.5:0.1 gives 0.3 and not 0.30000000000000004: thresholds
    // are stored and compared as values.
    for (int64_t i = 0; i < n; ++i) out.push_back(std::round((from + double(i) * step) * 1e9) / 1e9);
  } else {
    for (const auto& p : parts) out.push_back(number(p));
  }
  if (out.empty()) throw ConfigError(what);
  return out;
}

}  // namespace hybridnet::models
