#!/usr/bin/env bash
# Integration tests of the WhatsApp client (daemon/wa) against the server
# simulator over real sockets: tests/wasim/server.js with a high
# --time-scale, driven through the demo program daemon/wa-pair.  Each
# case prints "ok NAME" or "FAIL NAME: why"; every process's output is
# kept in tests/logs/wa/.  Run from the repository
# root; BUILD selects the build tree (default build/san, as make check).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/san}
BIN=$BUILD/daemon/wa-pair
SCALE=20
T=$(mktemp -d "${TMPDIR:-/tmp}/wa-run.XXXXXX")
SIM_PID=
PIDS=()
fails=0

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
	wait 2>/dev/null
	mkdir -p tests/logs/wa
	cp "$T"/*.out "$T"/*.err tests/logs/wa/ 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

if [ ! -x "$BIN" ]; then
	make -s --no-print-directory BUILD="$BUILD" \
	    SANITIZE=$([ "$BUILD" = build/san ] && echo 1 || echo 0) "$BIN" \
	    >/dev/null || { echo "FAIL wa_build: $BIN"; exit 1; }
fi

# Wait until FILE has a line matching the extended regex RE; print it.
# wait_for FILE RE SECONDS
wait_for() {
	local i n=$(( $3 * 10 ))
	for ((i = 0; i < n; i++)); do
		if grep -Eq -- "$2" "$1" 2>/dev/null; then
			grep -E -- "$2" "$1" | head -n 1
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# POST JSON to the simulator's control port; print the answer body.
ctl() {
	curl -s -X POST -H 'Content-Type: application/json' \
	    --data "$2" "$CTL$1"
}

# Evaluate a Python expression over GET /state (bound to "s").
state() {
	curl -s "$CTL/state" | python3 -c "import json, sys
s = json.load(sys.stdin)
print($1)"
}

# Start wa-pair NAME [args...]: output in $T/NAME.out/.err, commands
# through $T/NAME.in (a FIFO kept open on fd 9+).
start() {
	local name=$1
	shift
	rm -f "$T/$name.in"
	mkfifo "$T/$name.in"
	WADESK_LOG_LEVEL=${LOGLEVEL:-info} WADESK_WA_URL=$URL \
	    WADESK_WA_ROOT_KEY=${ROOT_OVERRIDE-$ROOT} \
	    "$BIN" --no-qr-art --qr-first $((60000 / SCALE)) \
	    --qr-next $((20000 / SCALE)) "$@" \
	    <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	PIDS+=($!)
	eval "PID_$name=$!"
	exec {fd}>"$T/$name.in"
	eval "FD_$name=$fd"
}

# Send a command line to wa-pair NAME.
cmd() {
	local fd
	eval "fd=\$FD_$1"
	echo "$2" >&"$fd"
}

# Wait for wa-pair NAME to exit; its status goes to ST (not in a
# subshell: only the parent can wait for it).
finish() {
	local pid i
	eval "pid=\$PID_$1"
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
	ST=$?
}

# Pair a new device with the phone number $2 by QR; creds in $T/$1.creds.
# Not in a subshell (it starts a process): the reason goes to WHY.
pair_qr() {
	local name=$1 phone=$2 qr ans
	WHY=
	start "$name" --creds "$T/$name.creds" --ping-interval 300 "${@:3}"
	qr=$(wait_for "$T/$name.out" '^qr: ' 10) || { WHY="no QR"; return 1; }
	ans=$(ctl /scan "{\"qr\": \"${qr#qr: }\", \"phone\": \"$phone\"}")
	echo "$ans" | grep -q '"ok": *true' || { WHY="scan: $ans"; return 1; }
	wait_for "$T/$name.out" '^event: connected' 10 >/dev/null ||
	    { WHY="no connected event"; return 1; }
}

# --- the simulator -------------------------------------------------------
node tests/wasim/server.js --listen 127.0.0.1:0 --control 127.0.0.1:0 \
    --time-scale $SCALE >"$T/sim.out" 2>"$T/sim.err" &
SIM_PID=$!
if ! line=$(wait_for "$T/sim.out" '^wasim: ready' 20); then
	echo "FAIL wa_sim_start: see tests/logs/wa/sim.err"
	exit 1
fi
URL=$(sed -n 's/.*url=\([^ ]*\).*/\1/p' <<<"$line")
CTL=$(sed -n 's/.*control=\([^ ]*\).*/\1/p' <<<"$line")
ROOT=$(sed -n 's/.*root_key=\([^ ]*\).*/\1/p' <<<"$line")

# --- QR pairing end to end -----------------------------------------------
# refs -> QR -> /scan -> pair-success -> signature accepted -> 515 ->
# login -> success -> active -> pre-keys uploaded -> pings answered.
t_qr_pair() {
	local why
	if ! pair_qr a 15550100; then
		fail wa_qr_pair "$WHY"
		return
	fi
	grep -q '^event: paired jid=15550100:[0-9]*@s.whatsapp.net phone=15550100 ' \
	    "$T/a.out" || { fail wa_qr_pair "no paired event"; return; }
	[ "$(stat -c %a "$T/a.creds" 2>/dev/null)" = 600 ] ||
	    { fail wa_qr_pair "creds file missing or not 0600"; return; }
	sleep 1.2
	why=$(state "[(c['payload']['kind'], c['pingsAnswered'], c['passive'])
	    for c in s['connections'] if c['phase'] == 'logged-in']")
	if ! grep -q "('login', [1-9][0-9]*, False)" <<<"$why"; then
		fail wa_qr_pair "login/pings/active not seen: $why"
		return
	fi
	why=$(state "[(d['via'], d['prekeys']) for p in s['phones']
	    if p['phone'] == '15550100' for d in p['devices']]")
	[ "$why" = "[('qr', 812)]" ] ||
	    { fail wa_qr_pair "device list (via, prekeys) $why"; return; }
	grep -q '^event: prekeys first=1 n=812' "$T/a.out" ||
	    { fail wa_qr_pair "pre-key ids not 1..812"; return; }
	# whatsmeow keepalive.go: the empty w:p iq, never Baileys' <ping/>.
	why=$(state "sum(c['pingsWithChild'] for c in s['connections'])")
	[ "$why" = 0 ] || { fail wa_qr_pair "$why pings with a child"; return; }
	ok wa_qr_pair
}

# --- login with stored credentials after a restart ------------------------
t_login_restart() {
	local st
	cmd a stop
	finish a
	st=$ST
	grep -q '^event: closed reason=stopped code=0 intentional=1' \
	    "$T/a.out" && [ "$st" = 0 ] ||
	    { fail wa_login_restart "stop: status $st"; return; }
	start a2 --creds "$T/a.creds" --ping-interval 300
	if ! wait_for "$T/a2.out" '^event: connected jid=15550100:' 10 \
	    >/dev/null; then
		fail wa_login_restart "no connected event"
		return
	fi
	grep -q '^event: started mode=login' "$T/a2.out" ||
	    { fail wa_login_restart "did not log in"; return; }
	ok wa_login_restart
}

# --- QR rotation and exhaustion --------------------------------------------
t_qr_rotation() {
	local n q1 q2 ans
	start r --creds "$T/r.creds" --ping-interval 300
	if ! wait_for "$T/r.out" '^event: closed reason=qr_exhausted' 15 \
	    >/dev/null; then
		fail wa_qr_rotation "no qr_exhausted close"
		return
	fi
	# whatsmeow starts the keepalive right after the handshake.
	n=$(state "[c['pingsWhilePairing'] for c in s['connections']
	    if c['kind'] == 'registration' and c['closeReason'] ==
	    'client closed' and c['pingsWhilePairing'] > 0]")
	[ "$n" != "[]" ] ||
	    { fail wa_pings_while_pairing "no ping in the QR window"; }
	[ "$n" != "[]" ] && ok wa_pings_while_pairing
	n=$(grep -c '^qr: ' "$T/r.out")
	q1=$(grep '^qr: ' "$T/r.out" | sed -n 1p)
	q2=$(grep '^qr: ' "$T/r.out" | sed -n 2p)
	[ "$n" = 6 ] && [ "$q1" != "$q2" ] &&
	    grep -q '^event: qr n=6 ' "$T/r.out" ||
	    { fail wa_qr_rotation "$n QR codes"; return; }
	[ ! -e "$T/r.creds" ] ||
	    { fail wa_qr_rotation "creds written without pairing"; return; }
	ans=$(ctl /scan "{\"qr\": \"${q1#qr: }\"}")
	echo "$ans" | grep -q '"ok": *true' &&
	    { fail wa_qr_rotation "stale QR accepted"; return; }
	ok wa_qr_rotation
}

# --- pairing code end to end -------------------------------------------------
t_pair_code() {
	local code ans
	start pc --creds "$T/pc.creds" --pair-code 15550177 --ping-interval 300
	if ! code=$(wait_for "$T/pc.out" '^code: [0-9A-Z]{4}-[0-9A-Z]{4}$' 10)
	then
		fail wa_pair_code "no code"
		return
	fi
	ans=$(ctl /enter-code "{\"phone\": \"15550177\", \"code\": \"${code#code: }\"}")
	echo "$ans" | grep -q '"ok": *true' ||
	    { fail wa_pair_code "enter-code: $ans"; return; }
	wait_for "$T/pc.out" '^event: connected jid=15550177:' 10 >/dev/null ||
	    { fail wa_pair_code "no connected event"; return; }
	ans=$(state "[d['via'] for p in s['phones'] if p['phone'] == '15550177'
	    for d in p['devices']]")
	[ "$ans" = "['code']" ] || { fail wa_pair_code "devices $ans"; return; }
	cmd pc stop
	finish pc
	ok wa_pair_code
}

# A wrong code is refused by the phone; the client keeps waiting.
t_pair_code_wrong() {
	local code ans
	start pw --creds "$T/pw.creds" --pair-code 15550178
	code=$(wait_for "$T/pw.out" '^code: ' 10) ||
	    { fail wa_pair_code_wrong "no code"; return; }
	code=${code#code: }
	[ "$code" = AAAA-AAAA ] && code=BBBB-BBBB || code=AAAA-AAAA
	ans=$(ctl /enter-code "{\"phone\": \"15550178\", \"code\": \"$code\"}")
	echo "$ans" | grep -q '"ok": *true' &&
	    { fail wa_pair_code_wrong "wrong code accepted"; return; }
	grep -q '^event: paired' "$T/pw.out" &&
	    { fail wa_pair_code_wrong "paired with a wrong code"; return; }
	cmd pw stop
	finish pw
	ok wa_pair_code_wrong
}

# --- faults, each as a typed close -------------------------------------------
# fault NAME PHONE URLPATH EXPECTED-CLOSE-RE [wa-pair args]
fault() {
	local name=$1 phone=$2 path=$3 want=$4
	shift 4
	if ! pair_qr "$name" "$phone" "$@"; then
		fail "wa_fault_$name" "pairing failed: $WHY"
		return 1
	fi
	ctl "$path" "{\"jid\": \"$phone@s.whatsapp.net\"}" >/dev/null
	if ! wait_for "$T/$name.out" "^event: closed $want" 10 >/dev/null; then
		fail "wa_fault_$name" "want '$want', got: $(grep '^event: closed' \
		    "$T/$name.out")"
		return 1
	fi
	finish "$name"
	return 0
}

t_faults() {
	fault conflict 15550201 /conflict 'reason=replaced code=440 intentional=0' &&
	    ok wa_fault_conflict
	fault drop 15550202 /drop 'reason=connection_lost ' &&
	    ok wa_fault_drop
	fault silence 15550203 /silence 'reason=timeout ' \
	    --ping-timeout 200 --dead-after 700 && ok wa_fault_silence
	ctl /unsilence '{}' >/dev/null
	fault garbage 15550204 /garbage 'reason=protocol ' &&
	    ok wa_fault_garbage
	if fault logout 15550205 /logout 'reason=logged_out code=401 intentional=0'
	then
		grep -q '^event: logged_out reason=logged_out code=401' \
		    "$T/logout.out" && [ ! -e "$T/logout.creds" ] &&
		    ok wa_fault_logout ||
		    fail wa_fault_logout "no logged_out event or creds kept"
	fi
	# A node that does not decode: also a protocol error.
	if pair_qr garbage2 15550206; then
		ctl /garbage '{"jid": "15550206@s.whatsapp.net", "kind": "node"}' \
		    >/dev/null
		wait_for "$T/garbage2.out" '^event: closed reason=protocol ' 10 \
		    >/dev/null && ok wa_fault_garbage_node ||
		    fail wa_fault_garbage_node "no protocol close"
	else
		fail wa_fault_garbage_node "pairing failed: $WHY"
	fi
}

# /outdated: the next login gets failure 405.
t_outdated() {
	local st
	if ! pair_qr od 15550207; then
		fail wa_fault_outdated "pairing failed: $WHY"
		return
	fi
	cmd od stop
	finish od
	ctl /outdated '{"jid": "15550207@s.whatsapp.net"}' >/dev/null
	start od2 --creds "$T/od.creds"
	wait_for "$T/od2.out" '^event: closed reason=outdated code=405 ' 10 \
	    >/dev/null || { fail wa_fault_outdated "$(cat "$T/od2.out")"; return; }
	finish od2
	st=$ST
	[ "$st" = 3 ] && [ -e "$T/od.creds" ] && ok wa_fault_outdated ||
	    fail wa_fault_outdated "status $st or creds gone"
}

# /ban: the live session ends; the next login is refused with 403.
t_ban() {
	if ! pair_qr ban 15550208; then
		fail wa_fault_ban "pairing failed: $WHY"
		return
	fi
	ctl /ban '{"jid": "15550208@s.whatsapp.net"}' >/dev/null
	wait_for "$T/ban.out" '^event: closed reason=connection_lost ' 10 \
	    >/dev/null || { fail wa_fault_ban "live session kept"; return; }
	finish ban
	start ban2 --creds "$T/ban.creds"
	wait_for "$T/ban2.out" '^event: closed reason=banned code=403 ' 10 \
	    >/dev/null || { fail wa_fault_ban "$(cat "$T/ban2.out")"; return; }
	grep -q '^event: logged_out reason=banned code=403' "$T/ban2.out" ||
	    { fail wa_fault_ban "no logged_out event"; return; }
	ctl /unban '{"jid": "15550208@s.whatsapp.net"}' >/dev/null
	ok wa_fault_ban
}

# Our own logout: remove-companion-device, then logged_out and closed.
t_logout() {
	local st ans
	if ! pair_qr lo 15550209; then
		fail wa_logout "pairing failed: $WHY"
		return
	fi
	cmd lo stop
	finish lo
	start lo2 --creds "$T/lo.creds" --logout
	wait_for "$T/lo2.out" '^event: closed reason=logged_out .*intentional=1' \
	    10 >/dev/null || { fail wa_logout "$(cat "$T/lo2.out")"; return; }
	finish lo2
	st=$ST
	ans=$(state "len([d for p in s['phones'] if p['phone'] == '15550209'
	    for d in p['devices']])")
	[ "$st" = 0 ] && [ "$ans" = 0 ] && [ ! -e "$T/lo.creds" ] &&
	    grep -q '^event: logged_out' "$T/lo2.out" && ok wa_logout ||
	    fail wa_logout "status $st, devices left $ans"
}

# Pair and log out at once (the daemon's duplicate guard, DESIGN.md
# rule 6): logout requested from the paired event goes out after the
# 515 login; the phone is left without the device.
t_pair_then_logout() {
	local qr ans
	start pl --creds "$T/pl.creds" --logout
	qr=$(wait_for "$T/pl.out" '^qr: ' 10) ||
	    { fail wa_pair_then_logout "no QR"; return; }
	ans=$(ctl /scan "{\"qr\": \"${qr#qr: }\", \"phone\": \"15550210\"}")
	echo "$ans" | grep -q '"ok": *true' ||
	    { fail wa_pair_then_logout "scan: $ans"; return; }
	wait_for "$T/pl.out" '^event: closed reason=logged_out .*intentional=1' \
	    10 >/dev/null || { fail wa_pair_then_logout "$(cat "$T/pl.out")";
	    return; }
	finish pl
	ans=$(state "len([d for p in s['phones'] if p['phone'] == '15550210'
	    for d in p['devices']])")
	[ "$ST" = 0 ] && [ "$ans" = 0 ] && [ ! -e "$T/pl.creds" ] &&
	    grep -q '^event: paired' "$T/pl.out" &&
	    ! grep -q '^event: connected' "$T/pl.out" &&
	    ok wa_pair_then_logout ||
	    fail wa_pair_then_logout "status $ST, devices left $ans"
}

# Notifications are acked as the server expects (spec 8.7).
t_ack() {
	local ans
	# a2 (15550100) is still logged in from t_login_restart.
	ans=$(ctl /notify '{"jid": "15550100@s.whatsapp.net"}')
	sleep 0.5
	ans=$(state "[(len(c['acked']), len(c['awaitingAck'])) for c in
	    s['connections'] if c['phase'] == 'logged-in' and
	    c['jid'].startswith('15550100:')]")
	[ "$ans" = "[(1, 0)]" ] && ok wa_ack_notification ||
	    fail wa_ack_notification "acked/awaiting: $ans"
}

# whatsmeow handleStreamError: a bare 401 is a stream error (the caller
# reconnects, credentials kept); only 401 + device_removed logs out.
t_stream401() {
	if ! pair_qr s401 15550211; then
		fail wa_stream_401 "pairing failed: $WHY"
		return
	fi
	ctl /stream-error '{"jid": "15550211@s.whatsapp.net", "code": 401}' \
	    >/dev/null
	wait_for "$T/s401.out" '^event: closed reason=unknown code=401 ' 10 \
	    >/dev/null || { fail wa_stream_401 "$(grep '^event: closed' \
	    "$T/s401.out")"; return; }
	finish s401
	! grep -q '^event: logged_out' "$T/s401.out" && [ -e "$T/s401.creds" ] &&
	    ok wa_stream_401 || fail wa_stream_401 "logged out on a bare 401"
}

# <notification type=encrypt><count value=3/>: the client tops up 50,
# with ids after the first 812 (whatsmeow notification.go, prekeys.go).
t_prekeys_low() {
	local ans
	ctl /prekeys-low '{"jid": "15550100@s.whatsapp.net", "count": 3}' \
	    >/dev/null
	wait_for "$T/a2.out" '^event: prekeys first=813 n=50' 10 >/dev/null ||
	    { fail wa_prekeys_topup "no top-up: $(grep prekeys "$T/a2.out")";
	    return; }
	sleep 0.5
	ans=$(state "[d['prekeys'] for p in s['phones'] if p['phone'] ==
	    '15550100' for d in p['devices']]")
	[ "$ans" = "[53]" ] && ok wa_prekeys_topup ||
	    fail wa_prekeys_topup "server has $ans"
}

# <status> and <appdata> are acked (whatsmeow client.go handlers); the
# simulator lists every tracked stanza left unacked.
t_ack_stanzas() {
	local ans
	ctl /stanza '{"jid": "15550100@s.whatsapp.net", "tag": "status",
	    "from": "15550333@s.whatsapp.net", "type": "text"}' >/dev/null
	ctl /stanza '{"jid": "15550100@s.whatsapp.net", "tag": "appdata"}' \
	    >/dev/null
	sleep 1.5
	ans=$(state "(s['unacked'], [len(c['acked']) for c in
	    s['connections'] if c['phase'] == 'logged-in' and
	    c['jid'].startswith('15550100:')])")
	[ "$ans" = "([], [4])" ] && ok wa_ack_status_appdata ||
	    fail wa_ack_status_appdata "unacked, acked: $ans"
}

# The next login after /offline and /lid: the backlog event after
# active, and the changed LID adopted and saved.
t_offline_lid() {
	local lid
	cmd a2 stop
	finish a2
	ctl /offline '{"jid": "15550100@s.whatsapp.net", "count": 4}' >/dev/null
	lid=$(ctl /lid '{"jid": "15550100@s.whatsapp.net"}' |
	    python3 -c 'import json, sys; print(json.load(sys.stdin)["devices"][0]["lid"])')
	start a3 --creds "$T/a.creds" --ping-interval 300
	wait_for "$T/a3.out" '^event: offline count=4' 10 >/dev/null &&
	    ok wa_offline_backlog ||
	    fail wa_offline_backlog "$(cat "$T/a3.out")"
	grep -q "^event: connected .* lid=$lid\$" "$T/a3.out" &&
	    grep -q '^event: creds_changed' "$T/a3.out" &&
	    ok wa_lid_changed || fail wa_lid_changed "want $lid: $(cat "$T/a3.out")"
	FD_a2=$FD_a3
	PID_a2=$PID_a3
}

# An IQ from a user JID instead of the server is refused (whatsmeow
# pair.go handleIQ), logged, and changes nothing.
t_foreign_iq() {
	local ans
	start fi --creds "$T/fi.creds"
	wait_for "$T/fi.out" '^qr: ' 10 >/dev/null ||
	    { fail wa_iq_wrong_origin "no QR"; return; }
	ctl /foreign-iq '{}' >/dev/null
	sleep 0.5
	ans=$(state "[c['foreignIqAnswered'] for c in s['connections']
	    if c['phase'] == 'registration']")
	cmd fi stop
	finish fi
	grep -q 'refusing <pair-device> IQ from 15559999@s.whatsapp.net' \
	    "$T/fi.err" && [ "$ans" = "[0]" ] && ok wa_iq_wrong_origin ||
	    fail wa_iq_wrong_origin "answered: $ans"
}

# A connect failure names its cause (issue 8, the "failures" contract):
# a port nobody listens on is "connection refused", a name that does
# not resolve a lookup failure.
t_connect_cause() {
	local port
	port=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	URL_SAVE=$URL
	URL=ws://127.0.0.1:$port/ws/chat
	start cc1 --creds "$T/cc1.creds"
	URL=ws://wadesk-no-such-host.invalid/ws/chat
	start cc2 --creds "$T/cc2.creds"
	URL=$URL_SAVE
	wait_for "$T/cc1.out" '^event: closed reason=connect_failed .* cause=connection refused$' \
	    10 >/dev/null && ok wa_cause_refused ||
	    fail wa_cause_refused "$(cat "$T/cc1.out")"
	wait_for "$T/cc2.out" '^event: closed reason=connect_failed .* cause=wadesk-no-such-host.invalid: name lookup failed$' \
	    10 >/dev/null && ok wa_cause_name_lookup ||
	    fail wa_cause_name_lookup "$(cat "$T/cc2.out")"
	finish cc1
	finish cc2
}

# A wrong pinned root key (and WhatsApp's own, the default) is refused.
t_bad_root() {
	ROOT_OVERRIDE=142375574d0a587166aae71ebe516437c4a28b73e3695c6ce1f7f9545da8ee6b \
	    start br --creds "$T/br.creds"
	wait_for "$T/br.out" '^event: closed reason=bad_cert ' 10 >/dev/null &&
	    grep -q 'certificate\|root\|signature' "$T/br.err" &&
	    ! grep -q '^qr: ' "$T/br.out" && ok wa_bad_root_key ||
	    fail wa_bad_root_key "$(cat "$T/br.out")"
	ROOT_OVERRIDE= start br2 --creds "$T/br2.creds"
	wait_for "$T/br2.out" '^event: closed reason=bad_cert ' 10 >/dev/null &&
	    ok wa_default_root_refuses_sim ||
	    fail wa_default_root_refuses_sim "$(cat "$T/br2.out")"
}

# wss:// through a TLS proxy (nginx with a self-signed certificate in
# front of the simulator): refused by default, works with --insecure.
t_wss() {
	local ngx port i up= hp=${URL#ws://}
	ngx=$(command -v nginx || echo /usr/sbin/nginx)
	if [ ! -x "$ngx" ] || ! command -v openssl >/dev/null; then
		fail wa_wss_tls "nginx or openssl missing"
		return
	fi
	mkdir -p "$T/ngx/tmp"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$T/ngx/key.pem" -out "$T/ngx/cert.pem" -days 2 \
	    -subj /CN=localhost 2>/dev/null ||
	    { fail wa_wss_tls "openssl req"; return; }
	for i in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 20000))
		cat >"$T/ngx/nginx.conf" <<NGX
daemon off;
master_process off;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/ngx/tmp;
	proxy_temp_path $T/ngx/tmp;
	fastcgi_temp_path $T/ngx/tmp;
	uwsgi_temp_path $T/ngx/tmp;
	scgi_temp_path $T/ngx/tmp;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $T/ngx/cert.pem;
		ssl_certificate_key $T/ngx/key.pem;
		location / {
			proxy_pass http://${hp%/ws/chat};
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection upgrade;
		}
	}
}
NGX
		"$ngx" -p "$T/ngx" -c "$T/ngx/nginx.conf" \
		    >"$T/ngx.out" 2>&1 &
		PIDS+=($!)
		sleep 0.5
		if kill -0 $! 2>/dev/null; then
			up=1
			break
		fi
	done
	[ -n "$up" ] || { fail wa_wss_tls "nginx did not start"; return; }
	URL_SAVE=$URL
	URL=wss://127.0.0.1:$port/ws/chat
	start tls1 --creds "$T/tls1.creds"
	start tls2 --creds "$T/tls2.creds" --insecure
	URL=$URL_SAVE
	wait_for "$T/tls1.out" '^event: closed reason=connect_failed .* cause=TLS certificate verify failed$' 10 \
	    >/dev/null && grep -q 'self-signed\|certificate' "$T/tls1.err" ||
	    { fail wa_wss_tls "self-signed accepted: $(cat "$T/tls1.out")";
	    return; }
	wait_for "$T/tls2.out" '^qr: ' 10 >/dev/null ||
	    { fail wa_wss_tls "no QR over TLS: $(cat "$T/tls2.err")"; return; }
	cmd tls2 stop
	finish tls2
	ok wa_wss_tls
}

# The simulator noticed no protocol error by the client, apart from the
# three this script provokes (wrong code, /outdated, /ban).
t_sim_errors() {
	local ans
	ans=$(state "[e['error'] for e in s['errors'] if not any(x in
	    e['error'] for x in ('wrong code?', 'forced by /outdated',
	    'phone 15550208 is banned'))]")
	[ "$ans" = "[]" ] && ok wa_sim_saw_no_client_errors ||
	    fail wa_sim_saw_no_client_errors "$ans"
}

t_qr_pair
t_login_restart
t_ack
t_prekeys_low
t_ack_stanzas
t_offline_lid
t_foreign_iq
t_stream401
t_qr_rotation
t_pair_code
t_pair_code_wrong
t_faults
t_outdated
t_ban
t_logout
t_pair_then_logout
t_bad_root
t_connect_cause
t_wss
t_sim_errors
if [ -n "${FD_a2-}" ]; then
	cmd a2 stop
	finish a2
fi
if grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error' \
    "$T"/*.err; then
	fail wa_sanitizers "$(grep -l 'Sanitizer\|runtime error' "$T"/*.err)"
else
	ok wa_sanitizers
fi
[ "$fails" = 0 ]
