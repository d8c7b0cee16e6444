#include "models/exit_logits.h"

#include <algorithm>

namespace hybridnet::models {

ExitLogits collect_exit_logits(HybridNet& net, const Dataset& data, int batch_size,
                               torch::Device device) {
  torch::NoGradGuard no_grad;
  net->eval();
  ExitLogits out;
  out.samples = data.size();
  out.outputs = static_cast<int>(net->architecture().exits.size()) + 1;
  out.classes = net->architecture().config.num_classes;
  std::vector<std::vector<torch::Tensor>> per_output(out.outputs);
  for (int64_t i = 0; i < out.samples; i += batch_size) {
    const int64_t end = std::min(out.samples, i + batch_size);
    const auto outputs = net->forward_exits(dataset_rows(data, i, end).to(device));
    for (int k = 0; k < out.outputs; ++k)
      per_output[k].push_back(outputs[k].to(torch::kCPU, torch::kFloat32));
  }
  out.logits.reserve(size_t(out.outputs) * out.samples * out.classes);
  for (int k = 0; k < out.outputs && out.samples > 0; ++k) {
    const auto all = torch::cat(per_output[k]).contiguous();
    out.logits.insert(out.logits.end(), all.data_ptr<float>(),
                      all.data_ptr<float>() + all.numel());
  }
  const auto labels = data.labels.to(torch::kCPU, torch::kInt64).contiguous();
  out.labels.assign(labels.data_ptr<int64_t>(), labels.data_ptr<int64_t>() + out.samples);
  return out;
}

ExitScores score_exits(LoadedRun& run, const Dataset& test, const EnergyTable& table,
                       const std::vector<double>& grid, double transfer_pj_per_bit) {
  const auto& spec = run.spec;
  const auto device = resolve_device(spec.train.device);
  run.net->to(device);
  const ExitCurve curve(collect_exit_logits(run.net, test, spec.train.eval_batch_size, device));
  ExitScores s;
  s.cost = plan_cost(spec.plan, spec.in_channels, spec.in_h, spec.in_w, spec.num_classes, table);
  s.costs = exit_costs(run.net->architecture(), spec.plan, s.cost);
  s.points = operating_points(curve, s.costs, grid, transfer_pj_per_bit);
  return s;
}

}  // namespace hybridnet::models
