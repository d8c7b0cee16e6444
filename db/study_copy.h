// `hybridnet db copy`: a study carried from one store to another (a cluster's PostgreSQL study
// pulled into a SQLite file for offline pareto, report and export; a local study pushed up).
// Trials keep their keys (ids are the destination's own), settings, state, learning curves,
// operating points and checkpoints; the study's artefacts (analysis profiles) come along.
// Each trial is one transaction in the destination: an interrupted copy is run again, and a
// copy run twice changes nothing the second time.
#pragma once

#include <functional>
#include <string>

#include "db/store.h"

namespace hybridnet::db {

struct CopyReport {
  int studies = 0;
  int added = 0, updated = 0, unchanged = 0;  ///< trials, by ImportOutcome
  int checkpoints = 0;                        ///< trials whose checkpoint came along
  int artifacts = 0;
};

/// Copies study `study` of `from` (every study when empty; ConfigError naming `from_name` and
/// its studies when it has none of that name) into `to`. `progress` (optional) hears each
/// trial as it is copied: (study, trials copied so far, trials in the study).
CopyReport copy_studies(Store& from, Store& to, const std::string& study,
                        const std::function<void(const std::string&, int, int)>& progress = {});

}  // namespace hybridnet::db
