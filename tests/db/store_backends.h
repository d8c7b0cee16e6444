// The store backends the contract suite (test_store_contract.cpp) runs over: each test opens a
// fresh, empty store of every backend, and may open further connections to the same store (as
// further worker processes would). A new backend adds its entry here.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/store.h"
#include "tests/support.h"

namespace hybridnet::test {

struct StoreUnderTest {
  std::string backend;
  std::string url;                                      ///< what --db would be
  std::function<std::unique_ptr<db::Store>()> connect;  ///< another connection to the same store
};

inline std::vector<std::string> store_backends() { return {"sqlite"}; }

/// A fresh store of `backend` for the test named `test`.
inline StoreUnderTest fresh_store(const std::string& backend, const std::string& test) {
  if (backend == "sqlite") {
    const std::string url = "sqlite:" + (fresh_temp_dir("contract_" + test) / "db.sqlite").string();
    return {backend, url, [url] { return db::open_store(url, db::OpenMode::kReadWrite); }};
  }
  throw std::invalid_argument("unknown store backend " + backend);
}

}  // namespace hybridnet::test
