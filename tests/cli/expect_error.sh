#!/usr/bin/env bash
# Runs a command that must fail: non-zero exit and exactly one line on stderr, which is printed
# so that CTest's PASS_REGULAR_EXPRESSION can check what it says.
out=$("$@" 2>&1 >/dev/null); rc=$?
echo "$out"
if [[ $rc -eq 0 ]]; then echo "expect_error: exit status 0"; exit 1; fi
if [[ $(printf '%s\n' "$out" | wc -l) -ne 1 ]]; then echo "expect_error: not one line"; exit 1; fi
