#!/usr/bin/env bash
# The study report in a real browser: `hybridnet report` on the database a sweep scenario
# (queries, edge) left, trained on synthetic data, loaded by headless Chromium. The page must load
# without console errors, its script must run, and its charts must be in the rendered DOM with
# the Pareto front ringed.
# Usage: report_chromium.sh HYBRIDNET DATABASE WORKDIR
set -euo pipefail
HN=$1; DB=$2; WORK=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v chromium > /dev/null || fail "chromium is not installed (./setup.sh test installs it)"
[[ -f $DB ]] || fail "$DB missing: run its cli.sweep_synthetic_* test first"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
"$HN" report --db "$DB" --out report.html | tee report.out
grep -q "wrote report.html: study " report.out || fail "no summary line"
if grep -Eq 'src=|<link|url\(' report.html; then fail "the report loads external resources"; fi
front=$("$HN" pareto --db "$DB" --csv | tail -n +2 | wc -l)
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
  --user-data-dir="$WORK/profile" --enable-logging=stderr --v=0 \
  --dump-dom "file://$WORK/report.html" > dom.html 2> chromium.err ||
  fail "chromium failed: $(tail -3 chromium.err)"
if grep -E "CONSOLE|Uncaught|Failed to load" chromium.err; then fail "console errors"; fi
count() { grep -o "$1" dom.html | wc -l; }
[[ $(count '<svg class="chart') -eq 5 ]] || fail "expected 5 charts, found $(count '<svg class="chart')"
[[ $(count 'data-sortable="ready"') -eq 2 ]] || fail "the table script did not run"
[[ $(count '<circle class="front"') -eq $((2 * front)) ]] ||
  fail "expected the $front front members ringed in both accuracy charts"
[[ $(count '<g class="layer-cell">') -gt 0 ]] || fail "empty precision map"
grep -q 'id="end"' dom.html || fail "the page was cut short"
echo "chromium rendered 5 charts, $front front members ringed, tables sortable"
echo "PASS report"
