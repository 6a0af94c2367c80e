# Issue 12, the fleet of daemons (third part: robustness).
# tests/daemon/counts.sh: the account counts trigger (sql/022) takes
# its two count rows in one order, so two daemons moving accounts in
# opposite directions (a handover beside a login) never deadlock; the
# counts match the rows.  About 10 s.
CHECK_SCRIPTS	+= tests/daemon/counts.sh
