#!/bin/sh
# Start the simulator in the background for shell-based tests and print
# shell assignments once it is ready:
#   eval "$(tests/wasim/start.sh [server.js options])"
#   ... use $WASIM_URL $WASIM_CONTROL $WASIM_ROOT_KEY ...
#   kill "$WASIM_PID"
# The simulator's stderr goes to $WASIM_LOG (default /dev/null).  Listens on
# 127.0.0.1 with free ports unless --listen/--control are given.  Exits 1
# (printing nothing on stdout) if it is not ready within 10 s.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/wasim-ready.XXXXXX")
node "$here/server.js" --listen 127.0.0.1:0 --control 127.0.0.1:0 "$@" \
    >"$out" 2>>"${WASIM_LOG:-/dev/null}" &
pid=$!
i=0
while [ $i -lt 100 ]; do
	line=$(head -n 1 "$out")
	case $line in
	"wasim: ready "*)
		rm -f "$out"
		set -- $line
		echo "WASIM_PID=$pid"
		echo "WASIM_URL=${3#url=}"
		echo "WASIM_CONTROL=${4#control=}"
		echo "WASIM_ROOT_KEY=${5#root_key=}"
		exit 0;;
	esac
	if ! kill -0 "$pid" 2>/dev/null; then
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
kill "$pid" 2>/dev/null || true
rm -f "$out"
echo "wasim: start.sh: simulator not ready" >&2
exit 1
