// `hybridnet train`: trains one plan on one dataset into a resumable run directory.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "dse/cli_common.h"
#include "dse/cli_validators.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "models/presets.h"
#include "models/trainer.h"

namespace hybridnet::dse {

struct TrainOptions {
  std::string model;  // empty: resnet20 for presets, the file's own arch for plan files
  std::string plan = "xnor";
  std::string out;
  models::DataOptions data;
  models::TrainConfig train;
  models::ExitTraining exits;
  bool augment = false, no_augment = false;
  std::optional<double> lr;  // unset: the optimizer's default
  std::string init_from;
};

void run_train(TrainOptions o) {
  if (o.augment && o.no_augment)
    throw hybridnet::ConfigError("--augment and --no-augment exclude each other");
  o.data.augment = o.augment ? 1 : o.no_augment ? 0 : -1;
  o.train.lr = o.lr ? *o.lr : o.train.default_lr();
  models::validate(o.train);
  const auto plan = models::resolve_plan_argument(o.plan, o.model);
  const int early_exits = static_cast<int>(plan.exits.size());
  models::exit_loss_weights(o.exits, early_exits);  // bad --exit-* options fail before loading
  const auto data = models::load_data(o.data);

  auto spec = models::make_run_spec(plan, o.data, data, o.train);
  spec.exit_training = o.exits;
  spec.init_from = o.init_from;
  const int epochs = models::total_epochs(o.train, o.exits, early_exits);
  std::fprintf(stderr,
               "training %s plan %s on %s: %lld train / %lld val / %lld test images, %d epochs, "
               "batch %d, %s lr %g, out %s\n",
               plan.arch.c_str(), plan.hash().c_str(), data.name.c_str(),
               (long long)data.train.size(), (long long)data.val.size(),
               (long long)data.test.size(), epochs, o.train.batch_size, to_string(o.train.optimizer).c_str(),
               o.train.lr, o.out.c_str());

  // On a terminal a live line per step; in a log a plain line every quarter epoch.
  const bool tty = isatty(STDERR_FILENO);
  models::TrainCallbacks callbacks;
  callbacks.step = [&](const models::TrainProgress& p) {
    const double eta = p.elapsed_seconds / p.step * (p.steps - p.step);
    if (tty) {
      std::fprintf(stderr, "\r  epoch %d/%d  step %lld/%lld  loss %.4f  acc %.4f  ETA %.0fs   ",
                   p.epoch, p.epochs, (long long)p.step, (long long)p.steps, p.loss, p.accuracy,
                   eta);
      if (p.step == p.steps) std::fprintf(stderr, "\r%80s\r", "");
    } else if (p.step < p.steps && p.step % std::max<int64_t>(1, p.steps / 4) == 0) {
      std::fprintf(stderr, "  epoch %d/%d  step %lld/%lld  loss %.4f  acc %.4f  ETA %.0fs\n",
                   p.epoch, p.epochs, (long long)p.step, (long long)p.steps, p.loss, p.accuracy,
                   eta);
    }
  };
  callbacks.epoch = [&](const models::EpochRecord& e) {
    // With a validation split the test set is measured after the last epoch only.
    std::string val, test;
    if (e.val_accuracy >= 0) val = "  val acc " + std::to_string(e.val_accuracy).substr(0, 6);
    if (e.test_accuracy >= 0) test = "  test acc " + std::to_string(e.test_accuracy).substr(0, 6);
    std::fprintf(stderr, "epoch %d/%d: loss %.4f  train acc %.4f%s%s  (%.1f s)\n", e.epoch, epochs,
                 e.train_loss, e.train_accuracy, val.c_str(), test.c_str(), e.seconds);
  };
  const auto result = models::train_run(spec, data, o.out, callbacks);
  if (result.resumed_from_epoch > 0)
    std::fprintf(stderr, "resumed after epoch %d of %d\n", result.resumed_from_epoch, epochs);
  std::printf("test_accuracy %.4f  top5 %.4f  (%lld images)  run %s\n", result.test.top1,
              result.test.top5, (long long)result.test.samples, o.out.c_str());
}

void add_data_options(CLI::App* sub, models::DataOptions& d) {
  sub->add_option("--dataset", d.name, "Dataset: " + join(models::known_datasets()))
      ->capture_default_str();
  sub->add_option("--data", d.dir,
                  "Directory of the dataset files (default: /usr/share/datasets/fashion-mnist for "
                  "fashion-mnist, data/NAME otherwise; required for folder: DIR/train/<class>/...)");
  sub->add_option("--subset", d.subset, "Use the first N training images (0 = all)")
      ->capture_default_str();
  sub->add_option("--test-subset", d.test_subset, "Use the first N test images (0 = all)")
      ->capture_default_str();
  // Image folders: DIR/train/<class>/*.jpg|png, DIR/val/<class>/... (see README).
  sub->add_option_function<std::string>(
         "--input",
         [&d](const std::string& v) {
           int h = 0, w = 0;
           char x = 0, rest = 0;
           if (std::sscanf(v.c_str(), "%d%c%d%c", &h, &x, &w, &rest) != 3 || (x != 'x' && x != 'X'))
             throw CLI::ValidationError("--input", "expected HxW, such as 224x224, not '" + v + "'");
           d.input = {h, w};
         },
         "Folder dataset: crop size HxW (default 224x224)");
  sub->add_option("--channels", d.channels, "Folder dataset: 3 (RGB) or 1 (grey)")
      ->capture_default_str();
  sub->add_flag("--strict", d.strict,
                "Folder dataset: an unreadable image is an error (default: skipped with a warning)");
}

void setup_train(CLI::App& app) {
  auto opt = std::make_shared<TrainOptions>();
  auto* sub = app.add_subcommand("train", "Train one plan on one dataset into a run directory");
  sub->add_option("--model", opt->model, model_help());
  sub->add_option("--plan", opt->plan, "Preset spec or plan JSON file")->capture_default_str();
  sub->add_option("--out", opt->out,
                  "Run directory: checkpoint after every epoch, plan.json, metrics.json. "
                  "Running again with the same options resumes; more --epochs continues")
      ->required();
  add_data_options(sub, opt->data);
  sub->add_option("--init-from", opt->init_from,
                  "Start from the trained weights of this run directory (same architecture, any "
                  "precisions: fine-tune a hybrid from its XNOR baseline) instead of from scratch");
  sub->add_option("--val-fraction", opt->data.val_fraction,
                  "Fraction of the training images held out for validation")
      ->capture_default_str();
  sub->add_flag("--augment", opt->augment, "Random crop (pad 4) + horizontal flip (CIFAR default)");
  sub->add_flag("--no-augment", opt->no_augment, "No augmentation");
  sub->add_flag("--no-normalize{false}", opt->data.normalize,
                "Keep pixels in [0, 1] instead of the dataset's per-channel mean/std");
  auto& t = opt->train;
  sub->add_option("--epochs", t.epochs, "Epochs")->check(at_least(1))->capture_default_str();
  sub->add_option("--batch-size", t.batch_size, "Batch size")
      ->check(at_least(1))
      ->capture_default_str();
  add_enum_option(*sub, "--optimizer", t.optimizer, "sgd or adam");
  sub->add_option("--lr", opt->lr, "Initial learning rate (default 0.1 for sgd, 0.001 for adam)");
  sub->add_option("--momentum", t.momentum, "SGD momentum")->capture_default_str();
  sub->add_flag("--nesterov", t.nesterov, "Nesterov momentum (SGD)");
  sub->add_option("--weight-decay", t.weight_decay, "Weight decay")->capture_default_str();
  add_enum_option(*sub, "--schedule", t.schedule,
                  "Learning-rate schedule: cosine, step or constant");
  sub->add_option("--step-size", t.step_size, "Step schedule: epochs per decay (0 = epochs/3)")
      ->capture_default_str();
  sub->add_option("--lr-decay", t.gamma, "Step schedule: factor of each learning-rate decay")
      ->check(in_range(0.0, 1.0))
      ->capture_default_str();
  // --gamma is analyze's metric weight; here it was the step decay.
  add_renamed_option(*sub, "--gamma",
                     "train: --gamma is now --lr-decay (the step schedule's factor)");
  sub->add_option("--seed", t.seed, "Seed (same seed, same result on CPU)")->capture_default_str();
  add_enum_option(*sub, "--device", t.device, "cpu or cuda (cuda needs a LibTorch with CUDA)");
  sub->add_option("--threads", t.threads, "Intra-op threads (0 = all cores)")
      ->capture_default_str();
  sub->add_option("--max-steps", t.max_steps, "Cap on steps per epoch (0 = whole epoch)")
      ->capture_default_str();
  add_enum_option(*sub, "--kbit-input-grad", t.kbit_input_grad,
                  "Gradient of k-bit input quantizers outside [-1, 1]: clipped (zero, as for "
                  "sign) or identity (the PCA paper's text)");
  add_enum_option(*sub, "--kbit-weight-scale", t.kbit_weight_scale,
                  "Grid of k-bit weights: mse (least-squares scale per filter) or max "
                  "(W / max|W|, DoReFa)");
  sub->add_flag("--alpha-grad", t.alpha_grad,
                "Differentiate the weights' scale alpha (XNOR-Net); default: alpha is a constant");
  sub->add_option("--kbit-input-gain", t.kbit_input_gain,
                  "Initial gamma of the batch norms before k-bit input quantizers: their range "
                  "[-1, 1] spans +-1/gain standard deviations")
      ->capture_default_str();
  sub->add_option("--bn-recalibration", t.bn_recalibration,
                  "Batch-norm statistics are recomputed before every evaluation and checkpoint "
                  "from this many batches' worth of training images, run as one batch (0 = "
                  "running averages)")
      ->capture_default_str();
  sub->add_option("--bn-freeze-epochs", t.bn_freeze_epochs,
                  "Final epochs trained on frozen batch-norm statistics, as evaluation uses them "
                  "(when the run has more epochs)")
      ->capture_default_str();
  add_enum_option(*sub, "--exit-training", opt->exits.mode,
                  "Plans with early exits: joint (loss sum_k lambda_k CE_k) or separate (train "
                  "the backbone, freeze it, train the exits)");
  sub->add_option("--exit-lambdas", opt->exits.lambdas,
                  "Joint training: loss weight of each early exit, comma separated (default 0.6 "
                  "shared by the early exits; the final classifier gets 1 - their sum)")
      ->delimiter(',');
  sub->add_option("--exit-epochs", opt->exits.exit_epochs,
                  "Separate training: epochs of the exits after the backbone's (0 = --epochs)")
      ->capture_default_str();
  sub->footer(preset_help());
  sub->callback([opt] { run_train(*opt); });
}

}  // namespace hybridnet::dse
