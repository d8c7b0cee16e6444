// The PostgreSQL store (db/postgres_store.cpp): for sweeps whose workers run on many machines.
// Built when libpqxx is found (HYBRIDNET_WITH_POSTGRES); open_store() routes
// postgresql:// and postgres:// URLs here.
#pragma once

#include <memory>
#include <string>

#include "db/store.h"

namespace hybridnet::db {

/// Opens the database that libpq connection URI `url` names (postgresql://user@host:port/db;
/// passwords from ~/.pgpass, PGPASSFILE or PGPASSWORD, never needed in the URL). kReadWrite
/// creates or migrates the schema; kReadOnly needs it and never writes. An unreachable server,
/// refused credentials, a database of another program or a newer schema: StorageError, one
/// line naming the URL (its password hidden), nothing written.
std::unique_ptr<Store> open_postgres_store(const std::string& url, OpenMode mode);

/// `url` with any password replaced by *** (for messages and `location()`).
std::string redact_postgres_url(const std::string& url);

/// How long a store whose connection was lost keeps reconnecting before its call fails:
/// HYBRIDNET_PG_RECONNECT_SECONDS, default 600.
int reconnect_seconds();

}  // namespace hybridnet::db
