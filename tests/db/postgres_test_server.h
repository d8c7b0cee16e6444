// The test PostgreSQL server that tests/db/postgres_server.sh starts (a CTest fixture): its
// address, fresh databases on it, and a restart. Tests find it through HYBRIDNET_TEST_PG_ENV,
// the file the script writes; without it they fail and say how to start one.
#pragma once

#include <string>

namespace hybridnet::test {

struct TestPostgres {
  std::string url;    ///< postgresql://hybridnet@127.0.0.1:PORT (no database)
  std::string admin;  ///< the superuser's URL over the server's socket
  std::string data;   ///< its data directory
  std::string bin;    ///< PostgreSQL's programs (pg_ctl)
};

/// The server (read once); sets PGPASSFILE so that connections as hybridnet authenticate.
const TestPostgres& test_postgres();

/// An empty database named `name` (dropped first if it exists), owned by role hybridnet; its URL.
std::string fresh_postgres_database(const std::string& name);

/// Restarts the server (pg_ctl restart -m fast): every open connection is cut.
void restart_postgres();

/// Runs one SQL statement as the superuser in database `database` (test set-up only).
void postgres_admin_exec(const std::string& database, const std::string& sql);

}  // namespace hybridnet::test
