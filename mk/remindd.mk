# Issue 11, the daemon's half: daemon/reminders.c (the scheduler and the
# resume_run/cancel_run commands) joins wadeskd through DAEMON_SRCS in
# mk/daemon.mk.  Here: its checks against tests/wasim on the stack of
# tests/daemon/run.sh (about 40 s), and the bench.
CHECK_SCRIPTS	+= tests/reminders/run.sh

# make bench: one run to 100 groups (time to all sent), and the
# scheduler's cost with 10,000 active reminders (per pass, claim p99).
BENCH_CMDS	+= tests/reminders/bench.sh
