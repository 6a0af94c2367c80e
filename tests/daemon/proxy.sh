#!/usr/bin/env bash
# tests/daemon/proxy.sh [FILTER]: a proxy per account (issue 13): the
# stack and tests/wasim of tests/daemon/run.sh, with the checks of
# tests/daemon/proxy.test.js (a loopback HTTP CONNECT proxy in front of
# wasim).  Prints "ok NAME" / "FAIL NAME".
cd "$(dirname "$0")/../.." || exit 1
DAEMON_TEST_JS=tests/daemon/proxy.test.js exec tests/daemon/run.sh "$@"
