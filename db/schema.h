// The SQLite schema and its migrations. Migration i takes a database from version i to i + 1;
// a released migration is never edited, a change to the schema is a new one. The README's
// "Database schema" section documents the current tables for users of plain `sqlite3`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hybridnet::db {

/// PRAGMA application_id of every hybridnet database: "HYNT".
inline constexpr int64_t kApplicationId = 0x48594E54;

/// SQL of every migration, index = version it starts from.
const std::vector<std::string>& schema_migrations();

}  // namespace hybridnet::db
