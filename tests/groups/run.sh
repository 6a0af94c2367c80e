#!/usr/bin/env bash
# tests/groups/run.sh [FILTER]: issue 10's daemon checks
# (tests/groups/groups.test.js: groups after login, w:gp2
# notifications, Sync now and its failures) on the stack of
# tests/daemon/run.sh (PostgreSQL, nginx, wadesk.fcgi, tests/wasim and
# the real wadeskd from $BUILD, default build/san), which prints the
# ok/FAIL lines, the sanitizer check and "N passed, N failed".
# About 30 s.
cd "$(dirname "$0")/../.."
DAEMON_TEST_JS=tests/groups/groups.test.js exec tests/daemon/run.sh "$@"
