#!/usr/bin/env bash
# "make bench": memory per idle logged-in WhatsApp connection, with N
# (default 1000) clients of daemon/wa in one process against the
# simulator, in plain ws:// and then over TLS as the real endpoint is
# (an nginx stream front with a test CA, tests/daemon/bench_tls.sh; the
# clients verify its certificate, trusting the CA via SSL_CERT_FILE).
# Prints one "bench wa_idle_connections ..." line for each; the TLS one
# against issue 8's target of 64 KiB per idle session.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
N=${1:-1000}
T=$(mktemp -d "${TMPDIR:-/tmp}/wa-bench.XXXXXX")
node tests/wasim/server.js --listen 127.0.0.1:0 --control 127.0.0.1:0 \
    --time-scale 1 >"$T/sim.out" 2>"$T/sim.err" &
sim=$!
. tests/daemon/bench_tls.sh
trap 'kill $sim 2>/dev/null; tls_front_stop; wait 2>/dev/null; rm -rf "$T"' EXIT
for i in $(seq 100); do
	grep -q '^wasim: ready' "$T/sim.out" && break
	sleep 0.1
done
line=$(grep '^wasim: ready' "$T/sim.out") || { echo "bench: no simulator"; exit 1; }
url=$(sed -n 's/.*url=\([^ ]*\).*/\1/p' <<<"$line")
ctl=$(sed -n 's/.*control=\([^ ]*\).*/\1/p' <<<"$line")
root=$(sed -n 's/.*root_key=\([^ ]*\).*/\1/p' <<<"$line")
"$BUILD/tests/wa/bench_conns" "$url" "$ctl" "$root" "$N" | sed 's/$/ (plain ws)/'
rc=${PIPESTATUS[0]}
tls_front_start "$T/tls" "$url" || exit 1
out=$(SSL_CERT_FILE=$TLS_CA "$BUILD/tests/wa/bench_conns" "$TLS_URL" "$ctl" \
    "$root" "$N") || rc=1
rss=$(sed -n 's/.* rss_per_conn=\([0-9-]*\) .*/\1/p' <<<"$out")
echo "$out over TLS (target rss_per_conn <= 65536$([ "${rss:-0}" -le 65536 ] ||
    echo ', MISSED'))"
exit $rc
