#include "dse/run_data.h"

#include "models/error.h"

namespace hybridnet::dse {

models::DataSplits load_run_data(const models::LoadedRun& run, const std::string& dataset,
                                 const std::string& data_dir, const std::string& checkpoint) {
  models::DataOptions data = run.spec.data;  // same subsets and normalisation as training
  if (!dataset.empty() && dataset != data.name) {
    data = models::DataOptions{};
    data.name = dataset;
  }
  if (!data_dir.empty()) data.dir = data_dir;
  auto splits = models::load_data(data);
  if (splits.channels != run.spec.in_channels || splits.height != run.spec.in_h ||
      splits.width != run.spec.in_w || splits.num_classes != run.spec.num_classes)
    throw DataError(data.name + ": images or classes do not match the network in " + checkpoint);
  return splits;
}

}  // namespace hybridnet::dse
