#!/usr/bin/env bash
# The PostgreSQL store under load (loopback only, bounded in time): 32 worker processes
# (store_load_worker: simulated trials of 1.2-3.6 s, sleeps for training) on one study of 256
# trials; 4 of them (over 10%) SIGKILLed at random moments, and the server restarted once between
# the kills. Checks: every trial done, each finished exactly once (one accepted finish per trial),
# every trial of a killed worker reclaimed within 2x the staleness limit; prints the share of the
# workers' trial time spent in store calls, what idle workers' polling cost and what the restart
# cost.
# Usage: store_load.sh STORE_LOAD_WORKER WORKDIR PG_ENV_FILE
set -euo pipefail
WORKER=$1; WORK=$2; PG_ENV=$3
. "$(dirname "$0")/pg_test_database.sh"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }
pg_test_database "$PG_ENV" store_load
now() { date +%s.%N; }
calc() { awk "BEGIN {print $1}"; }
holds() { awk "BEGIN {exit !($1)}"; }
TRIALS=256 WORKERS=32 STALE=1 KILLS=4
export HYBRIDNET_PG_RECONNECT_SECONDS=60

restart_server() {
  local ctl=("$HYBRIDNET_TEST_PG_BIN/pg_ctl" -D "$HYBRIDNET_TEST_PG_DATA" -m fast -w restart)
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "${ctl[@]}" > /dev/null; else "${ctl[@]}" > /dev/null; fi
}

"$WORKER" --db "$DB" --setup $TRIALS || fail "setup"
declare -a pids
for i in $(seq 1 $WORKERS); do
  "$WORKER" --db "$DB" --name "w$i" --stale $STALE --trial-ms 2400 --epochs 3 > "w$i.out" 2> "w$i.err" &
  pids[$i]=$!
done
start=$(now)
# Kill KILLS workers at random moments, half before the server's restart (at 4 s) and half after
# it. The restart stops every claim for as long as it takes plus the workers' reconnection
# backoff, so kills are kept clear of it (their trials would wait for the server, not for
# staleness): the first half in 0.5-1.5 s (reclaimed before 4 s), the second 3-4.5 s after the
# server is back. Trials whose workers lose their lease in the restart are checked by the
# finishes: each trial finished exactly once.
mapfile -t victims < <(shuf -i 1-$WORKERS -n $KILLS)
killed=0
kill_between() {  # kill_between FROM TO: the next KILLS/2 victims, at random moments FROM-TO s in
  local moment v
  for moment in $(for _ in $(seq 1 $((KILLS / 2))); do
                    calc "$1 + $(shuf -i 0-1000 -n 1) * ($2 - $1) / 1000"
                  done | sort -n); do
    while holds "$(now) - $start < $moment"; do sleep 0.05; done
    v=${victims[$killed]}; killed=$((killed + 1))
    kill -9 "${pids[$v]}" 2> /dev/null || true
    echo "$v $(now)" >> killed.txt
    echo "killed worker w$v at $(calc "$(now) - $start") s"
  done
}
kill_between 0.5 1.5
while holds "$(now) - $start < 4"; do sleep 0.05; done
t0=$(now)
restart_server
back=$(calc "$(now) - $start")
echo "server restarted at $(calc "$t0 - $start") s (took $(calc "$back + $start - $t0") s)"
kill_between "$(calc "$back + 3")" "$(calc "$back + 4.5")"
for i in $(seq 1 $WORKERS); do
  grep -q "^$i " killed.txt && continue
  timeout 180 tail --pid="${pids[$i]}" -f /dev/null || fail "worker w$i still running after 3 minutes"
  wait "${pids[$i]}" || { cat "w$i.err"; fail "worker w$i failed"; }
done
wait 2> /dev/null || true
echo "all workers ended after $(calc "$(now) - $start") s"

[[ $(sql "SELECT count(*) FROM trials WHERE state = 'done'") -eq $TRIALS ]] ||
  fail "$(sql "SELECT count(*) FROM trials WHERE state = 'done'") of $TRIALS trials done"
finishes=$(cat w*.out | grep -c "^finish " || true)
distinct=$(cat w*.out | grep "^finish " | sort -u | wc -l)
[[ $finishes -eq $TRIALS && $distinct -eq $TRIALS ]] ||
  fail "$finishes finishes accepted ($distinct distinct trials) for $TRIALS trials"
for id in $(sql "SELECT id FROM trials WHERE (SELECT count(*) FROM epochs e WHERE e.trial_id = trials.id) <> 3"); do
  fail "trial $id does not have 3 epoch rows"
done

# Each killed worker's trial in hand: reclaimed by another within 2x the staleness limit. The
# next claim is the next attempt of that trial; it may come before the kill when the worker had
# already lost its lease (heartbeats stale across the server restart), and then the worker no
# longer held the trial when it was killed.
while read -r v at; do
  read -r trial attempt < <(awk '$1 == "claim" {t = $2; a = $3} $1 == "finish" && $2 == t {t = ""}
                                 END {print t, a}' "w$v.out")
  [[ -n $trial ]] || { echo "w$v held no trial when killed"; continue; }
  next=$(cat w*.out | awk -v t="$trial" -v a="$attempt" '$1 == "claim" && $2 == t && $3 > a {print $3, $4}' |
         sort -n | head -1 | cut -d' ' -f2)
  [[ -n $next ]] || fail "trial $trial (attempt $attempt) of killed worker w$v was never claimed again"
  if holds "$next < $at"; then
    echo "trial $trial of killed worker w$v: lease already lost, reclaimed $(calc "$at - $next") s before the kill"
    continue
  fi
  delay=$(calc "$next - $at")
  echo "trial $trial of killed worker w$v reclaimed after $delay s (limit $((2 * STALE)) s)"
  holds "$delay <= 2 * $STALE" || fail "trial $trial reclaimed after $delay s"
done < killed.txt

reclaims=$(sql "SELECT coalesce(sum(attempts - 1), 0) FROM trials")
lost=$(cat w*.out | awk '$1 == "summary" {s += $6} END {print s + 0}')
reconnected=$(grep -l "reconnected" w*.err | wc -l)
share=$(cat w*.out | awk '$1 == "summary" {s += $8; t += $10} END {printf "%.2f", 100 * s / t}')
per_call=$(cat w*.out | awk '$1 == "summary" {s += $8; n += $12} END {printf "%.2f", 1000 * s / n}')
idle=$(cat w*.out | awk '$1 == "summary" {s += $14; n += $16} END {printf "%d calls, %.2f ms each", n, n ? 1000 * s / n : 0}')
outage=$(cat w*.out | awk '$1 == "summary" {s += $18; n += $20} END {printf "%d calls waited %.1f s in all", n, s}')
echo "trials: $TRIALS done once each; $reclaims reclaimed ($KILLS kills, $lost dropped by workers that lost their lease in the restart)"
echo "server restart: $reconnected of $WORKERS workers reconnected"
echo "store calls in trials: $share% of the workers' trial time (target < 1%), $per_call ms per call"
echo "store calls of idle workers (claims that found nothing, looks at the study): $idle"
echo "store calls that waited for the server in its restart (0.2 s or more, left out above): $outage"
echo "PASS store load"
