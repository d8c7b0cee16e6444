#!/usr/bin/env bash
# A sweep on the test PostgreSQL server (tests/db/postgres_server.sh), as on a cluster whose
# machines share no file system: two workers, each with run directories of its own.
#  - worker A trains until a trial has a finished epoch, then dies (SIGKILL);
#  - worker B (another --runs) resumes that trial from the checkpoint A left in the server
#    (its first epoch is not trained again) and finishes the study; every trial done once;
#  - worker C (no run files) warm-starts a pca trial from the baseline B trained: the
#    baseline's network comes from the server;
#  - the query commands read the study from the server; `db copy` pulls it into a SQLite file
#    whose front is the same, and a trial exported offline from it reproduces its accuracy.
# Usage: postgres_sweep.sh HYBRIDNET WORKDIR PG_ENV_FILE
set -euo pipefail
HN=$1; WORK=$2; ENV_FILE=$3
. "$(dirname "$0")/../db/pg_test_database.sh"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }
pg_test_database "$ENV_FILE" cli_sweep

cat > space.json <<JSON
{"study": "cluster", "arch": "resnet8",
 "data": {"name": "synthetic", "synthetic_train": 1536, "synthetic_test": 128},
 "train": {"epochs": 3, "optimizer": "adam", "batch_size": 64},
 "analysis": {"samples": 256},
 "families": {"xnor": {}, "fp": {}, "pca": {"delta": 1}}}
JSON

"$HN" sweep --space space.json --db "$DB" --runs runs-a --jobs 1 --threads 1 > a.out 2> a.err &
a=$!
for _ in $(seq 1 600); do  # until a running trial has a finished epoch (and its checkpoint)
  [[ $(sql "SELECT count(*) FROM checkpoints c JOIN trials t ON t.id = c.trial_id WHERE t.state = 'running'" 2>/dev/null || echo 0) -gt 0 ]] && break
  kill -0 $a 2> /dev/null || { cat a.err; fail "worker A ended before it was killed"; }
  sleep 0.2
done
kill -9 $a; wait $a 2> /dev/null || true
cat a.err
victim=$(sql "SELECT t.id FROM trials t JOIN checkpoints c ON c.trial_id = t.id WHERE t.state = 'running'")
[[ -n $victim ]] || fail "no running trial with a checkpoint when A was killed"
epoch1=$(sql "SELECT seconds FROM epochs WHERE trial_id = $victim AND epoch = 1")
echo "worker A killed in trial #$victim after epoch 1 ($epoch1 s)"

"$HN" status --db "$DB" | tee status.out
grep -q "1 running" status.out || fail "status (PostgreSQL) does not show the killed trial running"

"$HN" sweep --space space.json --db "$DB" --runs runs-b --jobs 1 --threads 1 > b.out 2> b.err ||
  { cat b.err; fail "worker B failed"; }
cat b.err
grep -q "attempt 2, resumes from its checkpoint" b.err || fail "B did not resume the trial"
[[ $(sql "SELECT seconds FROM epochs WHERE trial_id = $victim AND epoch = 1") == "$epoch1" ]] ||
  fail "trial #$victim's first epoch was trained again (no resume from the server's checkpoint)"
[[ -z $(ls runs-b/cluster/trial-$(printf %04d $victim)/ | grep -v attempt-2) ]] || fail "unexpected run files"
[[ $(sql "SELECT count(*) FROM trials WHERE state = 'done'") -eq 3 ]] || fail "not every trial done"
[[ $(sql "SELECT attempts FROM trials WHERE id = $victim") -eq 2 ]] || fail "the killed trial ran more than twice"
[[ $(sql "SELECT count(*) FROM trials WHERE state = 'done' AND attempts = 1") -eq 2 ]] || fail "a trial was trained twice"
for id in $(sql "SELECT id FROM trials"); do
  [[ $(sql "SELECT count(*) FROM epochs WHERE trial_id = $id") -eq 3 ]] || fail "trial $id lacks epochs"
done

# Worker C, with no run files at all, warm-starts pca from the XNOR baseline another worker
# trained: the baseline's network comes from the server.
sed 's/"analysis": {"samples": 256},/"analysis": {"samples": 256}, "init": "baseline",/' space.json > warm.json
"$HN" sweep --space warm.json --db "$DB" --runs runs-c --jobs 1 --threads 1 > c.out 2> c.err ||
  { cat c.err; fail "worker C failed"; }
cat c.err
grep -q "^done  #[0-9]* pca" c.err || fail "the warm-started pca trial did not finish"
[[ -f runs-c/cluster/trial-0001/attempt-2/model.pt ]] || fail "the baseline's network was not fetched"
[[ $(sql "SELECT count(*) FROM trials WHERE state = 'done'") -eq 4 ]] || fail "expected 4 done trials"

# The query commands on the server.
"$HN" studies --db "$DB" | grep -q "cluster" || fail "studies"
"$HN" trials --db "$DB" | tee trials.out | grep -q "pca" || fail "trials"
"$HN" show --db "$DB" --trial "$victim" | grep -q "state done" || fail "show"
"$HN" pareto --db "$DB" --json > pareto-server.json || fail "pareto"
"$HN" report --db "$DB" --out report.html > /dev/null || fail "report"

# Pulled into a SQLite file: the same front, and an offline export from the server's checkpoints.
"$HN" db copy --from "$DB" --to local.sqlite | tee copy.out
grep -q "4 trial(s) added" copy.out || fail "db copy did not add the 4 trials"
"$HN" db copy --from "$DB" --to local.sqlite | grep -q "0 trial(s) added, 0 updated" || fail "a second copy changed something"
"$HN" pareto --db local.sqlite --json > pareto-local.json
node -e "
  const f = p => JSON.parse(require('fs').readFileSync(p));
  const rows = j => (Array.isArray(j) ? j : (j.front || j.points || j.trials || j))
    .map(r => [r.family, JSON.stringify(r.params), r.accuracy, r.energy_pj]);
  const a = JSON.stringify(rows(f('pareto-server.json'))), b = JSON.stringify(rows(f('pareto-local.json')));
  if (a !== b) throw new Error('fronts differ:\n' + a + '\n' + b);
  console.log('front on the server and in the copy: ' + a);
" || fail "the copied front differs"
local_id=$("$HN" trials --db local.sqlite --csv | awk -F, '$2 == "pca" {print $1}' | tail -1)
"$HN" export --db local.sqlite --trial "$local_id" --out export > /dev/null || fail "offline export"
stored=$("$HN" show --db local.sqlite --trial "$local_id" --json | sed -n 's/^  "accuracy": \([^,]*\),*$/\1/p')
measured=$("$HN" evaluate --export export --json | sed -n 's/^  "test_accuracy": \([^,]*\),*$/\1/p')
echo "pca trial: stored accuracy $stored, evaluate --export $measured"
[[ -n "$stored" && "$stored" == "$measured" ]] || fail "export accuracy $measured != stored $stored"
echo "PASS postgres sweep"
