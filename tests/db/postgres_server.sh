#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: Debian's postgresql (15), a fresh cluster in a
# temporary data directory, listening on 127.0.0.1 and a Unix socket in that directory only.
#   postgres_server.sh start ENV_FILE   initdb + start; writes ENV_FILE (sourced by the tests)
#   postgres_server.sh stop ENV_FILE    stop the server and delete its data directory
# As root, the server runs as the postgres user (PostgreSQL refuses to run as root). The tests
# connect as role hybridnet with a random password kept in a passfile (PGPASSFILE), never on a
# command line; the superuser connects over the socket with trust (for CREATE DATABASE).
set -euo pipefail
action=${1:?usage: $0 start|stop ENV_FILE}
env_file=${2:?usage: $0 start|stop ENV_FILE}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $bin/initdb ]] || { echo "FAIL: no PostgreSQL server (apt-get install postgresql)" >&2; exit 1; }
as_server() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

if [[ $action == stop ]]; then
  [[ -f $env_file ]] || exit 0
  data=$(sed -n "s/^HYBRIDNET_TEST_PG_DATA='\\(.*\\)'$/\\1/p" "$env_file")
  if [[ -n $data && -d $data ]]; then
    as_server "$bin/pg_ctl" -D "$data" -m immediate -w stop > /dev/null 2>&1 || true
    rm -rf "$data"
  fi
  rm -f "$env_file" "$env_file.pass"
  exit 0
fi
[[ $action == start ]] || { echo "usage: $0 start|stop ENV_FILE" >&2; exit 2; }
"$0" stop "$env_file"  # a server left by an interrupted run

data=$(mktemp -d /tmp/hybridnet-pg.XXXXXX)
chmod 700 "$data"
[[ $(id -u) -eq 0 ]] && chown postgres: "$data"
as_server "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-sync --auth-local=trust \
  --auth-host=scram-sha-256 > "$data.initdb.log" 2>&1 || { cat "$data.initdb.log" >&2; exit 1; }
rm -f "$data.initdb.log"
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
cat > "$data/pg_hba.conf.new" <<HBA
local all postgres trust
local all all scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
HBA
as_server cp "$data/pg_hba.conf.new" "$data/pg_hba.conf" 2>/dev/null || cp "$data/pg_hba.conf.new" "$data/pg_hba.conf"
rm -f "$data/pg_hba.conf.new"

# A free port: the first one the server starts on (another server, or another build's, may hold
# one). The load test opens 32 workers beside the other tests: room for 300 connections.
port=
for p in $(seq 55432 55532); do
  if as_server "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
       -o "-p $p -k $data -h 127.0.0.1 -c fsync=off -c max_connections=300" start > /dev/null 2>&1; then
    port=$p
    break
  fi
done
[[ -n $port ]] || { echo "FAIL: the test PostgreSQL server did not start:" >&2; tail -5 "$data/server.log" >&2; exit 1; }

psql_admin() { "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$data" -p "$port" -U postgres -d postgres "$@"; }
psql_admin -c "CREATE ROLE hybridnet LOGIN CREATEDB PASSWORD '$password'"
umask 077
printf '*:%s:*:hybridnet:%s\n' "$port" "$password" > "$env_file.pass"
cat > "$env_file" <<ENV
HYBRIDNET_TEST_PG_URL='postgresql://hybridnet@127.0.0.1:$port'
HYBRIDNET_TEST_PG_ADMIN='postgresql://postgres@/postgres?host=$data&port=$port'
HYBRIDNET_TEST_PG_DATA='$data'
HYBRIDNET_TEST_PG_BIN='$bin'
PGPASSFILE='$env_file.pass'
ENV
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $data"
