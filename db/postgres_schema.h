// The PostgreSQL schema and its migrations: the same tables and meanings as the SQLite schema
// (db/schema.h), in PostgreSQL's types. Its identity and version live in table hybridnet_meta
// (SQLite keeps them in PRAGMAs). A released migration is never edited.
#pragma once

#include <string>
#include <vector>

namespace hybridnet::db {

/// hybridnet_meta's 'application' row in every hybridnet database.
inline constexpr const char* kPostgresApplication = "hybridnet";

struct PostgresMigration {
  int from = 0, to = 0;  ///< schema versions (the same numbers as SQLite's)
  std::string sql;
};

/// In order; each starts where the previous one ends; the last ends at kSchemaVersion.
const std::vector<PostgresMigration>& postgres_migrations();

}  // namespace hybridnet::db
