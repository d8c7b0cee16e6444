// Training loop, evaluation and the run directory (checkpoints written atomically, so a crash
// never leaves a half-written file where a good one was).
#include "models/trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <sstream>
#include <thread>

#include "models/atomic_file.h"
#include "models/batch_norm_recalibration.h"
#include "models/error.h"
#include "models/json_input.h"
#include "models/prefetcher.h"
#include "models/weight_transfer.h"

namespace hybridnet::models {

namespace fs = std::filesystem;
using nlohmann::json;

RunSpec make_run_spec(const HybridPlan& plan, const DataOptions& data, const DataSplits& splits,
                      const TrainConfig& train) {
  RunSpec s;
  s.plan = plan;
  s.data = data;
  s.train = train;
  s.in_channels = splits.channels;
  s.in_h = splits.height;
  s.in_w = splits.width;
  s.num_classes = splits.num_classes;
  // A folder's classes and measured normalisation belong to the run: evaluation and export
  // must not depend on what the folder holds later.
  if (data.name == "folder") {
    s.data.classes = splits.classes;
    s.data.mean = splits.normalisation.mean;
    s.data.std = splits.normalisation.std;
  }
  return s;
}

torch::Device resolve_device(Device device) {
  if (device == Device::kCpu) return torch::kCPU;
  if (!torch::cuda::is_available())
    throw ConfigError("--device cuda: this LibTorch has no CUDA support or no GPU is visible");
  return torch::kCUDA;
}

namespace {

void write_json_atomic(const fs::path& p, const json& j) {
  write_file_atomic(p.string(), j.dump(2) + "\n");
}

// Serialised in memory, written by write_files_atomic: LibTorch's own file writer aborts the
// process (an exception from a destructor during unwinding) when the disk fills mid-write.
template <typename T>
std::string serialized(const T& object) {
  std::ostringstream bytes;
  torch::save(object, bytes);
  return bytes.str();
}

double schedule_lr(const TrainConfig& c, int epoch0) {
  switch (c.schedule) {
    case LrSchedule::kCosine:
      return 0.5 * c.lr * (1.0 + std::cos(M_PI * epoch0 / c.epochs));
    case LrSchedule::kStep: {
      const int step = c.step_size > 0 ? c.step_size : std::max(1, c.epochs / 3);
      return c.lr * std::pow(c.gamma, epoch0 / step);
    }
    case LrSchedule::kConstant:
      break;
  }
  return c.lr;
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(HybridNet& net, const TrainConfig& c) {
  if (c.optimizer == Optimizer::kAdam)
    return std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(c.lr).weight_decay(c.weight_decay));
  return std::make_unique<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(c.lr)
                                                                    .momentum(c.momentum)
                                                                    .nesterov(c.nesterov)
                                                                    .weight_decay(c.weight_decay));
}

json epoch_to_json(const EpochRecord& e) {
  return {{"epoch", e.epoch},
          {"lr", e.lr},
          {"train_loss", e.train_loss},
          {"train_accuracy", e.train_accuracy},
          {"val_accuracy", e.val_accuracy},
          {"test_accuracy", e.test_accuracy},
          {"test_top5", e.test_top5},
          {"seconds", e.seconds}};
}

EpochRecord epoch_from_json(const json& j) {
  EpochRecord e;
  e.epoch = j.at("epoch");
  e.lr = j.at("lr");
  e.train_loss = j.at("train_loss");
  e.train_accuracy = j.at("train_accuracy");
  e.val_accuracy = j.at("val_accuracy");
  e.test_accuracy = j.at("test_accuracy");
  e.test_top5 = j.at("test_top5");
  e.seconds = j.at("seconds");
  return e;
}

// Loads `run_dir`/model.pt into `net`. A missing file is a DataError naming it and saying
// `missing`; one that does not load (corrupt, or another network's) says `unreadable`.
void load_weights(HybridNet& net, const fs::path& run_dir, const std::string& missing,
                  const std::string& unreadable) {
  const std::string path = (run_dir / "model.pt").string();
  if (!fs::exists(path)) throw DataError(path + ": missing; " + missing);
  try {
    torch::load(net, path);
  } catch (const c10::Error& e) {
    throw DataError(path + ": " + unreadable + ": " + e.what_without_backtrace());
  }
}

// Warm start: the weights of spec.init_from's run. A run whose shortcuts are wired otherwise (a
// pca hybrid with the paper's shortcut around every conv, started from its XNOR baseline's
// every two) has the same layers under other names: they are copied by role and order.
void load_init_weights(HybridNet& net, const RunSpec& spec) {
  const std::string missing = "the run to start from has no finished epoch";
  const std::string unreadable = "cannot start from it (another architecture?)";
  const fs::path plan_path = fs::path(spec.init_from) / "plan.json";
  if (!fs::exists(plan_path)) return load_weights(net, spec.init_from, missing, unreadable);
  const HybridPlan source_plan = load_plan_file(plan_path.string());
  if (source_plan.shortcut == spec.plan.shortcut)
    return load_weights(net, spec.init_from, missing, unreadable);
  HybridNet source = build_seeded_network(source_plan, spec.train.seed, spec.in_channels,
                                          spec.in_h, spec.in_w, spec.num_classes);
  load_weights(source, spec.init_from, missing, unreadable);
  try {
    copy_weights_by_role(*net, *source);
  } catch (const ConfigError& e) {
    throw DataError(plan_path.string() + ": " + unreadable + ": " + e.what());
  }
}

// Sets gamma of every batch norm that feeds a k-bit input quantizer (TrainConfig::kbit_input_gain);
// binary and FP layers keep 1: sign ignores its input's scale and ReLU's output is renormalised.
void init_kbit_input_gain(HybridNetImpl& net, double gain) {
  torch::NoGradGuard no_grad;
  for (const auto& l : net.architecture().layers) {
    const int bits = net.plan().precision(l.name).input_bits;
    const auto norm = net.norm_module(l.index);
    if (bits < 2 || bits >= kFullPrecisionBits || !norm) continue;
    norm->named_parameters(/*recurse=*/false)["weight"].fill_(gain);
  }
}

}  // namespace

HybridNet build_run_network(const RunSpec& spec) {
  HybridNet net = build_seeded_network(spec.plan, spec.train.seed, spec.in_channels, spec.in_h,
                                       spec.in_w, spec.num_classes);
  net->set_quantizer(spec.train.quantizer());
  init_kbit_input_gain(*net, spec.train.kbit_input_gain);
  return net;
}

void set_intra_op_threads(int threads) {
  torch::set_num_threads(
      threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
}

torch::Tensor exit_loss(const std::vector<torch::Tensor>& outputs, const torch::Tensor& labels,
                        const std::vector<double>& weights) {
  if (outputs.size() != weights.size())
    throw ConfigError(std::to_string(weights.size()) + " loss weights for " +
                      std::to_string(outputs.size()) + " outputs");
  torch::Tensor loss;
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (weights[k] == 0) continue;
    const auto term = weights[k] * torch::nn::functional::cross_entropy(outputs[k], labels);
    loss = loss.defined() ? loss + term : term;
  }
  if (!loss.defined()) throw ConfigError("every loss weight is 0");
  return loss;
}

Evaluation evaluate(HybridNet& net, const Dataset& data, int batch_size, torch::Device device) {
  torch::NoGradGuard no_grad;
  net->eval();
  Evaluation ev;
  ev.samples = data.size();
  if (ev.samples == 0) return ev;
  int64_t top1 = 0, top5 = 0;
  double loss_sum = 0;
  for (int64_t i = 0; i < ev.samples; i += batch_size) {
    const int64_t end = std::min(ev.samples, i + batch_size);
    auto x = dataset_rows(data, i, end).to(device);
    auto y = data.labels.slice(0, i, end).to(device);
    auto logits = net->forward(x);
    loss_sum +=
        torch::nn::functional::cross_entropy(
            logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
            .item<double>();
    const int64_t k = std::min<int64_t>(5, logits.size(1));
    auto topk = std::get<1>(logits.topk(k, 1));
    auto hits = topk.eq(y.unsqueeze(1));
    top1 += hits.select(1, 0).sum().item<int64_t>();
    top5 += hits.any(1).sum().item<int64_t>();
  }
  ev.top1 = double(top1) / ev.samples;
  ev.top5 = double(top5) / ev.samples;
  ev.loss = loss_sum / ev.samples;
  return ev;
}

TrainResult train_run(const RunSpec& spec, const DataSplits& data, const std::string& dir_name,
                      const TrainCallbacks& callbacks, int until_epoch) {
  const TrainConfig& cfg = spec.train;
  validate(cfg);
  const torch::Device device = resolve_device(cfg.device);
  set_intra_op_threads(cfg.threads);
  const fs::path dir(dir_name);
  // A missing start leaves no empty --out behind.
  if (!spec.init_from.empty() && !fs::exists(dir / "run.json") &&
      !fs::exists(fs::path(spec.init_from) / "model.pt"))
    throw DataError((fs::path(spec.init_from) / "model.pt").string() +
                    ": missing; the run to start from has no finished epoch");
  fs::create_directories(dir);
  const json spec_json = run_spec_to_json(spec);
  const int early_exits = static_cast<int>(spec.plan.exits.size());
  const std::vector<double> loss_weights = exit_loss_weights(spec.exit_training, early_exits);
  const bool separate = early_exits > 0 && spec.exit_training.mode == ExitMode::kSeparate;
  const int epochs = total_epochs(cfg, spec.exit_training, early_exits);
  // The exits' phase of separate training: its own schedule over its own epochs.
  TrainConfig exit_cfg = cfg;
  exit_cfg.epochs = epochs - cfg.epochs;

  TrainResult result;
  const bool resuming = fs::exists(dir / "run.json");
  if (resuming) {
    // Read as a spec, so that a run.json from before a setting existed compares with the value
    // it was trained with. Training longer continues the same run (not with separate exit
    // training, whose phases hang on the epoch count); where the start weights came from
    // matters once, not after (a moved study still resumes).
    const std::string old_path = (dir / "run.json").string();
    const RunIdentityOptions same{/*epochs=*/separate, /*init_from=*/false};
    if (run_identity(run_spec_from_json(read_json_file(old_path), old_path), same) !=
        run_identity(spec, same))
      throw ConfigError(dir.string() +
                        " holds a different run (run.json differs); use another --out");
  }

  HybridNet net = build_run_network(spec);
  net->to(device);
  auto optimizer = make_optimizer(net, cfg);

  int start_epoch = 0;
  if (resuming && fs::exists(dir / "state.json") && fs::exists(dir / "model.pt")) {
    const json state = read_json_file((dir / "state.json").string());
    try {
      for (const auto& e : state.at("history")) result.history.push_back(epoch_from_json(e));
    } catch (const json::exception& e) {
      throw DataError((dir / "state.json").string() +
                      ": malformed: " + without_json_prefix(e.what()));
    }
    start_epoch = static_cast<int>(result.history.size());
    if (start_epoch > epochs)
      throw ConfigError(dir.string() + " already holds " + std::to_string(start_epoch) +
                        " finished epochs; --epochs must be at least that");
    load_weights(net, dir, "the run has no finished epoch", "unreadable checkpoint");
    // An older run may have no optimizer state; one that exists must load, and its error
    // names the file that is bad rather than the weights beside it.
    const fs::path optimizer_path = dir / "optimizer.pt";
    if (fs::exists(optimizer_path)) {
      try {
        torch::load(*optimizer, optimizer_path.string());
      } catch (const c10::Error& e) {
        throw DataError(optimizer_path.string() +
                        ": unreadable optimizer state: " + e.what_without_backtrace());
      }
    }
  }
  if (start_epoch == 0 && !spec.init_from.empty()) load_init_weights(net, spec);
  result.resumed_from_epoch = start_epoch;
  write_json_atomic(dir / "run.json", spec_json);
  save_plan_file(spec.plan, (dir / "plan.json").string());

  const int64_t n = data.train.size();
  const int64_t full_steps = (n + cfg.batch_size - 1) / cfg.batch_size;
  const int64_t steps = cfg.max_steps > 0 ? std::min(cfg.max_steps, full_steps) : full_steps;
  const int stop = until_epoch > 0 ? std::min(until_epoch, epochs) : epochs;
  std::optional<Evaluation> final_test;  // the last epoch's test evaluation, when it ran
  for (int epoch = start_epoch; epoch < stop; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    const bool exit_phase = separate && epoch >= cfg.epochs;
    const double lr =
        exit_phase ? schedule_lr(exit_cfg, epoch - cfg.epochs) : schedule_lr(cfg, epoch);
    if (exit_phase) net->freeze_backbone();
    // Separate training: the backbone learns from the final classifier alone, then only the
    // exits learn, each from its own cross-entropy.
    std::vector<double> weights = loss_weights;
    if (separate) {
      std::fill(weights.begin(), weights.end(), exit_phase ? 1.0 : 0.0);
      weights.back() = exit_phase ? 0.0 : 1.0;
    }
    for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
    // Per-epoch RNG: the same seed gives the same order on a fresh run and on a resumed one.
    std::mt19937_64 rng(cfg.seed * 1000003ULL + epoch);
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), rng);
    const auto order_t = torch::from_blob(order.data(), {n}, torch::kInt64);

    net->train();
    if (exit_phase) net->train_exits_only();
    if (cfg.bn_freeze_epochs > 0 && epochs > cfg.bn_freeze_epochs &&
        epoch >= epochs - cfg.bn_freeze_epochs)
      freeze_batch_norm(net);
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    // A folder's batches are decoded on a thread of their own, two ahead of the step; each
    // batch's crops come from a seed drawn here in order, so they do not depend on timing.
    std::optional<Prefetcher<torch::Tensor>> prefetched;
    if (data.train.folder) {
      std::vector<uint64_t> seeds(steps);
      for (auto& seed : seeds) seed = rng();
      prefetched.emplace(
          steps,
          [&, seeds](int64_t s) {
            const int64_t begin = s * cfg.batch_size, end = std::min(n, begin + cfg.batch_size);
            std::mt19937_64 batch_rng(seeds[s]);
            return training_images(data.train, order_t.slice(0, begin, end), data.augment,
                                   batch_rng);
          },
          2);
    }
    for (int64_t s = 0; s < steps; ++s) {
      const int64_t begin = s * cfg.batch_size, end = std::min(n, begin + cfg.batch_size);
      const auto idx = order_t.slice(0, begin, end);
      auto x = prefetched ? prefetched->next() : training_images(data.train, idx, data.augment, rng);
      x = x.to(device);
      const auto y = data.train.labels.index_select(0, idx).to(device);
      optimizer->zero_grad();
      // Without exits: the final classifier alone, at weight 1.
      const auto outputs = net->forward_exits(x);
      const auto& logits = outputs.back();
      const auto loss = exit_loss(outputs, y, weights);
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value))
        throw TrainingError("training diverged: loss is " + std::to_string(loss_value) +
                            " at epoch " + std::to_string(epoch + 1) + ", step " +
                            std::to_string(s + 1) + " (lr " + std::to_string(lr) +
                            "); lower --lr. Last good checkpoint: epoch " + std::to_string(epoch));
      loss.backward();
      optimizer->step();
      const int64_t b = end - begin;
      loss_sum += loss_value * b;
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      seen += b;
      if (callbacks.step) {
        const double el =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        callbacks.step(
            {epoch + 1, epochs, s + 1, steps, loss_sum / seen, double(correct) / seen, el});
      }
    }
    EpochRecord rec;
    rec.epoch = epoch + 1;
    rec.lr = lr;
    rec.train_loss = loss_sum / seen;
    rec.train_accuracy = double(correct) / seen;
    // Statistics of the epoch's final weights, from the first images of its order (augmented
    // as training saw them) as one batch, so that each norm sees the earlier ones as eval mode
    // will (see batch_norm_recalibration.h); batch norms frozen in this epoch keep theirs, which
    // the weights were fitted to.
    if (cfg.bn_recalibration > 0) {
      const int64_t images =
          std::min(n, cfg.bn_recalibration * static_cast<int64_t>(cfg.batch_size));
      const auto x = training_images(data.train, order_t.slice(0, 0, images), data.augment, rng);
      recalibrate_batch_norm(net, x, images, device);
    }
    // With a validation split, epochs are judged on it and the test set is measured once, after
    // the last epoch: a search that chooses on validation never sees the test set before.
    const bool validated = data.val.size() > 0;
    if (validated) rec.val_accuracy = evaluate(net, data.val, cfg.eval_batch_size, device).top1;
    if (!validated || rec.epoch == epochs) {
      final_test = evaluate(net, data.test, cfg.eval_batch_size, device);
      rec.test_accuracy = final_test->top1;
      rec.test_top5 = final_test->top5;
    } else {
      rec.test_accuracy = rec.test_top5 = -1;
    }
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    result.history.push_back(rec);

    // One epoch's checkpoint, all or nothing: a full disk keeps the previous epoch's files.
    json history = json::array();
    for (const auto& e : result.history) history.push_back(epoch_to_json(e));
    const json state = {{"epochs_done", rec.epoch}, {"history", history}};
    write_files_atomic({{(dir / "model.pt").string(), serialized(net)},
                        {(dir / "optimizer.pt").string(), serialized(*optimizer)},
                        {(dir / "state.json").string(), state.dump(2) + "\n"}});
    if (callbacks.epoch) callbacks.epoch(rec);
  }

  if (std::max(stop, start_epoch) < epochs) {  // stopped at a rung: no metrics.json yet
    result.complete = false;
    if (data.val.size() == 0)
      result.test = evaluate(net, data.test, cfg.eval_batch_size, device);
    else
      result.test.top1 = result.test.top5 = -1;
    return result;
  }
  result.test = final_test ? *final_test : evaluate(net, data.test, cfg.eval_batch_size, device);
  json history = json::array();
  double train_seconds = 0;
  for (const auto& e : result.history) {
    history.push_back(epoch_to_json(e));
    train_seconds += e.seconds;
  }
  write_json_atomic(dir / "metrics.json", {{"test_accuracy", result.test.top1},
                                           {"test_top5", result.test.top5},
                                           {"test_loss", result.test.loss},
                                           {"test_samples", result.test.samples},
                                           {"epochs", epochs},
                                           {"seconds", train_seconds},
                                           {"plan_hash", spec.plan.hash()},
                                           {"history", history}});
  return result;
}

LoadedRun load_run(const std::string& dir_name) {
  const fs::path dir(dir_name);
  LoadedRun r;
  r.spec = load_run_spec(dir.string());
  r.net = build_run_network(r.spec);
  load_weights(r.net, dir, "the run has no finished epoch", "unreadable checkpoint");
  if (fs::exists(dir / "state.json"))
    r.epochs_done = read_json_file((dir / "state.json").string()).value("epochs_done", 0);
  return r;
}

}  // namespace hybridnet::models
