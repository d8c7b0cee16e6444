// Runs a trained run directory over training images with the network's observer switched on.
#include "models/activation_capture.h"

#include "models/dataset.h"
#include "models/error.h"
#include "models/trainer.h"

namespace hybridnet::models {

void capture_activations(const std::string& dir, const DataOptions& data,
                         const CaptureOptions& options, const ActivationObserver& observer) {
  if (options.samples < 0) throw ConfigError("--samples must be >= 0");
  if (options.batch_size < 1) throw ConfigError("batch size must be >= 1");
  LoadedRun run = load_run(dir);
  DataOptions d = data;
  d.subset = options.samples;  // the first N training images
  d.val_fraction = 0;
  d.augment = 0;
  const DataSplits splits = load_data(d);
  if (splits.channels != run.spec.in_channels || splits.height != run.spec.in_h ||
      splits.width != run.spec.in_w)
    throw DataError(d.name + ": images are " + std::to_string(splits.height) + "x" +
                    std::to_string(splits.width) + "x" + std::to_string(splits.channels) +
                    " but the network in " + dir + " takes " + std::to_string(run.spec.in_h) + "x" +
                    std::to_string(run.spec.in_w) + "x" + std::to_string(run.spec.in_channels));
  set_intra_op_threads(options.threads);
  torch::NoGradGuard no_grad;
  run.net->eval();
  run.net->set_plain(options.plain);
  run.net->set_observer(observer);
  const int64_t n = splits.train.size();
  for (int64_t i = 0; i < n; i += options.batch_size)
    run.net->forward(dataset_rows(splits.train, i, std::min(n, i + options.batch_size)));
  run.net->set_observer({});
}

}  // namespace hybridnet::models
