#!/usr/bin/env bash
# tests/reminders/run.sh [FILTER]: issue 11's daemon checks
# (tests/reminders/reminders.test.js: one-off and recurring reminders,
# a refused group, not connected, missed past the grace, the delivery
# window's pause with resume and cancel, a restart and a kill -9 mid-run,
# deleting a reminder) on the stack of tests/daemon/run.sh (PostgreSQL,
# nginx, wadesk.fcgi, tests/wasim and the real wadeskd from $BUILD,
# default build/san), which prints the ok/FAIL lines, the sanitizer
# check and "N passed, N failed".  About 40 s.
cd "$(dirname "$0")/../.."
DAEMON_TEST_TIMEOUT_S=${DAEMON_TEST_TIMEOUT_S:-120} \
DAEMON_TEST_JS=tests/reminders/reminders.test.js exec tests/daemon/run.sh "$@"
