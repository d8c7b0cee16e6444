// Error types: every user-facing failure is one of these; dse/main.cpp prints one line and exits
// non-zero. Internal invariants use assert/TORCH_CHECK instead.
#pragma once

#include <stdexcept>
#include <string>

namespace hybridnet {

/// Base of all errors a user can cause (bad input, missing data, a diverging run).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A plan, search space or option that is malformed or out of range.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// A dataset or checkpoint that is missing, truncated or malformed.
class DataError : public Error {
 public:
  using Error::Error;
};

/// A database that cannot be opened, is not ours, or is corrupt.
class StorageError : public Error {
 public:
  using Error::Error;
};

/// A training run that cannot continue (NaN/inf loss).
class TrainingError : public Error {
 public:
  using Error::Error;
};

}  // namespace hybridnet
