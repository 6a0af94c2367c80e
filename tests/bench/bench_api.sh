#!/usr/bin/env bash
# tests/bench/bench_api.sh: the JSON API under load ("make bench";
# issue 13's figure).  Starts a private stack (scripts/stack.sh, no
# session daemon) from $BUILD (default build, the plain "make" output)
# in a temporary WADESK_VAR on a free loopback port, gives an operator
# $BENCH_API_ACCOUNTS accounts (default 10,000), makes an API key for
# them with "wadeskctl apikey add" (its rate raised so the limiter lets
# every request through, though it still counts each one), and runs
# wrk (2 threads, $BENCH_API_SECONDS s each, default 5) against nginx
# for
#   GET /api/v1/accounts              the first page (50)
#   GET /api/v1/accounts?limit=200    the largest page
#   GET /api/v1/accounts?cursor=...   a page near the end (keyset)
#   GET /api/v1/accounts/{id}         one account
#   GET /api/v1/accounts              the first page for a key limited to
#                                     100 listed accounts (APIKEY_IDS_MAX)
# with $BENCH_API_CONNS connections (default 4: a script's few
# concurrent calls; the latency the target is about), then the first
# page again with 16 for throughput (every request then queues behind
# others on a 2-CPU machine: latency ~ connections / throughput).
# Prints requests/s and p50/p99 latency next to the target (p99 < 20 ms
# for the list at 10,000 accounts).  Missing the target is reported, not
# a failure; a broken measurement (a URL not answering 200 first, or
# error answers during the run) exits 1.  The stack and its folder are
# always removed.
set -u
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
SECS=${BENCH_API_SECONDS:-5}
CONNS=${BENCH_API_CONNS:-4}
N=${BENCH_API_ACCOUNTS:-10000}

die() {
	echo "bench_api: $*" >&2
	exit 1
}

for b in cgi/wadesk.fcgi cgi/wadeskctl; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b is not built (make)"
done
for c in wrk curl psql node; do
	command -v "$c" >/dev/null 2>&1 || die "$c is not installed"
done

port=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });') ||
    die "cannot pick a free port"
VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-benchapi.XXXXXX")
chmod 755 "$VAR"
export WADESK_VAR=$VAR WADESK_PORT=$port WADESK_NO_DAEMON=1 WADESK_NO_WEBHOOKD=1
export WADESK_ADMIN_PASSWORD=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
BASE=http://127.0.0.1:$port

cleanup() {
	scripts/stack.sh stop >/dev/null 2>&1 || true
	rm -rf "$VAR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# psql as the database owner (the service user when run as root).
sql() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u wadesk -- psql -h "$VAR/run" -d wadesk -X -q -At \
		    -v ON_ERROR_STOP=1 "$@"
	else
		psql -h "$VAR/run" -d wadesk -X -q -At -v ON_ERROR_STOP=1 "$@"
	fi
}
ctl() {
	local db="host=$VAR/run dbname=wadesk user=wadesk"
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u wadesk -- env WADESK_DATABASE_URL="$db" \
		    "$BUILD/cgi/wadeskctl" "$@"
	else
		WADESK_DATABASE_URL=$db "$BUILD/cgi/wadeskctl" "$@"
	fi
}

scripts/stack.sh start >"$VAR/stack.log" 2>&1 ||
    { cat "$VAR/stack.log" >&2; die "scripts/stack.sh start failed"; }

# An operator with N accounts in every settled state (plus one other
# operator's 1,000, which the key must not see), oldest first.
echo 'bench-operator-pw' | ctl operator add bencher >/dev/null ||
    die "cannot add the operator"
sql -v n="$N" <<'SQL' || die "cannot create the accounts"
INSERT INTO wadesk.accounts (operator_id, label, status, phone_number,
    disconnect_reason, created_at)
SELECT o.id, 'API bench ' || g,
    (ARRAY['unpaired', 'connected', 'disconnected', 'logged_out'])[1 + g % 4],
    CASE WHEN g % 4 IN (1, 2) THEN (15550000000 + g)::text END,
    CASE WHEN g % 4 = 2 THEN 'connection_lost' END,
    now() - (:n - g) * interval '1 second'
FROM wadesk.operators o, generate_series(1, :n) g
WHERE o.username = 'bencher';
INSERT INTO wadesk.accounts (operator_id, label, created_at)
SELECT o.id, 'other ' || g, now() FROM wadesk.operators o,
    generate_series(1, 1000) g WHERE o.username = 'admin';
ANALYZE wadesk.accounts;
SQL

out=$(ctl apikey add bench --operator bencher --scope accounts:read) ||
    die "wadeskctl apikey add failed"
export BENCH_API_KEY=$(printf '%s\n' "$out" | sed -n 2p)
kid=$(printf '%s\n' "$out" | sed -n 's/^id \([0-9]*\) .*/\1/p')
sql -c "UPDATE wadesk.api_keys SET rate_per_min = 1000000 WHERE id = $kid" ||
    die "cannot raise the key's rate"

# A key limited to 100 of the accounts, spread over the list.
lim_args=$(sql -c "SELECT string_agg('--account ' || id, ' ') FROM
    (SELECT a.id FROM wadesk.accounts a JOIN wadesk.operators o ON
    o.id = a.operator_id WHERE o.username = 'bencher' AND a.id % 100 = 0
    ORDER BY a.id LIMIT 100) x") || die "cannot pick accounts for a key"
# shellcheck disable=SC2086
out=$(ctl apikey add bench-limited --operator bencher --scope accounts:read \
    $lim_args) || die "wadeskctl apikey add (limited) failed"
LIMITED_KEY=$(printf '%s\n' "$out" | sed -n 2p)
kid=$(printf '%s\n' "$out" | sed -n 's/^id \([0-9]*\) .*/\1/p')
sql -c "UPDATE wadesk.api_keys SET rate_per_min = 1000000 WHERE id = $kid" ||
    die "cannot raise the limited key's rate"
MAIN_KEY=$BENCH_API_KEY

# A cursor near the end: walk there with the largest pages.
cursor=
for _ in $(seq $(( (N - 1) / 200 ))); do
	cursor=$(curl -fsS -H "Authorization: Bearer $BENCH_API_KEY" \
	    "$BASE/api/v1/accounts?limit=200${cursor:+&cursor=$cursor}" |
	    node -e 'let s = ""; process.stdin.on("data", (d) => s += d);
	    process.stdin.on("end", () => { const j = JSON.parse(s);
	    process.stdout.write(j.next_cursor || ""); });') ||
	    die "cannot page through the list"
	[ -n "$cursor" ] || break
done
[ -n "$cursor" ] || die "no cursor near the end of $N accounts"
one=$(sql -c "SELECT max(a.id) FROM wadesk.accounts a JOIN
    wadesk.operators o ON o.id = a.operator_id WHERE o.username = 'bencher'")

# Each URL answers 200 with the right page before it is measured.
check() {
	local url=$1 want=$2 got
	got=$(curl -sS -o "$VAR/body" -w '%{http_code}' \
	    -H "Authorization: Bearer $BENCH_API_KEY" "$BASE$url") ||
	    die "GET $url: no answer"
	[ "$got" = 200 ] || die "GET $url: HTTP $got"
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
	    const n = j.data ? j.data.length : 1;
	    if (n !== Number(process.argv[2])) {
		console.error(`${n} rows, want ${process.argv[2]}`);
		process.exit(1); }' "$VAR/body" "$want" ||
	    die "GET $url: not the page it should be"
}
last=$(( N % 200 == 0 ? 200 : N % 200 ))
check /api/v1/accounts 50
check "/api/v1/accounts?limit=200" 200
check "/api/v1/accounts?limit=200&cursor=$cursor" "$last"
check "/api/v1/accounts/$one" 1
BENCH_API_KEY=$LIMITED_KEY
check /api/v1/accounts 50
BENCH_API_KEY=$MAIN_KEY

echo "bench_api: $(nproc) CPUs, $BUILD, nginx on 127.0.0.1:$port," \
    "wrk -t2 -d${SECS}s; $N accounts of one operator (+1,000" \
    "of another); load average $(cut -d' ' -f1 /proc/loadavg)"

bad=0
run() {
	local label=$1 url=$2 target=$3 conns=${4:-$CONNS} r rps p50 p99 nerr
	local verdict
	r=$(wrk -t"$(( conns < 2 ? 1 : 2 ))" -c"$conns" -d"${SECS}s" \
	    -s tests/bench/bench_api.lua \
	    "$BASE$url" 2>&1) || die "wrk $url failed: $r"
	r=$(printf '%s\n' "$r" | grep '^result ') ||
	    die "wrk $url printed no result"
	rps=$(printf '%s' "$r" | sed 's/.* rps=\([^ ]*\).*/\1/')
	p50=$(printf '%s' "$r" | sed 's/.* p50_ms=\([^ ]*\).*/\1/')
	p99=$(printf '%s' "$r" | sed 's/.* p99_ms=\([^ ]*\).*/\1/')
	nerr=$(printf '%s' "$r" | awk '{ for (i = 1; i <= NF; i++) {
	    split($i, kv, "="); if (kv[1] == "non2xx" || kv[1] == "errors")
	    n += kv[2] } } END { print n + 0 }')
	if [ "$nerr" -ne 0 ]; then
		echo "bench_api: $url: $nerr error answers during the run" >&2
		bad=1
	fi
	if [ -n "$target" ]; then
		verdict=$(awk -v p="$p99" -v t="$target" 'BEGIN {
		    print (p < t) ? "met" : "MISSED" }')
		verdict="p99 < $target ms: $verdict"
	else
		verdict="(no target)"
	fi
	printf '%-40s %9.0f %8.2f %8.2f  %s\n' "$label" "$rps" "$p50" "$p99" \
	    "$verdict"
}
printf '%-40s %9s %8s %8s  %s\n' "request ($CONNS connections)" "req/s" \
    "p50 ms" "p99 ms" "target"
run "GET /api/v1/accounts (50 of $N)" /api/v1/accounts 20
run "GET /api/v1/accounts?limit=200" "/api/v1/accounts?limit=200" 20
run "GET /api/v1/accounts?cursor= (near end)" \
    "/api/v1/accounts?limit=200&cursor=$cursor" 20
run "GET /api/v1/accounts/{id}" "/api/v1/accounts/$one" ""
BENCH_API_KEY=$LIMITED_KEY
run "GET /api/v1/accounts (key of 100 ids)" /api/v1/accounts 20
BENCH_API_KEY=$MAIN_KEY
run "GET /api/v1/accounts, 16 connections" /api/v1/accounts "" 16
exit $bad
