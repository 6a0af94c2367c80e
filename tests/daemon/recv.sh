#!/usr/bin/env bash
# tests/daemon/recv.sh [FILTER]: receiving messages end to end (issue 9
# part 2): tests/daemon/recv.test.js on tests/daemon/run.sh's private
# stack (PostgreSQL, wadesk.fcgi, nginx, tests/wasim) with the real
# $BUILD/daemon/wadeskd.  Prints "ok NAME" / "FAIL NAME"; fails on any
# sanitizer report in the logs.
cd "$(dirname "$0")/../.." || exit 1
if [ ! -x "${BUILD:-build/san}/daemon/wadeskd" ]; then
	echo "FAIL recv-setup (no ${BUILD:-build/san}/daemon/wadeskd)"
	exit 1
fi
export WADESK_DAEMON_TEST_WA=wasim DAEMON_TEST_JS=tests/daemon/recv.test.js
exec tests/daemon/run.sh "$@"
