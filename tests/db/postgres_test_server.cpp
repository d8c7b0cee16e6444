#include "tests/db/postgres_test_server.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <pqxx/pqxx>
#include <stdexcept>

namespace hybridnet::test {

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The admin URL for another database: same socket, other dbname.
std::string admin_url(const std::string& database) {
  const std::string& admin = test_postgres().admin;
  const auto slash = admin.find("@/");
  const auto query = admin.find('?');
  return admin.substr(0, slash + 2) + database + admin.substr(query);
}

}  // namespace

const TestPostgres& test_postgres() {
  static const TestPostgres server = [] {
    const char* env = std::getenv("HYBRIDNET_TEST_PG_ENV");
    if (!env || !*env)
      throw std::runtime_error(
          "no test PostgreSQL server: run tests/db/postgres_server.sh start ENV_FILE and set "
          "HYBRIDNET_TEST_PG_ENV=ENV_FILE (ctest does both)");
    std::ifstream in(env);
    if (!in)
      throw std::runtime_error(std::string(env) +
                               ": no such file (did the postgres.start fixture run?)");
    std::map<std::string, std::string> vars;
    for (std::string line; std::getline(in, line);) {
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'')
        value = value.substr(1, value.size() - 2);
      vars[line.substr(0, eq)] = value;
    }
    ::setenv("PGPASSFILE", vars["PGPASSFILE"].c_str(), 1);
    return TestPostgres{vars["HYBRIDNET_TEST_PG_URL"], vars["HYBRIDNET_TEST_PG_ADMIN"],
                        vars["HYBRIDNET_TEST_PG_DATA"], vars["HYBRIDNET_TEST_PG_BIN"]};
  }();
  return server;
}

void postgres_admin_exec(const std::string& database, const std::string& sql) {
  pqxx::connection c(admin_url(database));
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

std::string fresh_postgres_database(const std::string& name) {
  const auto& server = test_postgres();
  pqxx::connection c(server.admin);
  pqxx::nontransaction tx(c);
  tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name) + " WITH (FORCE)");
  tx.exec("CREATE DATABASE " + tx.quote_name(name) + " OWNER hybridnet");
  return server.url + "/" + name;
}

void restart_postgres() {
  const auto& server = test_postgres();
  std::string command = shell_quote(server.bin + "/pg_ctl") + " -D " + shell_quote(server.data) +
                        " -m fast -w restart > /dev/null 2>&1";
  if (::geteuid() == 0) command = "runuser -u postgres -- " + command;
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("pg_ctl restart of the test server failed");
}

}  // namespace hybridnet::test
