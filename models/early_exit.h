// Algorithm 1 of the edge-cloud paper on cached logits: a sample leaves at the first early exit
// whose softmax entropy is below that exit's threshold, otherwise the cloud classifies it. The
// network runs once over the data (ExitLogits); every threshold setting is then a pass over
// the cached entropies, so a whole threshold curve needs no re-running. No torch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hybridnet::models {

/// Entropy -sum p_c ln p_c of softmax(logits) (natural log, as the paper's eq.), computed
/// stably: 0 for a one-hot-like output, ln(classes) for uniform logits.
double softmax_entropy(const float* logits, int classes);

/// A grid of entropy thresholds: "FROM:TO:STEP" (TO included) or "T1,T2,..."; ConfigError
/// starting with `what` (the option or field) when malformed or negative.
std::vector<double> threshold_grid(const std::string& text, const std::string& what);

/// Logits of every exit (early exits in order, the final classifier last) for `samples` samples.
struct ExitLogits {
  int64_t samples = 0;
  int outputs = 0;  ///< early exits + 1
  int classes = 0;
  std::vector<float> logits;    ///< [outputs][samples][classes]
  std::vector<int64_t> labels;  ///< [samples]
  const float* at(int output, int64_t sample) const {
    return logits.data() + (int64_t(output) * samples + sample) * classes;
  }
};

/// One threshold setting's outcome.
struct ExitPoint {
  std::vector<double> thresholds;     ///< per early exit
  std::vector<double> exit_share;     ///< per early exit: share of samples leaving there
  double cloud_share = 0;             ///< share continuing to the cloud
  std::vector<double> exit_accuracy;  ///< per early exit, then the cloud: accuracy of the
                                      ///< samples classified there (0 when none)
  double accuracy = 0;                ///< overall top-1
};

class ExitCurve {
 public:
  explicit ExitCurve(const ExitLogits& logits);
  int early_exits() const { return outputs_ - 1; }
  /// Exit taken by sample i (0..early_exits()-1, or early_exits() for the cloud).
  int decide(int64_t sample, const std::vector<double>& thresholds) const;
  ExitPoint at(const std::vector<double>& thresholds) const;

 private:
  int64_t samples_;
  int outputs_;
  std::vector<double> entropy_;  // [output][sample]
  std::vector<char> correct_;    // [output][sample]
};

}  // namespace hybridnet::models
