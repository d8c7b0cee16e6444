// `hybridnet evaluate`: test accuracy of a run directory's trained network.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <optional>
#include <nlohmann/json.hpp>

#include "dse/run_data.h"
#include "dse/subcommands.h"
#include "models/error.h"
#include "models/exit_logits.h"
#include "models/npy_file.h"
#include "models/trainer.h"

namespace hybridnet::dse {

struct EvaluateOptions {
  std::string checkpoint;
  std::string export_dir;
  std::string dataset;
  std::string data_dir;
  std::optional<models::Device> device;  // none: the device the run was trained on
  std::string logits;
  int threads = 0;
  bool json = false;
};

// The final classifier's logits of every test image, in dataset order, as [N, classes] .npy.
void write_logits(models::LoadedRun& run, const models::Dataset& test, int batch_size,
                  torch::Device device, const std::string& path) {
  const auto all = models::collect_exit_logits(run.net, test, batch_size, device);
  const int final_output = all.outputs - 1;
  const float* first = all.at(final_output, 0);
  models::write_npy(path, {all.samples, all.classes},
                    std::vector<float>(first, first + all.samples * all.classes));
}

void run_evaluate(EvaluateOptions o) {
  if (o.checkpoint.empty() == o.export_dir.empty())
    throw ConfigError("evaluate needs --checkpoint DIR or --export DIR (one of them)");
  if (o.checkpoint.empty()) o.checkpoint = o.export_dir;  // an export is a loadable run directory
  auto run = models::load_run(o.checkpoint);
  const auto splits = load_run_data(run, o.dataset, o.data_dir, o.checkpoint);
  models::TrainConfig t = run.spec.train;
  models::set_intra_op_threads(o.threads);
  const auto device = models::resolve_device(o.device.value_or(t.device));
  run.net->to(device);
  const auto ev = models::evaluate(run.net, splits.test, t.eval_batch_size, device);
  if (!o.logits.empty()) write_logits(run, splits.test, t.eval_batch_size, device, o.logits);
  if (o.json) {
    std::cout << nlohmann::json{{"test_accuracy", ev.top1},
                                {"test_top5", ev.top5},
                                {"test_loss", ev.loss},
                                {"test_samples", ev.samples},
                                {"dataset", splits.name},
                                {"epochs_done", run.epochs_done},
                                {"plan_hash", run.spec.plan.hash()}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("test_accuracy %.4f  top5 %.4f  loss %.4f  (%lld images of %s, after %d epochs)\n",
                ev.top1, ev.top5, ev.loss, (long long)ev.samples, splits.name.c_str(),
                run.epochs_done);
  }
}

void setup_evaluate(CLI::App& app) {
  auto opt = std::make_shared<EvaluateOptions>();
  auto* sub = app.add_subcommand("evaluate", "Test accuracy of a trained run directory");
  sub->add_option("--checkpoint", opt->checkpoint, "Run directory written by `hybridnet train`");
  sub->add_option("--export", opt->export_dir, "Directory written by `hybridnet export`");
  sub->add_option("--dataset", opt->dataset,
                  "Dataset (default: the run's own, with its test subset)");
  sub->add_option("--data", opt->data_dir, "Directory of the dataset files");
  sub->add_option_function<std::string>(
         "--device",
         [opt](const std::string& s) { opt->device = models::enum_from_string<models::Device>(s, "--device"); },
         "cpu or cuda (default: the run's own)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  sub->add_option("--threads", opt->threads, "Intra-op threads (0 = all cores)");
  sub->add_option("--logits", opt->logits,
                  "Also write the logits of every test image (dataset order) to this .npy file, "
                  "float32 [images, classes]");
  sub->add_flag("--json", opt->json, "Print {\"test_accuracy\", \"test_top5\", ...}");
  sub->callback([opt] { run_evaluate(*opt); });
}

}  // namespace hybridnet::dse
