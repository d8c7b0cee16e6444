// hybridnet's exit statuses (README, "Exit statuses"): scripts and schedulers tell a finished
// sweep from one with failed trials or one interrupted with work left.
#pragma once

namespace hybridnet::dse {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;         ///< an error, reported in one line
inline constexpr int kExitUsage = 2;         ///< the command line does not parse
inline constexpr int kExitFailedTrials = 3;  ///< a sweep ended with failed trials in its study
inline constexpr int kExitInterrupted = 130; ///< a sweep stopped by a signal with work left

/// Thrown by a command whose outcome it has already reported, to end with `code`.
struct ExitStatus {
  int code;
};

}  // namespace hybridnet::dse
