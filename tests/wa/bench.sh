#!/usr/bin/env bash
# "make bench": memory per idle logged-in WhatsApp connection, with N
# (default 1000) clients of daemon/wa in one process against the
# simulator.  Prints one "bench wa_idle_connections ..." line.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${1:-1000}
T=$(mktemp -d "${TMPDIR:-/tmp}/wa-bench.XXXXXX")
node tests/wasim/server.js --listen 127.0.0.1:0 --control 127.0.0.1:0 \
    --time-scale 1 >"$T/sim.out" 2>"$T/sim.err" &
sim=$!
trap 'kill $sim 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 100); do
	grep -q '^wasim: ready' "$T/sim.out" && break
	sleep 0.1
done
line=$(grep '^wasim: ready' "$T/sim.out") || { echo "bench: no simulator"; exit 1; }
url=$(sed -n 's/.*url=\([^ ]*\).*/\1/p' <<<"$line")
ctl=$(sed -n 's/.*control=\([^ ]*\).*/\1/p' <<<"$line")
root=$(sed -n 's/.*root_key=\([^ ]*\).*/\1/p' <<<"$line")
"$BUILD/tests/wa/bench_conns" "$url" "$ctl" "$root" "$N"
