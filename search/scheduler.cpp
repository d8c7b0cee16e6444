#include "search/scheduler.h"

namespace hybridnet::search {

std::optional<Assignment> GridScheduler::next(const std::string& worker) {
  auto trial = store_.claim_trial(study_, worker, stale_seconds_);
  if (!trial) return std::nullopt;
  return Assignment{std::move(*trial), 0};
}

}  // namespace hybridnet::search
