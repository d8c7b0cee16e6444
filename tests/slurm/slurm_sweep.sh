#!/usr/bin/env bash
# The example job array (examples/slurm/sweep.sbatch) on the test Slurm cluster
# (tests/slurm/cluster.sh) and the test PostgreSQL server: 3 tasks, 1 CPU each, on one study.
# One task is cancelled (scancel) while its trial is between epochs 1 and 3. Checks: every
# trial done exactly once, the cancelled task's trial taken over by another task and resumed
# from its checkpoint (its first epoch not trained again), and the front and every accuracy
# equal to the same space swept into SQLite by one process with pinned threads.
# Usage: slurm_sweep.sh HYBRIDNET WORKDIR PG_ENV_FILE SLURM_ENV_FILE
set -euo pipefail
HN=$1; WORK=$2; PG_ENV=$3; SLURM_ENV=$4
SBATCH_SCRIPT=$(cd "$(dirname "$0")/../../examples/slurm" && pwd)/sweep.sbatch
. "$(dirname "$0")/../db/pg_test_database.sh"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ -f $SLURM_ENV ]] || fail "$SLURM_ENV: no test Slurm cluster (the slurm.start fixture)"
set -a; . "$SLURM_ENV"; set +a
pg_test_database "$PG_ENV" slurm_sweep
# Run files in this test's own scratch (the example's default is $TMPDIR/hybridnet-runs-JOBID).
export HYBRIDNET_DB=$DB HYBRIDNET=$HN TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

cat > space.json <<JSON
{"study": "slurm", "arch": "resnet8",
 "data": {"name": "synthetic", "synthetic_train": 1536, "synthetic_test": 128},
 "train": {"epochs": 3, "optimizer": "adam", "batch_size": 64},
 "families": {"fp": {}, "xnor": {}, "quantized-k": {"k": [2, 3]}, "hybrid-res-a": {}}}
JSON

job=$(sbatch --parsable --array=0-2 --cpus-per-task=1 --output="$WORK/task-%a.out" \
        "$SBATCH_SCRIPT" "$WORK/space.json") || fail "sbatch refused the example"
echo "submitted job array $job"
finish() { scancel "$job" 2> /dev/null || true; }
trap finish EXIT

# A running trial with a checkpoint (epoch 1 done) and not yet at its last epoch: cancel its task.
victim=
for _ in $(seq 1 900); do
  victim=$(sql "SELECT t.id FROM trials t JOIN checkpoints c ON c.trial_id = t.id WHERE t.state = 'running' AND c.epochs = 1 LIMIT 1" 2> /dev/null || true)
  [[ -n $victim ]] && break
  sleep 0.1
done
[[ -n $victim ]] || { cat task-*.out; fail "no trial reached a checkpoint in 90 s"; }
worker=$(sql "SELECT worker FROM trials WHERE id = $victim")
pid=$(echo "$worker" | cut -d: -f2)
task=$(tr '\0' '\n' < "/proc/$pid/environ" | sed -n 's/^SLURM_ARRAY_TASK_ID=//p')
[[ -n $task ]] || fail "worker $worker of trial #$victim is not a task of the job array"
epoch1=$(sql "SELECT seconds FROM epochs WHERE trial_id = $victim AND epoch = 1")
scancel "${job}_${task}"
echo "cancelled task $task (worker $worker) in trial #$victim after epoch 1 ($epoch1 s)"
# The query commands on the server while the other tasks train.
"$HN" status --db "$HYBRIDNET_DB" > status-live.out || fail "status while the array runs"
"$HN" pareto --db "$HYBRIDNET_DB" > pareto-live.out || fail "pareto while the array runs"
"$HN" trials --db "$HYBRIDNET_DB" --csv > trials-live.csv || fail "trials while the array runs"
grep -q "^study slurm: " status-live.out || fail "status shows no study"

for _ in $(seq 1 2400); do  # until every task of the array has ended (4 minutes at most)
  [[ -z $(squeue -h -j "$job" 2> /dev/null) ]] && break
  sleep 0.1
done
[[ -z $(squeue -h -j "$job") ]] || { squeue; fail "the job array is still running after 4 minutes"; }
trap - EXIT
for f in task-*.out; do echo "== $f"; cat "$f"; done

grep -q "interrupted #$victim" "task-$task.out" || fail "the cancelled task did not interrupt trial #$victim"
grep -l "start #$victim .*(attempt 2, resumes from its checkpoint)" task-*.out | grep -vq "task-$task.out" ||
  fail "no other task resumed trial #$victim"
[[ $(sql "SELECT seconds FROM epochs WHERE trial_id = $victim AND epoch = 1") == "$epoch1" ]] ||
  fail "trial #$victim's first epoch was trained again"
total=$(sql "SELECT count(*) FROM trials")
[[ $(sql "SELECT count(*) FROM trials WHERE state = 'done'") -eq $total ]] || fail "not every trial is done"
[[ $(sql "SELECT attempts FROM trials WHERE id = $victim") -eq 2 ]] || fail "trial #$victim ran more than twice"
[[ $(sql "SELECT count(*) FROM trials WHERE attempts = 1") -eq $((total - 1)) ]] || fail "a trial was trained twice"
for id in $(sql "SELECT id FROM trials"); do
  [[ $(sql "SELECT count(*) FROM epochs WHERE trial_id = $id") -eq 3 ]] || fail "trial $id lacks epochs"
done
starts=$(cat task-*.out | grep -c "^start #" || true)
[[ $starts -eq $((total + 1)) ]] || fail "$starts trial starts for $total trials and one resume"

# The same space, one process, pinned threads, into SQLite: the same accuracies and front.
"$HN" sweep --space space.json --db ref.sqlite --jobs 1 --threads 1 > ref.out 2> ref.err ||
  { cat ref.err; fail "the reference sweep failed"; }
"$HN" trials --db "$HYBRIDNET_DB" --json > cluster-trials.json
"$HN" trials --db ref.sqlite --json > ref-trials.json
"$HN" pareto --db "$HYBRIDNET_DB" --json > cluster-front.json
"$HN" pareto --db ref.sqlite --json > ref-front.json
node -e "
  const f = p => JSON.parse(require('fs').readFileSync(p));
  const list = j => Array.isArray(j) ? j : (j.front || j.points || j.trials);
  const rows = p => list(f(p)).map(r => [r.family, JSON.stringify(r.params), r.accuracy, r.energy_pj])
                              .sort((a, b) => (a[0] + a[1]).localeCompare(b[0] + b[1]));
  for (const [a, b] of [['cluster-trials.json', 'ref-trials.json'], ['cluster-front.json', 'ref-front.json']]) {
    const x = JSON.stringify(rows(a)), y = JSON.stringify(rows(b));
    if (x !== y) throw new Error(a + ' differs from ' + b + ':\n' + x + '\n' + y);
    console.log(a + ' = ' + b + ': ' + x);
  }
" || fail "the cluster's results differ from the reference sweep"
echo "PASS slurm sweep"
