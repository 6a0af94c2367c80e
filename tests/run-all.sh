#!/usr/bin/env bash
# Run every test program and script given as arguments (from the repo
# root), each with a time limit.  Each prints "ok NAME" / "FAIL NAME"
# lines; a program that exits non-zero without printing a FAIL line
# counts as one failure of its own.  Logs go to tests/logs/; after each
# command a "-- NAME: N s" line says how long it took (make check has a
# 20-minute budget).  The last line is the total: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
mkdir -p tests/logs
pass=0 fail=0
limit=${WADESK_TEST_TIMEOUT:-600}
for t in "$@"; do
	name=$(basename "${t%% *}")
	# One log per command: several suites are called run.sh.
	log=tests/logs/$(printf '%s' "$t" | tr -c 'A-Za-z0-9._-' '_').log
	echo "== $t"
	t0=$SECONDS
	timeout --kill-after=10 "$limit" bash -c "$t" >"$log" 2>&1
	rc=$?
	took=$((SECONDS - t0))
	grep -E '^(ok|FAIL) ' "$log"
	p=$(grep -cE '^ok ' "$log")
	f=$(grep -cE '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name (exit $rc; see $log)"
		f=1
	fi
	if [ "$f" -ne 0 ]; then
		echo "--- last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
	echo "-- $name: ${took} s"
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
