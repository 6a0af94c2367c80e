#!/usr/bin/env bash
# tests/daemon/fleet.sh [FILTER]: issue 12, three wadeskd sharing the
# accounts through leases, against tests/wasim (fair split, kill -9
# failover, SIGSTOP fencing, PostgreSQL restart, drain by SIGTERM and by
# wadeskctl; the simulator's count of replaced logins stays 0).  The
# stack is tests/daemon/run.sh's; the checks are fleet.test.js.  Needs
# the real client ($BUILD/daemon/wadeskd): with only the fake, a line
# says so and nothing is checked.  Prints "ok NAME" / "FAIL NAME".
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build/san}
if [ ! -x "$BUILD/daemon/wadeskd" ] ||
    [ "${WADESK_DAEMON_TEST_WA:-}" = fake ]; then
	echo "note: $BUILD/daemon/wadeskd is not built: the fleet checks" \
	    "need the real client and tests/wasim; skipped"
	exit 0
fi
# About 2.5 minutes here, most of it pairing the 300 accounts; a
# loaded machine may need more than run.sh's default 300 s.
export BUILD DAEMON_TEST_JS=tests/daemon/fleet.test.js \
    DAEMON_TEST_TIMEOUT_S=${DAEMON_TEST_TIMEOUT_S:-600}
exec tests/daemon/run.sh "$@"
