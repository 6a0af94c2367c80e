#!/usr/bin/env bash
# tests/groups/bench.sh: issue 10's figures (tests/groups/bench.js):
# a groups sync of 500 groups (target < 2 s) and the groups page's p99
# with 500 groups (target < 20 ms), against the real wadeskd and
# tests/wasim on the stack of tests/daemon/run.sh.  Uses $BUILD
# (default: the plain "make" build, build/).  About 20 s.
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
DAEMON_TEST_JS=tests/groups/bench.js exec tests/daemon/run.sh "$@"
