#!/usr/bin/env bash
# End-to-end sweeps of the real `hybridnet` program on synthetic data (for speed):
#   queries   a failing trial is recorded and the sweep goes on; trials/pareto/show/status output
#   crash     a sweep killed with SIGKILL mid-trial resumes: no trial lost or trained twice
#   share     two sweep processes on one database split the work without duplicates
#   lease     a sweep stopped (SIGSTOP) past --stale-after loses its trial to a second sweep;
#             woken up, it drops the trial and writes nothing more: both exit 0, the trial is
#             done once and its export reproduces the stored accuracy
#   names     a study named "../../escaped" keeps its run files under the runs directory;
#             control characters and overlong names are refused before anything is stored
#   hostile   export refuses a non-empty directory and never writes through links; a sweep
#             with failed trials exits 3 and --retry-failed runs them again; SIGINT with work
#             left exits 130; a read-only store is queried without side files; a full disk
#             (a small tmpfs, root only) fails trials with "disk full" and loses nothing
#   edge      the edge-cloud family: one front point per exit threshold, named in the queries;
#             a later space's new thresholds are scored without retraining
#   perlayer  the per-layer family breeds its second generation from the first's results, in a
#             grid sweep and under successive halving
#   halving   successive halving: killed with SIGKILL mid-search, it resumes to the same fully
#             trained trials; those equal a grid sweep's full runs; queries show rungs and epochs
#   latency   a space that adds the latency objective times the trials already done and each
#             new one with `infer --synthetic`; the front and the queries show it
# Usage: sweep_scenarios.sh HYBRIDNET WORKDIR SCENARIO
set -euo pipefail
HN=$1; WORK=$2; SCENARIO=$3
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
fail() { echo "FAIL: $*" >&2; exit 1; }
# CSV columns: id,family,params,plan_hash,arch,width,state,attempts,... (params is quoted JSON
# without commas in these spaces' single-parameter settings).
csv_count() { "$HN" trials --db db.sqlite --csv | tail -n +2 | grep -c "$1" || true; }

space() {  # space NAME EPOCHS TRAIN_IMAGES FAMILIES_JSON
  cat > space.json <<JSON
{"study": "$1", "arch": "resnet8",
 "data": {"name": "synthetic", "synthetic_train": $3, "synthetic_test": 128},
 "train": {"epochs": $2, "optimizer": "adam", "batch_size": 64},
 "analysis": {"samples": 256},
 "families": $4}
JSON
}

case "$SCENARIO" in
perlayer)
  # The per-layer family: generation 0 drawn from the baseline's profile, generation 1 bred from
  # its results, in a grid sweep and in a successive-halving search (bred from the first rung).
  space p 2 256 '{"xnor": {}, "per-layer": {"bits": [2, 4], "population": 3, "generations": 2}}'
  "$HN" sweep --space space.json --db db.sqlite --jobs 2 > sweep.out 2> sweep.err ||
    { cat sweep.err; fail "grid sweep"; }
  cat sweep.err
  grep -q "per-layer .*generation 2 of 2 bred from 3 evaluated" sweep.err || fail "no second generation"
  gens() {
    "$HN" trials --db "$1" --json | node -e "
      const rows = JSON.parse(require('fs').readFileSync(0));
      const g = rows.filter(r => r.family === 'per-layer').map(r => r.params.generation + ':' + r.state);
      console.log(g.sort().join(' '));"
  }
  got=$(gens db.sqlite); echo "per-layer trials (generation:state): $got"
  [[ $(grep -o "0:done" <<< "$got" | wc -l) -eq 3 ]] || fail "generation 0 is not three done trials"
  [[ $(grep -o "1:done" <<< "$got" | wc -l) -ge 1 ]] || fail "generation 1 was not trained"
  id=$("$HN" trials --db db.sqlite --json | node -e "
    const rows = JSON.parse(require('fs').readFileSync(0));
    console.log(rows.find(r => r.family === 'per-layer' && r.params.generation === 1).id);")
  "$HN" show --db db.sqlite --trial "$id" --json | grep -q '"genome"' || fail "show has no genome"
  # The same space searched by successive halving: generation 1 bred from rung 0's accuracies.
  sed -i 's/"study": "p",/"study": "p-sh", "search": {"strategy": "successive-halving", "rungs": [1, 2]},/' space.json
  "$HN" sweep --space space.json --db sh.sqlite --jobs 1 > sh.out 2> sh.err ||
    { cat sh.err; fail "successive halving"; }
  grep -q "generation 2 of 2 bred from 3 evaluated" sh.err || { cat sh.err; fail "no second generation under successive halving"; }
  got=$(gens sh.sqlite); echo "under successive halving: $got"
  grep -q "1:" <<< "$got" || fail "generation 1 missing under successive halving"
  ;;
halving)
  # Nine plans, rungs of 1, 2 and 4 epochs, eta 3, on a validation split of 64 images.
  families='{"fp": {}, "xnor": {}, "quantized-k": {"k": [2, 3, 4]}, "inter-layer": {"k": [1, 2]},
             "hybrid-res-a": {}, "hybrid-comp-a": {}}'
  space h 4 320 "$families"
  sed -i 's/"synthetic_test": 128}/"synthetic_test": 128, "val_fraction": 0.2}/' space.json
  cp space.json grid.json
  sed -i 's/"study": "h",/"study": "h", "search": {"strategy": "successive-halving", "rungs": [1, 2, 4]},/' space.json
  "$HN" space --space space.json > space.out || fail "space"
  # The reference: an uninterrupted search, one job (its promotions in a fixed order).
  "$HN" sweep --space space.json --db ref.sqlite --jobs 1 --threads 1 > ref.out 2> ref.err ||
    { cat ref.err; fail "reference sweep"; }
  cat ref.err
  grep -q "stopped at a rung" ref.err || fail "no trial stopped at a rung"
  grep -q "epochs an exhaustive sweep would train" ref.err || fail "no epoch count"
  # The same search killed with SIGKILL in the middle (a trial promoted, trials stopped) resumes
  # to the same fully trained trials.
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 --threads 1 > first.out 2> first.err &
  pid=$!
  for _ in $(seq 1 900); do
    grep -q "^start .*attempt 2" first.err 2> /dev/null && break
    sleep 0.2
  done
  grep -q "^start .*attempt 2" first.err || { cat first.err; fail "no promotion in 180 s"; }
  sleep 1
  kill -9 "$pid"; wait "$pid" 2> /dev/null || true
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 --threads 1 > second.out 2> second.err ||
    { cat second.err; fail "resumed sweep"; }
  done_keys() {
    "$HN" trials --db "$1" --json | node -e "
      const rows = JSON.parse(require('fs').readFileSync(0));
      console.log(rows.filter(r => r.state === 'done').map(r => r.plan_hash + ' ' +
        r.accuracy + ' ' + r.test_accuracy).sort().join('\n'));"
  }
  done_keys ref.sqlite > ref.done
  done_keys db.sqlite > resumed.done
  echo "fully trained (plan, validation accuracy, test accuracy):"; cat ref.done
  [[ -s ref.done ]] || fail "no trial fully trained"
  diff ref.done resumed.done || fail "the resumed search trained another set of trials fully"
  # A trial promoted to the last rung equals a full run of the same candidate: a grid sweep of
  # the same space trains every trial fully, and those of the search match it exactly.
  "$HN" sweep --space grid.json --db grid.sqlite --jobs 2 --threads 1 > grid.out 2> grid.err ||
    { cat grid.err; fail "grid sweep"; }
  done_keys grid.sqlite > grid.done
  [[ $(wc -l < grid.done) -eq 9 ]] || fail "the grid did not train nine trials"
  missing=$(comm -23 ref.done grid.done)
  [[ -z "$missing" ]] || fail "promoted trials differ from their full runs: $missing"
  # Queries: states with rungs, epochs spent, the rung rows, the front with stopped trials.
  "$HN" status --db ref.sqlite | tee status.out
  grep -Eq "[0-9]+ stopped at a rung, [0-9]+/36 epochs \([0-9]+% of an exhaustive sweep\)" status.out ||
    fail "status does not show the rungs and epochs"
  "$HN" status --db ref.sqlite --json | grep -q '"epochs_exhaustive": 36' || fail "status --json"
  "$HN" trials --db ref.sqlite | tee trials.out
  grep -q "stopped r0" trials.out || fail "trials does not show stopped trials' rung"
  grep -q " test" trials.out || fail "trials shows no test accuracy beside the validation one"
  "$HN" trials --db ref.sqlite --state stopped --csv | tail -n +2 | grep -q ",stopped," ||
    fail "--state stopped"
  stopped=$("$HN" trials --db ref.sqlite --json | node -e "
    const rows = JSON.parse(require('fs').readFileSync(0));
    const r = rows.find(r => r.state === 'stopped' && r.rung === 1) || rows.find(r => r.state === 'stopped');
    console.log(r.id);")
  "$HN" show --db ref.sqlite --trial "$stopped" | tee show.out
  grep -q "rung 0: validation accuracy" show.out || fail "show lists no rung"
  "$HN" pareto --db ref.sqlite | tee pareto.out
  "$HN" pareto --db ref.sqlite --include-stopped | tee pareto_all.out
  grep -q "finished or stopped trials" pareto_all.out || fail "pareto --include-stopped"
  grep -q "stopped" pareto_all.out || fail "no stopped trial on the front with --include-stopped"
  ;;
latency)
  space lat 1 256 '{"fp": {}, "xnor": {}}'
  "$HN" sweep --space space.json --db db.sqlite --jobs 2 > sweep1.out 2>&1 || { cat sweep1.out; fail "first sweep"; }
  # The same study asks for latency and one more family: the two done trials are timed, the new
  # one when it finishes.
  space lat 1 256 '{"fp": {}, "xnor": {}, "quantized-k": {"k": 2}}'
  sed -i 's/"study": "lat",/"study": "lat", "objectives": ["accuracy:max", "energy:min", "latency:min"],/' space.json
  "$HN" sweep --space space.json --db db.sqlite --jobs 2 > sweep2.out 2>&1 || { cat sweep2.out; fail "second sweep"; }
  cat sweep2.out
  [[ $(grep -c "timed trial #" sweep2.out) -eq 2 ]] || fail "the two earlier trials were not timed"
  "$HN" trials --db db.sqlite --json > trials.json
  node -e "
    const t = JSON.parse(require('fs').readFileSync('trials.json'));
    const rows = Array.isArray(t) ? t : t.trials;
    const ms = f => rows.find(r => r.family === f).latency_ms;
    console.log('latency ms: fp', ms('fp'), 'xnor', ms('xnor'), 'quantized-k', ms('quantized-k'));
    for (const r of rows) if (!(r.latency_ms > 0)) throw new Error('trial ' + r.id + ' has no latency');
    if (!(ms('xnor') < ms('fp'))) throw new Error('the XNOR network is not faster than the FP one');
  " || fail "latency values"
  "$HN" pareto --db db.sqlite | tee pareto.out
  grep -q "latency:min" pareto.out || fail "the front is not over latency"
  grep -q "latency ms" pareto.out || fail "no latency column"
  grep -q "Spearman rho" pareto.out || fail "no Spearman rho"
  "$HN" pareto --db db.sqlite --json | grep -q '"energy_latency_spearman"' || fail "pareto --json"
  ;;
queries)
  space q 1 256 '{"fp": {}, "xnor": {}, "pca": {"delta": 1}, "partition": {"R": 0.4},
                  "quantized-k": {"k": 2, "train": {"optimizer": "sgd", "lr": 1e30}}}'
  "$HN" space --space space.json | tee space.out
  grep -q "quantized-k k=2" space.out || fail "space does not list quantized-k"
  rc=0; "$HN" sweep --space space.json --db db.sqlite --jobs 2 > sweep.out 2> sweep.err || rc=$?
  cat sweep.err
  [[ $rc -eq 3 ]] || fail "a sweep that ends with a failed trial exited $rc, not 3"
  grep -q "failed #[0-9]* quantized-k k=2: training diverged" sweep.err || fail "no failure line"
  grep -q "Pareto front of study q" sweep.out || fail "no front printed"
  "$HN" trials --db db.sqlite --state failed | tee failed.out
  grep -q "quantized-k" failed.out || fail "failed trial not listed"
  [[ $(csv_count ",done,") -ge 4 ]] || fail "fewer than 4 done trials (fp, xnor, pca, partition)"
  for key in '"id"' '"family"' '"params"' '"plan_hash"' '"state"' '"accuracy"' '"energy_pj"' \
             '"memory_bits"' '"ee_fp"' '"mc_fp"'; do
    "$HN" trials --db db.sqlite --json | grep -q "$key" || fail "trials --json lacks $key"
    "$HN" pareto --db db.sqlite --study q --json | grep -q "$key" || fail "pareto --json lacks $key"
  done
  "$HN" pareto --db db.sqlite --objectives accuracy:max,memory:min | tee pareto.out
  grep -q "accuracy:max,memory:min" pareto.out || fail "pareto ignores --objectives"
  # The front's hypervolume against chance accuracy and 1.1x the FP network's memory.
  grep -q "^Hypervolume 0\.[0-9]* of the box from the reference point (accuracy 0.1 fraction, memory" pareto.out ||
    fail "pareto prints no hypervolume"
  "$HN" pareto --db db.sqlite --json | grep -q '"normalized"' || fail "pareto --json has no hypervolume"
  "$HN" show --db db.sqlite --trial 1 | tee show.out
  grep -q "learning curve" show.out || fail "show has no learning curve"
  "$HN" status --db db.sqlite | grep -q "study q: .* done, 0 running, 1 failed" || fail "status"
  "$HN" studies --db db.sqlite | grep -q "^q " || fail "studies"
  # Export a finished trial; evaluate on the export reproduces the stored accuracy exactly.
  id=$("$HN" trials --db db.sqlite --csv --state done | sed -n '2s/,.*//p')
  "$HN" export --db db.sqlite --trial "$id" --out export | tee export.out
  for f in plan.json model.pt model.onnx run.json metrics.json cost.json trial.json README.md; do
    [[ -s export/$f ]] || fail "export lacks $f"
  done
  stored=$("$HN" show --db db.sqlite --trial "$id" --json | sed -n 's/^  "accuracy": \([^,]*\),*$/\1/p')
  measured=$("$HN" evaluate --export export --json | sed -n 's/^  "test_accuracy": \([^,]*\),*$/\1/p')
  echo "trial $id: stored accuracy $stored, evaluate --export $measured"
  [[ -n "$stored" && "$stored" == "$measured" ]] || fail "export accuracy $measured != stored $stored"
  failed_id=$("$HN" trials --db db.sqlite --csv --state failed | sed -n '2s/,.*//p')
  "$HN" export --db db.sqlite --trial "$failed_id" --out bad 2> bad.err && fail "exported a failed trial"
  grep -q "only finished (done) trials can be exported" bad.err || fail "export error: $(cat bad.err)"
  # Running again has nothing to do and loses nothing.
  before=$("$HN" trials --db db.sqlite --csv)
  "$HN" sweep --space space.json --db db.sqlite 2> again.err > /dev/null || true
  grep -q "0 trial(s) started" again.err || fail "a second sweep re-ran trials"
  [[ "$before" == "$("$HN" trials --db db.sqlite --csv)" ]] || fail "a second sweep changed trials"
  ;;
crash)
  space c 3 1536 '{"fp": {}, "xnor": {}}'
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 > first.out 2> first.err &
  pid=$!
  for _ in $(seq 1 600); do  # until the first trial has a finished epoch checkpoint
    compgen -G "db.runs/c/trial-*/attempt-*/state.json" > /dev/null && break
    sleep 0.2
  done
  compgen -G "db.runs/c/trial-*/attempt-*/state.json" > /dev/null || fail "no epoch finished in 120 s"
  kill -9 "$pid"; wait "$pid" 2> /dev/null || true
  cat first.err
  "$HN" status --db db.sqlite | tee status.out
  grep -q "1 running" status.out || fail "the killed trial is not left running"
  grep -q "its process is gone: the next sweep resumes it" status.out || fail "status does not see the dead process"
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 > second.out 2> second.err
  cat second.err
  grep -q "is gone; it will resume" second.err || fail "the dead worker was not detected"
  grep -q "attempt 2, resumes from its checkpoint" second.err || fail "no resume"
  [[ $(csv_count ",done,") -eq 2 ]] || fail "not every trial done"
  [[ $(csv_count ",done,1,") -eq 1 && $(csv_count ",done,2,") -eq 1 ]] ||
    fail "expected one trial trained once and the killed one resumed once"
  for id in 1 2; do  # every epoch recorded exactly once
    n=$("$HN" show --db db.sqlite --trial $id --json | grep -c '"train_loss"')
    [[ $n -eq 3 ]] || fail "trial $id has $n epoch rows, expected 3"
  done
  ;;
share)
  space s 1 512 '{"fp": {}, "xnor": {}, "quantized-k": {"k": [2, 3, 4]}, "inter-layer": {"k": [1, 2]},
                  "hybrid-res-a": {}}'
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 --threads 1 > a.out 2> a.err &
  a=$!
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 --threads 1 > b.out 2> b.err &
  b=$!
  wait $a || fail "sweep A failed: $(cat a.err)"
  wait $b || fail "sweep B failed: $(cat b.err)"
  cat a.err b.err
  [[ $(csv_count ",done,1,") -eq 8 ]] || fail "expected 8 trials each trained once"
  na=$(sed -n 's/^this run: \([0-9]*\) trial.*/\1/p' a.err)
  nb=$(sed -n 's/^this run: \([0-9]*\) trial.*/\1/p' b.err)
  echo "process A trained $na, process B trained $nb"
  [[ $((na + nb)) -eq 8 ]] || fail "the processes started $na + $nb trials, not 8"
  ;;
names)
  # A study name that is a path: its run files stay under the run-files root.
  mkdir -p inner && cd inner
  space "../../escaped" 1 128 '{"xnor": {}}'
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 > sweep.out 2> sweep.err || fail "sweep failed: $(cat sweep.err)"
  [[ ! -e ../escaped && ! -e ../../escaped ]] || fail "run files escaped the runs directory"
  dirs=$(find db.runs -name 'trial-0001' -type d)
  echo "run directory: $dirs"
  [[ $dirs == db.runs/*escaped-*/trial-0001 && $dirs != db.runs/*/*/trial-0001 ]] || fail "run directory not under db.runs: $dirs"
  "$HN" export --db db.sqlite --trial 1 --out export > /dev/null || fail "export of the escaped study"
  # Control characters and overlong names are refused before anything is stored.
  space 'tab\there' 1 128 '{"xnor": {}}'  # JSON's \t: a tab in the name
  "$HN" space --space space.json 2> bad.err && fail "a control character was accepted"
  grep -q "space.json: study: the study name has a control character" bad.err || fail "$(cat bad.err)"
  space "$(printf 'x%.0s' $(seq 1 201))" 1 128 '{"xnor": {}}'
  "$HN" sweep --space space.json --db db.sqlite 2> long.err && fail "a 201-character name was accepted"
  grep -q "201 characters; at most 200" long.err || fail "$(cat long.err)"
  [[ $("$HN" studies --db db.sqlite | grep -c .) -le 2 ]] || fail "a refused study was stored"
  ;;
lease)
  space l 3 1536 '{"xnor": {}}'
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 --threads 1 --stale-after 4 > a.out 2> a.err &
  a=$!
  for _ in $(seq 1 600); do  # until the trial has a finished epoch checkpoint
    compgen -G "db.runs/l/trial-*/attempt-1/state.json" > /dev/null && break
    sleep 0.2
  done
  compgen -G "db.runs/l/trial-*/attempt-1/state.json" > /dev/null || fail "no epoch finished in 120 s"
  kill -STOP "$a"
  sleep 8  # past --stale-after: the trial's heartbeat goes stale
  "$HN" sweep --space space.json --db db.sqlite --jobs 1 --threads 1 --stale-after 4 > b.out 2> b.err &
  b=$!
  for _ in $(seq 1 300); do
    grep -q "start #1 .*attempt 2" b.err && break
    sleep 0.2
  done
  grep -q "start #1 .*attempt 2" b.err || { kill -CONT "$a"; fail "the second sweep did not take the trial over: $(cat b.err)"; }
  kill -CONT "$a"
  wait "$a" || fail "the stalled sweep exited $?: $(cat a.err)"
  wait "$b" || fail "the second sweep exited $?: $(cat b.err)"
  cat a.err b.err
  grep -q "dropped #1 xnor: another worker took it over" a.err || fail "the stalled sweep did not drop the trial"
  grep -q "finished trials are immutable" a.err b.err && fail "a write hit the finished trial"
  [[ $(csv_count ",done,2,") -eq 1 ]] || fail "the trial is not done once, at attempt 2"
  n=$("$HN" show --db db.sqlite --trial 1 --json | grep -c '"train_loss"')
  [[ $n -eq 3 ]] || fail "trial 1 has $n epoch rows, expected 3"
  "$HN" export --db db.sqlite --trial 1 --out export > /dev/null
  stored=$("$HN" show --db db.sqlite --trial 1 --json | sed -n 's/^  "accuracy": \([^,]*\),*$/\1/p')
  measured=$("$HN" evaluate --export export --json | sed -n 's/^  "test_accuracy": \([^,]*\),*$/\1/p')
  echo "trial 1: stored accuracy $stored, evaluate --export $measured"
  [[ -n "$stored" && "$stored" == "$measured" ]] || fail "export accuracy $measured != stored $stored"
  ;;
hostile)
  mounts=()
  trap 'for m in "${mounts[@]}"; do umount "$m" 2> /dev/null || true; done' EXIT
  space h 1 256 '{"xnor": {}, "quantized-k": {"k": 2, "train": {"optimizer": "sgd", "lr": 1e30}}}'
  rc=0; "$HN" sweep --space space.json --db db.sqlite > sweep.out 2> sweep.err || rc=$?
  [[ $rc -eq 3 ]] || fail "a sweep with a failed trial exited $rc, not 3: $(cat sweep.err)"
  grep -q "study h has 1 failed trial(s)" sweep.err || fail "no failed-trials line: $(cat sweep.err)"
  # Export into a directory holding the user's files and a link named like an export file.
  id=$("$HN" trials --db db.sqlite --csv --state done | sed -n '2s/,.*//p')
  mkdir out && echo mine > out/notes.txt && echo precious > elsewhere.pt
  ln -s ../elsewhere.pt out/model.pt
  "$HN" export --db db.sqlite --trial "$id" --out out 2> nonempty.err && fail "exported into a non-empty directory"
  grep -q "out: not empty; choose a new directory, or --force" nonempty.err || fail "$(cat nonempty.err)"
  "$HN" export --db db.sqlite --trial "$id" --out out --force > /dev/null || fail "export --force"
  [[ $(cat elsewhere.pt) == precious ]] || fail "export wrote through a link"
  [[ ! -L out/model.pt && -s out/model.pt && $(cat out/notes.txt) == mine ]] || fail "export --force"
  "$HN" export --db db.sqlite --trial "$id" --out fresh/export > /dev/null || fail "export to a new path"
  [[ -s fresh/export/model.pt ]] || fail "export to a new path wrote no model.pt"
  compgen -G ".*export-*" > /dev/null && fail "a staging directory was left behind"
  compgen -G "fresh/.*export-*" > /dev/null && fail "a staging directory was left behind"
  # The diverging trial runs again on request (and diverges again).
  rc=0; "$HN" sweep --space space.json --db db.sqlite --retry-failed > r.out 2> r.err || rc=$?
  grep -q "1 failed trial(s) will be retried" r.err || fail "no retry: $(cat r.err)"
  grep -q "start #[0-9]* quantized-k k=2  (attempt 2" r.err || fail "the failed trial did not run again: $(cat r.err)"
  [[ $rc -eq 3 ]] || fail "the retried sweep exited $rc, not 3"
  # A read-only store (a read-only mount as root, a read-only directory otherwise): queries work
  # and create nothing beside it.
  mkdir ro
  if mount -t tmpfs -o size=8m tmpfs ro 2> /dev/null; then
    mounts+=("$PWD/ro"); cp db.sqlite ro/; mount -o remount,ro ro
  else
    cp db.sqlite ro/; chmod a-w ro ro/db.sqlite
  fi
  for q in studies trials status "pareto --study h"; do
    $HN $q --db ro/db.sqlite > q.out 2> q.err || fail "$q on a read-only store: $(cat q.err)"
  done
  "$HN" report --db ro/db.sqlite --out ro-report.html > /dev/null || fail "report on a read-only store"
  [[ $(ls -A ro) == db.sqlite ]] || fail "side files beside a read-only store: $(ls -A ro)"
  chmod -R u+w ro 2> /dev/null || true  # a later run's rm -rf must be able to remove it
  # A corrupt file is refused in one line and gets no side files.
  cp db.sqlite corrupt.sqlite
  dd if=/dev/urandom of=corrupt.sqlite bs=1 seek=5000 count=3000 conv=notrunc 2> /dev/null
  "$HN" sweep --space space.json --db corrupt.sqlite 2> corrupt.err > /dev/null && fail "swept a corrupt store"
  [[ $(wc -l < corrupt.err) -eq 1 ]] || fail "corrupt store: $(cat corrupt.err)"
  compgen -G "corrupt.sqlite-*" > /dev/null && fail "side files beside a refused store"
  # A command line that does not parse: exit 2. A 1 MB name with control characters in an
  # error: one short printable line.
  rc=0; "$HN" sweep --no-such-option 2> usage.err || rc=$?
  [[ $rc -eq 2 ]] || fail "a command-line error exited $rc, not 2"
  space h 1 256 "{\"\\u001b[2Jx$(head -c 1000000 /dev/zero | tr '\0' 'y')\": {}}"
  "$HN" space --space space.json 2> long.err && fail "an unknown family was accepted"
  [[ $(wc -l < long.err) -eq 1 && $(wc -c < long.err) -lt 500 ]] || fail "long error: $(head -c 600 long.err)"
  grep -q $'\x1b' long.err && fail "a control character was printed raw"
  grep -qF '\x1b[2Jxyyy' long.err || fail "the control character is not shown escaped: $(head -c 600 long.err)"
  # SIGINT with work left: exit 130.
  space i 30 1536 '{"fp": {}}'
  "$HN" sweep --space space.json --db i.sqlite --jobs 1 > i.out 2> i.err &
  pid=$!
  for _ in $(seq 1 300); do grep -q "start #1" i.err && break; sleep 0.2; done
  kill -INT "$pid"; rc=0; wait "$pid" || rc=$?
  [[ $rc -eq 130 ]] || fail "a sweep interrupted with work left exited $rc, not 130: $(cat i.err)"
  grep -q "stopped with work left" i.err || fail "$(cat i.err)"
  # A full disk: trials fail naming the file, nothing aborts, and once there is room
  # --retry-failed finishes the study.
  mkdir full
  if mount -t tmpfs -o size=2m tmpfs full 2> /dev/null; then
    mounts+=("$PWD/full")
    space f 2 256 '{"fp": {}, "xnor": {}, "quantized-k": {"k": [2, 3]}}'
    rc=0; "$HN" sweep --space space.json --db full/db.sqlite --jobs 2 > f.out 2> f.err || rc=$?
    cat f.err
    grep -q "terminate called" f.err && fail "a full disk aborted the sweep"
    [[ $rc -eq 3 || $rc -eq 1 ]] || fail "a sweep on a full disk exited $rc"
    grep -q "No space left on device (disk full)" f.err || fail "no disk-full message"
    compgen -G "full/db.runs/f/trial-*/attempt-*/*.tmp" > /dev/null && fail "temporaries left behind"
    mount -o remount,size=64m full
    "$HN" sweep --space space.json --db full/db.sqlite --jobs 2 --retry-failed > f2.out 2> f2.err ||
      fail "the retried sweep failed: $(cat f2.err)"
    [[ $("$HN" trials --db full/db.sqlite --csv --state done | tail -n +2 | grep -c .) -eq 4 ]] ||
      fail "not every trial done after the retry"
  else
    echo "SKIP disk-full part: cannot mount a tmpfs (needs root)"
  fi
  ;;
edge)
  space e 1 256 '{"fp": {}, "edge-cloud": {"bits": [1, 2], "mode": ["joint", "separate"],
                                          "thresholds": "0:2.4:0.6"}}'
  "$HN" space --space space.json | tee space.out
  grep -q "edge-cloud M=auto bits=2" space.out || fail "space does not list edge-cloud bits=2"
  "$HN" sweep --space space.json --db db.sqlite --jobs 2 > sweep.out 2> sweep.err || fail "sweep: $(cat sweep.err)"
  cat sweep.err sweep.out
  [[ $(grep -c "5 exit-threshold point(s)" sweep.err) -eq 4 ]] || fail "edge-cloud trials not scored at 5 thresholds"
  grep -q " edge-cloud .* t=[0-9.]* " sweep.out || fail "the front printed by the sweep has no threshold point"
  "$HN" pareto --db db.sqlite --json > front.json
  grep -q '"thresholds": \[' front.json || fail "pareto --json names no thresholds"
  grep -q '"exit_share"' front.json || fail "pareto --json has no exit shares"
  "$HN" trials --db db.sqlite | tee trials.out
  [[ $(grep -c " 5 pts " trials.out) -eq 4 ]] || fail "trials does not count the points"
  # Separate training: one backbone epoch, then one epoch of the exits on the frozen backbone.
  sep=$("$HN" trials --db db.sqlite --csv | grep ",edge-cloud,.*separate" | head -1 | cut -d, -f1)
  [[ $("$HN" show --db db.sqlite --trial "$sep" --json | grep -c '"train_loss"') -eq 2 ]] ||
    fail "the separate trial $sep did not train its exits' epoch"
  "$HN" trials --db db.sqlite --csv | head -1 | grep -q ",failure,thresholds,rung," || fail "csv has no thresholds column"
  id=$("$HN" trials --db db.sqlite --csv | grep ",edge-cloud," | head -1 | cut -d, -f1)
  "$HN" show --db db.sqlite --trial "$id" | tee show.out
  whole=$(sed -n 's/^total: energy \([0-9.]*\) uJ.*/\1/p' show.out)
  # Rows: t, exit share, accuracy, edge, cloud, mean, EE(FP). Threshold 0: nobody exits and
  # a sample costs the whole network; shares never fall as the threshold grows.
  awk -v whole="$whole" '
    /^operating points/ { on = 1; next }
    on && $1 ~ /^[0-9.]+$/ && $2 ~ /%$/ {
      share = $2 + 0; n++
      if (n == 1 && ($1 != 0 || share != 0 || $6 != whole)) { print "t=0: " $0 " (whole " whole ")"; bad = 1 }
      if (share < last) { print "share fell at t=" $1; bad = 1 }
      last = share
    }
    /^$/ { on = 0 }
    END { if (n != 5) { print n " point rows, expected 5"; bad = 1 }; exit bad }' show.out ||
    fail "operating points of trial $id"
  # Export the design point chosen from the front: the network and the threshold to deploy with.
  "$HN" export --db db.sqlite --trial "$id" --threshold 0.6 --out deploy | tee export.out
  grep -q "exported trial $id at t=0.6" export.out || fail "export names no point"
  tr -d ' \n' < deploy/trial.json | grep -q '"thresholds":\[0.6\]' || fail "trial.json lacks the threshold"
  [[ $(grep -c '"mean_energy_pj"' deploy/trial.json) -eq 5 ]] || fail "trial.json lacks the points"
  # The ONNX pair for the device and the cloud, with the threshold in the edge's metadata.
  for f in model.onnx edge.onnx cloud.onnx; do [[ -s deploy/$f ]] || fail "export lacks $f"; done
  grep -a -q 'exit_thresholds..\[0.6\]' deploy/edge.onnx || fail "edge.onnx lacks the exit threshold"
  "$HN" export --db db.sqlite --trial "$id" --threshold 0.55 --out never 2> bad.err && fail "exported a missing point"
  grep -q "has no operating point at threshold 0.55 (stored: 0, 0.6, 1.2, 1.8, 2.4)" bad.err ||
    fail "export error: $(cat bad.err)"
  # A later space asks for two more thresholds: they are scored from the trained networks.
  sed -i 's/"0:2.4:0.6"/"0.3,0.6,0.9"/' space.json
  "$HN" sweep --space space.json --db db.sqlite > again.out 2> again.err || fail "rescoring sweep"
  cat again.err
  grep -q "0 trial(s) started" again.err || fail "new thresholds retrained a network"
  [[ $(grep -c "scored at 2 new exit threshold(s)" again.err) -eq 4 ]] || fail "new thresholds not scored"
  [[ $("$HN" show --db db.sqlite --trial "$id" --json | grep -c '"mean_energy_pj"') -eq 7 ]] ||
    fail "trial $id does not have 7 points"
  "$HN" report --db db.sqlite --out report.html > /dev/null
  grep -q "; at t=[0-9.]*<" report.html || fail "the report names no threshold on its front"
  grep -q "7 exit-threshold points" report.html || fail "the report does not count the points"
  ;;
*) fail "unknown scenario $SCENARIO" ;;
esac
echo "PASS $SCENARIO"
