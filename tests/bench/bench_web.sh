#!/usr/bin/env bash
# tests/bench/bench_web.sh: web benchmark of the dashboard ("make bench").
# Starts a private stack (scripts/stack.sh) from $BUILD (default build,
# the plain non-sanitized "make" output) in a temporary WADESK_VAR on a
# free loopback port, fills it with 10,000 accounts, signs in, puts one
# account in pairing with a QR, and runs wrk (2 threads, 32 connections,
# $BENCH_WEB_SECONDS s each, default 10) against nginx for:
#   static   the same PNG bytes as the QR, served by nginx from static/
#   qr.png   GET /accounts/{id}/qr.png?v=N (FastCGI, PNG cached per
#            worker, the check's answer from the exact memo), then the
#            same without ?v=N; each in 3 rounds paired with static runs
#   accounts GET /accounts (first page of 10,000)
#   health   GET /health
#   race     RACE_N times: a new QR committed with psql, then qr.png at
#            once; answers still showing the old QR are counted
#   qr off   qr.png?v=N again after restarting wadesk.fcgi with the memo
#            off (WADESK_QR_CACHE_MS=0: every request reads the database)
#   static   once more, to show how much the machine drifted meanwhile
# BENCH_WEB_ONLY="qr accounts health" picks which run besides static.
# Prints requests/s, p99 latency and the ratio to the static file (the
# first run's; for qr.png the median of its paired rounds), next to the
# targets (qr.png with and without ?v=N >= 40 % of static, /health >=
# 20 %, /accounts p99 < 20 ms), the memo's hit rate during the qr.png
# runs and the race count (target 0).  Missing a target is reported, not
# a failure; a broken measurement (a URL not answering 200 first, or
# error answers during the run) exits 1.  The stack, the temporary
# folder and the temporary static file are always removed.
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export BUILD=${BUILD:-build}
SECS=${BENCH_WEB_SECONDS:-10}
NACCOUNTS=10000

die() {
	echo "bench_web: $*" >&2
	exit 1
}

for b in cgi/wadesk.fcgi cgi/wadeskctl; do
	[ -x "$BUILD/$b" ] || die "$BUILD/$b is not built (make)"
done
for c in wrk curl psql; do
	command -v "$c" >/dev/null 2>&1 || die "$c is not installed"
done

port=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });') ||
    die "cannot pick a free port"
VAR=$(mktemp -d "${TMPDIR:-/tmp}/wadesk-benchweb.XXXXXX")
chmod 755 "$VAR"
STATIC_NAME=bench_web-$$-$RANDOM.png
STATIC=$ROOT/static/$STATIC_NAME
# Web only: the session daemon stays out (its heartbeat is faked below).
export WADESK_VAR=$VAR WADESK_PORT=$port WADESK_LOGIN_RATE=6000r/m WADESK_NO_DAEMON=1
export WADESK_ADMIN_PASSWORD=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
BASE=http://127.0.0.1:$port

cleanup() {
	rm -f "$STATIC"
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

scripts/stack.sh start >"$VAR/stack.log" 2>&1 ||
    { cat "$VAR/stack.log" >&2; die "scripts/stack.sh start failed"; }

# 10,000 accounts for the admin, in every settled state, newest first.
sql -v n=$NACCOUNTS <<'SQL' || die "cannot create the accounts"
INSERT INTO wadesk.accounts (operator_id, label, status, phone_number,
    created_at)
SELECT o.id, 'Bench account ' || g,
    (ARRAY['unpaired', 'connected', 'disconnected', 'logged_out'])[1 + g % 4],
    CASE WHEN g % 4 IN (1, 2) THEN (15550000000 + g)::text END,
    now() - g * interval '1 second'
FROM wadesk.operators o, generate_series(1, :n) g
WHERE o.username = 'admin';
ANALYZE wadesk.accounts;
SQL

# One in pairing with a QR shaped like WhatsApp's (ref + 3 base64 keys,
# per whatsmeow pair.go makeQRData): about 230 characters.
b64() { head -c "$1" /dev/urandom | base64 -w0; }
qr="2@$(b64 68 | cut -c1-90),$(b64 32),$(b64 32),$(b64 32)"
qpath=$(sql -v qr="$qr" <<'SQL'
UPDATE wadesk.accounts SET status = 'pending', qr_code = :'qr',
    qr_version = qr_version + 1,
    qr_expires_at = now() + interval '1 hour',
    pair_deadline = now() + interval '1 hour'
WHERE id = (SELECT min(id) FROM wadesk.accounts)
RETURNING id || '/qr.png?v=' || qr_version;
SQL
) || die "cannot set the QR"
# The image URL as the account page writes it (with ?v=qr_version),
# and as a plain link would.
qurl=/accounts/$qpath
qplain=${qurl%%\?*}

# Sign in: the form's token is the wadesk_login cookie.
jar=$VAR/cookies
csrf=$(curl -fsS -c "$jar" "$BASE/login" |
    sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')
[ -n "$csrf" ] || die "no sign-in form at $BASE/login"
curl -fsS -o /dev/null -b "$jar" -c "$jar" \
    --data-urlencode "csrf=$csrf" --data-urlencode "username=admin" \
    --data-urlencode "password=$WADESK_ADMIN_PASSWORD" --data "next=/" \
    "$BASE/login" || die "sign-in failed"
sess=$(awk '$6 == "wadesk_session" { print $7 }' "$jar")
[ -n "$sess" ] || die "sign-in set no wadesk_session cookie"
export BENCH_WEB_COOKIE="wadesk_session=$sess"

curl -fsS -H "Cookie: $BENCH_WEB_COOKIE" -o "$STATIC" \
    "$BASE$qurl" || die "GET $qurl failed"
chmod 644 "$STATIC"
pngsize=$(stat -c %s "$STATIC")

# Every URL must answer 200 with what it should before it is measured
# (wrk counts a 303 to /login as a success).
check() {
	local url=$1 want=$2 got
	got=$(curl -sS -o "$VAR/body" -w '%{http_code} %{content_type}' \
	    -H "Cookie: $BENCH_WEB_COOKIE" "$BASE$url") ||
	    die "GET $url: no answer"
	case $got in
	"200 $want"*) ;;
	*) die "GET $url: $got, want 200 $want" ;;
	esac
}
check "/static/$STATIC_NAME" image/png
check "$qurl" image/png
check "$qplain" image/png
check /accounts text/html
grep -q "$NACCOUNTS accounts" "$VAR/body" ||
    die "GET /accounts does not list $NACCOUNTS accounts"

# /health answers 503 without a live session daemon: stand in for its
# heartbeat (WADESK_DAEMON_DEAD_S, 30 s by default; beat() is called
# again right before /health is measured).
beat() {
	sql -c "DELETE FROM wadesk.daemon_instances;
	    INSERT INTO wadesk.daemon_instances (hostname, pid)
	    VALUES ('bench_web', $$);" || die "cannot write a heartbeat"
}
beat
check /health application/json

echo "bench_web: $(nproc) CPUs, $BUILD, nginx on 127.0.0.1:$port," \
    "wrk -t2 -c32 -d${SECS}s; QR PNG $pngsize bytes; $NACCOUNTS accounts"
# wrk, nginx, wadesk.fcgi and PostgreSQL share these CPUs: other load
# skews every figure, so say how busy the machine was.
load=$(cut -d' ' -f1 /proc/loadavg)
echo "bench_web: load average $load before the runs" \
    "$(awk -v l="$load" -v n="$(nproc)" 'BEGIN { if (l > n / 2)
    print "(busy machine: figures are pessimistic)" }')"

bad=0
run() {
	local name=$1 url=$2 out
	out=$(wrk -t2 -c32 -d"${SECS}s" -s tests/bench/bench_web.lua \
	    "$BASE$url" 2>&1) || die "wrk $url failed: $out"
	out=$(printf '%s\n' "$out" | grep '^result ') ||
	    die "wrk $url printed no result"
	eval "${name}_$(printf '%s' "$out" | sed 's/^result //; s/ / '"${name}"'_/g')"
	eval "local nerr=\$((${name}_non2xx + ${name}_errors))"
	if [ "$nerr" -ne 0 ]; then
		echo "bench_web: $url: $nerr error answers during the run" >&2
		bad=1
	fi
}
# BENCH_WEB_ONLY (e.g. "qr health") measures just those after the
# static file; the others print as 0.
want() { [ -z "${BENCH_WEB_ONLY:-}" ] || case " $BENCH_WEB_ONLY " in
	*" $1 "*) true ;; *) false ;; esac; }
for n in qr qrplain qroff accounts health; do
	eval "${n}_rps=0 ${n}_p99_ms=0 ${n}_ref=0 ${n}_pct=0.0"
done

# The memo's counters summed over the workers (GET /metrics).
memo() {
	curl -fsS "$BASE/metrics" | awk -v k="wadesk_qr_memo_$1" '
	    index($0, k) == 1 { n += $NF } END { printf "%d", n }'
}
# Ratio of a figure to the static file's ("$2", default the first
# run's), in percent.
pct() { awk -v a="$1" -v b="${2:-$static_rps}" 'BEGIN {
	printf "%.1f", (b > 0) ? 100 * a / b : 0 }'; }

# The memo's one window: a change is seen once its NOTIFY has reached
# wadesk.fcgi, which PostgreSQL sends at commit.  RACE_N times: every
# worker remembers the QR (a burst of 48), a new one is committed with
# psql, and the plain URL is fetched at once; an answer with the old
# image counts as stale.
RACE_N=30
stale=-
stale_after_commit() {
	local i old
	stale=0
	old=$(sql -c "SELECT qr_code FROM wadesk.accounts WHERE id = ${qpath%%/*}")
	for i in $(seq "$RACE_N"); do
		seq 48 | xargs -P 16 -I{} curl -fsS -o /dev/null \
		    -H "Cookie: $BENCH_WEB_COOKIE" "$BASE$qplain" ||
		    die "GET $qplain failed"
		curl -fsS -o "$VAR/qr-before" -H "Cookie: $BENCH_WEB_COOKIE" \
		    "$BASE$qplain" || die "GET $qplain failed"
		sql -v id="${qpath%%/*}" -v qr="${old%,*},race$i" <<'SQL' ||
UPDATE wadesk.accounts SET qr_code = :'qr', qr_version = qr_version + 1
WHERE id = :id;
SQL
		    die "cannot rotate the QR"
		curl -fsS -o "$VAR/qr-after" -H "Cookie: $BENCH_WEB_COOKIE" \
		    "$BASE$qplain" || die "GET $qplain failed"
		cmp -s "$VAR/qr-before" "$VAR/qr-after" && stale=$((stale + 1))
	done
	sql -v id="${qpath%%/*}" -v qr="$old" <<'SQL' || die "cannot reset the QR"
UPDATE wadesk.accounts SET qr_code = :'qr' WHERE id = :id;
SQL
}

# Other agents' load comes and goes: each qr.png figure is measured in
# three rounds of a third of the time, each right after a static run of
# its own; its ratio is the median of the three rounds' ratios, its
# req/s and p99 the rounds' mean and worst, "${1}_ref" the static mean.
PAIR_SECS=$(( SECS >= 6 ? SECS / 3 : 2 ))
paired() {
	local name=$1 url=$2 ratios="" sum=0 ref=0 p99=0 SECS=$PAIR_SECS
	for _ in 1 2 3; do
		run static "/static/$STATIC_NAME"
		run "$name" "$url"
		eval "local got=\$${name}_rps gotp=\$${name}_p99_ms"
		ratios="$ratios $(pct "$got" "$static_rps")"
		sum=$(awk -v a="$sum" -v b="$got" 'BEGIN { print a + b }')
		ref=$(awk -v a="$ref" -v b="$static_rps" 'BEGIN { print a + b }')
		p99=$(awk -v a="$p99" -v b="$gotp" 'BEGIN { print (b > a) ? b : a }')
	done
	eval "${name}_rps=$(awk -v a="$sum" 'BEGIN { print a / 3 }')"
	eval "${name}_ref=$(awk -v a="$ref" 'BEGIN { print a / 3 }')"
	eval "${name}_p99_ms=$p99"
	eval "${name}_pct=$(printf '%s\n' $ratios | sort -n | sed -n 2p)"
}
hitpct=-
run static "/static/$STATIC_NAME"
first_static=$static_rps first_static_p99=$static_p99_ms
if want qr; then
	h0=$(memo hits_total) m0=$(memo misses_total)
	paired qr "$qurl"
	paired qrplain "$qplain"
	h1=$(memo hits_total) m1=$(memo misses_total)
	hitpct=$(awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN {
	    printf "%.2f", (h + m > 0) ? 100 * h / (h + m) : 0 }')
	stale_after_commit
fi
want accounts && run accounts /accounts
beat
want health && run health /health
if want qr; then
	# The same stack, wadesk.fcgi restarted with the memo off.
	fpid=$(cat "$VAR/run/fcgi.pid")
	kill -TERM "$fpid"
	for _ in $(seq 100); do
		kill -0 "$fpid" 2>/dev/null || break
		sleep 0.1
	done
	WADESK_QR_CACHE_MS=0 scripts/stack.sh start >>"$VAR/stack.log" 2>&1 ||
	    die "cannot restart wadesk.fcgi with the memo off"
	[ "$(memo live)" = 0 ] || die "the memo is still on after the restart"
	check "$qurl" image/png
	paired qroff "$qurl"
fi
run static "/static/$STATIC_NAME"
last_static=$static_rps
static_rps=$first_static static_p99_ms=$first_static_p99

meets() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN {
	ok = op == ">=" ? v >= t : v < t; print ok ? "met" : "MISSED" }'; }

printf '%-34s %10s %9s %9s  %s\n' "what" "req/s" "p99 ms" "% static" "target"
printf '%-34s %10.0f %9.2f %9s  %s\n' "static PNG ($pngsize bytes, nginx)" \
    "$static_rps" "$static_p99_ms" "100.0" "-"
printf '%-34s %10.0f %9.2f %9s  %s\n' "GET /accounts/{id}/qr.png?v=N" \
    "$qr_rps" "$qr_p99_ms" "$qr_pct" \
    ">= 40 % of static: $(meets "$qr_pct" 40 '>=')"
printf '%-34s %10.0f %9.2f %9s  %s\n' "GET /accounts/{id}/qr.png" \
    "$qrplain_rps" "$qrplain_p99_ms" "$qrplain_pct" \
    ">= 40 % of static: $(meets "$qrplain_pct" 40 '>=')"
printf '%-34s %10.0f %9.2f %9s  %s\n' "  qr.png?v=N with the memo off" \
    "$qroff_rps" "$qroff_p99_ms" "$qroff_pct" \
    "- (every request reads the database)"
printf '%-34s %10.0f %9.2f %9s  %s\n' "GET /accounts (page 1 of 10,000)" \
    "$accounts_rps" "$accounts_p99_ms" "$(pct "$accounts_rps")" \
    "p99 < 20 ms: $(meets "$accounts_p99_ms" 20 '<')"
printf '%-34s %10.0f %9.2f %9s  %s\n' "GET /health" \
    "$health_rps" "$health_p99_ms" "$(pct "$health_rps")" \
    ">= 20 % of static: $(meets "$(pct "$health_rps")" 20 '>=')"
echo "bench_web: each qr.png ratio is the median of 3 rounds of" \
    "${PAIR_SECS}s, each against a static run right before it (static" \
    "$(printf '%.0f, %.0f and %.0f req/s' "$qr_ref" "$qrplain_ref" \
    "$qroff_ref") on average)"
echo "bench_web: the memo answered $hitpct % of the qr.png checks" \
    "(the rest read the database)"
echo "bench_web: qr.png fetched right after a new QR was committed:" \
    "$stale of $RACE_N answers still the old image (target 0; the" \
    "NOTIFY raced the request)"
echo "bench_web: static PNG $(awk -v a="$last_static" -v b="$first_static" \
    'BEGIN { printf "%.0f req/s at the end, %+.1f %%", a,
    (b > 0) ? 100 * (a - b) / b : 0 }') against the first run" \
    "(drift from other load on the machine)"
echo "bench_web: load average $(cut -d' ' -f1 /proc/loadavg) after the runs"
[ "$bad" -eq 0 ] || die "some answers were errors; the figures above are not valid"
