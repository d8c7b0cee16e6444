#include "db/study_copy.h"

#include <map>

#include "models/error.h"

namespace hybridnet::db {

CopyReport copy_studies(Store& from, Store& to, const std::string& study,
                        const std::function<void(const std::string&, int, int)>& progress) {
  std::vector<StudyRecord> studies;
  std::string names;
  for (auto& s : from.studies()) {
    names += (names.empty() ? "" : ", ") + s.name;
    if (study.empty() || s.name == study) studies.push_back(std::move(s));
  }
  if (studies.empty())
    throw ConfigError(from.location() + ": " +
                      (study.empty() ? std::string("has no study to copy")
                                     : "no study '" + study +
                                           "' (it has: " + (names.empty() ? "none" : names) + ")"));
  CopyReport report;
  for (const auto& s : studies) {
    const int64_t target = to.open_study(s.name, s.space);
    ++report.studies;
    for (const auto& [key, value] : from.artifacts(s.id)) {
      to.put_artifact(target, key, value);
      ++report.artifacts;
    }
    const auto trials = from.trials(s.id);
    std::map<int64_t, std::vector<RungRow>> rungs;
    for (auto& r : from.rungs(s.id)) rungs[r.trial_id].push_back(r);
    int done = 0;
    for (const auto& t : trials) {
      TrialCopy copy{t, from.epochs(t.id), from.layers(t.id), from.checkpoint(t.id), rungs[t.id]};
      switch (to.import_trial(target, copy)) {
        case ImportOutcome::kAdded:
          ++report.added;
          report.checkpoints += copy.checkpoint ? 1 : 0;
          break;
        case ImportOutcome::kUpdated:
          ++report.updated;
          report.checkpoints += copy.checkpoint ? 1 : 0;
          break;
        case ImportOutcome::kUnchanged:
          ++report.unchanged;
          break;
      }
      if (progress) progress(s.name, ++done, static_cast<int>(trials.size()));
    }
  }
  return report;
}

}  // namespace hybridnet::db
