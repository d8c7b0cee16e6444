# Sourced by the shell tests that use the test PostgreSQL server (tests/db/postgres_server.sh):
#   pg_test_database ENV_FILE NAME
# reads the server's ENV_FILE (exported), makes database NAME afresh (owned by hybridnet), and
# sets DB (its URL) and psql; sql "QUERY" prints a query's rows unaligned. Needs fail().
pg_test_database() {
  [[ -f $1 ]] || fail "$1: no test PostgreSQL server (the postgres.start fixture)"
  set -a; . "$1"; set +a
  psql=$HYBRIDNET_TEST_PG_BIN/psql
  "$psql" -X -q -v ON_ERROR_STOP=1 "$HYBRIDNET_TEST_PG_ADMIN" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" -c "CREATE DATABASE $2 OWNER hybridnet"
  DB=$HYBRIDNET_TEST_PG_URL/$2
}
sql() { "$psql" -X -Atq "$DB" -c "$1"; }
