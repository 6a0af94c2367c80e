#!/usr/bin/env bash
# make run: start everything (scripts/stack.sh start), print the URL,
# and stop everything cleanly on Ctrl-C or SIGTERM.  A second run
# reuses the data in $WADESK_VAR (default ./var).
set -eu
here=$(dirname "$0")
stopping=0
cleanup() {
	[ $stopping -eq 0 ] || return 0
	stopping=1
	echo
	echo "stopping..."
	"$here/stack.sh" stop
	echo "stopped."
}
trap cleanup EXIT
trap 'exit 0' INT TERM
"$here/stack.sh" start
echo "wadesk is running. Sign in as admin (password above on the first run,"
echo "or WADESK_ADMIN_PASSWORD). Press Ctrl-C to stop."
while :; do sleep 3600 & wait $! || true; done
