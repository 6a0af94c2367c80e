# Issue 12, the fleet of daemons (second part).
# tests/daemon/fleet.sh: three wadeskd share 300 accounts through the
# leases against tests/wasim (fair split, kill -9 failover with a
# pairing window and a queued command, SIGSTOP fencing, PostgreSQL
# restart, drains); about a minute on build/san.
CHECK_SCRIPTS	+= tests/daemon/fleet.sh
