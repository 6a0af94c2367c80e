#!/usr/bin/env bash
# tests/reminders/bench.sh: issue 11's figures (tests/reminders/bench.js):
# one reminder run to 100 groups (target < 10 s), the scheduler's pass
# with 10,000 active reminders and the due-claim latency p99 (target
# < 50 ms), against the real wadeskd and tests/wasim on the stack of
# tests/daemon/run.sh.  Uses $BUILD (default: the plain "make" build,
# build/).  About 40 s.
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
DAEMON_TEST_JS=tests/reminders/bench.js exec tests/daemon/run.sh "$@"
