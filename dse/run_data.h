// The data a trained run is evaluated on: its own dataset and test subset, or another dataset
// of the same image shape and class count.
#pragma once

#include <string>

#include "models/trainer.h"

namespace hybridnet::dse {

/// `dataset` / `data_dir` empty: the run's own. Throws DataError naming `checkpoint` when the
/// images or classes do not fit the network.
models::DataSplits load_run_data(const models::LoadedRun& run, const std::string& dataset,
                                 const std::string& data_dir, const std::string& checkpoint);

}  // namespace hybridnet::dse
