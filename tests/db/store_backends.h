// The store backends the contract suite (test_store_contract.cpp) runs over: each test opens a
// fresh, empty store of every backend, and may open further connections to the same store (as
// further worker processes would). A new backend adds its entry here. PostgreSQL runs on the
// test server of tests/db/postgres_server.sh (a CTest fixture), one fresh database per test.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "db/store.h"
#include "tests/support.h"
#ifdef HYBRIDNET_WITH_POSTGRES
#include "tests/db/postgres_test_server.h"
#endif

namespace hybridnet::test {

struct StoreUnderTest {
  std::string backend;
  std::string url;                                      ///< what --db would be
  std::function<std::unique_ptr<db::Store>()> connect;  ///< another connection to the same store
};

inline std::vector<std::string> store_backends() {
#ifdef HYBRIDNET_WITH_POSTGRES
  return {"sqlite", "postgresql"};
#else
  return {"sqlite"};
#endif
}

/// A fresh store of `backend` for the test named `test`.
inline StoreUnderTest fresh_store(const std::string& backend, const std::string& test) {
  std::string url;
  if (backend == "sqlite")
    url = "sqlite:" + (fresh_temp_dir("contract_" + test) / "db.sqlite").string();
#ifdef HYBRIDNET_WITH_POSTGRES
  if (backend == "postgresql") url = fresh_postgres_database("contract_" + test);
#endif
  if (url.empty()) throw std::invalid_argument("unknown store backend " + backend);
  return {backend, url, [url] { return db::open_store(url, db::OpenMode::kReadWrite); }};
}

}  // namespace hybridnet::test
