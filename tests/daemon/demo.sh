#!/usr/bin/env bash
# tests/daemon/demo.sh: the whole product against tests/wasim instead of
# WhatsApp, for "make demo": no phone and no internet needed.  Starts
# the simulator (its "phone" page: one "scan with +1 555 0100" button per
# waiting QR, a field for pairing codes), points wadeskd at it through
# WADESK_WA_URL / WADESK_WA_ROOT_KEY, and runs scripts/run.sh (nginx,
# wadesk.fcgi, wadeskd, PostgreSQL) until Ctrl-C, then stops it all.
# State lives in $WADESK_VAR (default ./var-demo): the simulator forgets
# its phones when it stops, so demo data is kept apart from "make run".
#   WADESK_DEMO_PHONE_PORT   the phone page's port (default 8081)
set -eu
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
export WADESK_VAR=${WADESK_VAR:-$PWD/var-demo}
phone_port=${WADESK_DEMO_PHONE_PORT:-8081}
unset WADESK_DEMO_PHONE_PORT
mkdir -p "$WADESK_VAR"
if [ ! -d tests/node_modules/baileys ]; then
	echo "demo: the simulator needs its packages: (cd tests && npm ci)" >&2
	exit 1
fi

ready=$(mktemp)
node tests/wasim/server.js --listen 127.0.0.1:0 \
    --control "127.0.0.1:$phone_port" >"$ready" \
    2>>"$WADESK_VAR/wasim.log" &
sim=$!
stop_sim() {
	kill "$sim" 2>/dev/null || true
	rm -f "$ready"
}
trap stop_sim EXIT
for _ in $(seq 100); do
	grep -q '^wasim: ready' "$ready" && break
	kill -0 "$sim" 2>/dev/null || break
	sleep 0.1
done
line=$(cat "$ready")
url=$(echo "$line" | sed -n 's/.* url=\([^ ]*\).*/\1/p')
key=$(echo "$line" | sed -n 's/.* root_key=\([^ ]*\).*/\1/p')
if [ -z "$url" ] || [ -z "$key" ]; then
	echo "demo: the simulator did not start; see $WADESK_VAR/wasim.log" >&2
	exit 1
fi
export WADESK_WA_URL=$url WADESK_WA_ROOT_KEY=$key
echo "demo: simulated WhatsApp at $url"
echo "demo: the phone: http://127.0.0.1:$phone_port/ (scan QRs, type codes)"
# Not exec: our EXIT trap stops the simulator after run.sh returns.
scripts/run.sh
