// What successive halving would have done on a study whose trials all trained to the full
// budget: the search replayed on their stored learning curves, without training. A trial
// "trains" to a rung by reading its curve there, and finishes with its stored objectives. The
// replay runs the real scheduler and worker pool (one job: a fixed order) on a scratch SQLite
// store, so it shows exactly the trials a one-job search of the same space would have trained
// fully (a trial stopped at a rung and continued is the same network as a full run), at a
// fraction of the epochs. The multi-fidelity experiment (examples/multi_fidelity) scores
// MO-ASHA's promotion rule against ours this way on the same curves.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "db/store.h"
#include "search/pareto.h"
#include "search/search_strategy.h"

namespace hybridnet::search {

struct HalvingReplay {
  std::vector<db::TrialRecord> trials;  ///< the study's trials as the search left them
  int64_t epochs = 0;                   ///< epochs the search trained
};

/// Replays `strategy` over `trials` (done, each with its curve in `curves`: validation
/// accuracy per epoch) in a scratch store under `scratch_dir`. Trials with a priority above
/// the others' (the analysis baselines) train fully, as in a sweep. Returned records keep the
/// ids of `trials`; done ones carry their stored objectives, stopped ones their rung accuracy.
HalvingReplay replay_successive_halving(const std::vector<db::TrialRecord>& trials,
                                        const std::map<int64_t, std::vector<db::EpochRow>>& curves,
                                        const SearchStrategy& strategy,
                                        const std::vector<Objective>& objectives,
                                        const std::string& scratch_dir);

}  // namespace hybridnet::search
