# Issue 12, the fleet of daemons (second part).
# tests/daemon/fleet.sh: three wadeskd share 300 accounts through the
# leases against tests/wasim (fair split, kill -9 failover with a
# pairing window and a queued command, SIGSTOP fencing, PostgreSQL
# restart, drains, a small-capacity daemon); 2.5 to 4 minutes on
# build/san here, most of it pairing the 300 accounts.
CHECK_SCRIPTS	+= tests/daemon/fleet.sh

# tests/daemon/leasemodel.sh: the lease protocol checked by exhaustive
# interleaving of the daemon's real claim/renew/fence statements
# (t_leasemodel links daemon/db_daemon.o) against a real PostgreSQL
# with the clock moved by the model; every mutant must be caught.
# About 45 s.
LEASEMODEL_TEST	:= $(BUILD)/tests/daemon/t_leasemodel
$(BUILD)/tests/daemon/t_leasemodel.o: CPPFLAGS += $(DAEMON_CPPFLAGS) -Itests
$(LEASEMODEL_TEST): $(BUILD)/tests/daemon/t_leasemodel.o \
    $(BUILD)/daemon/db_daemon.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DAEMON_PKGS))
tests: $(LEASEMODEL_TEST)
CHECK_SCRIPTS	+= tests/daemon/leasemodel.sh

# tests/integration/upstream.sh: two wadesk.fcgi behind one nginx
# upstream (the README's "Two wadesk.fcgi behind one nginx"): a
# sign-in on one used on the other, round robin over both, one
# stopped.  About 15 s.
CHECK_SCRIPTS	+= tests/integration/upstream.sh

# "make bench": tests/daemon/fleet_bench.sh, the fleet's figures (lease
# renewal cost per tick at 5,000 owned accounts, failover of one of two
# daemons, a drain with 0 conflicts).  bench_lease times the daemon's
# own renewal statement (built by "all", as make bench builds).
LEASE_BENCH	:= $(BUILD)/tests/daemon/bench_lease
$(BUILD)/tests/daemon/bench_lease.o: CPPFLAGS += $(DAEMON_CPPFLAGS)
$(LEASE_BENCH): $(BUILD)/tests/daemon/bench_lease.o \
    $(BUILD)/daemon/db_daemon.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DAEMON_PKGS))
all: $(LEASE_BENCH)
BENCH_CMDS	+= tests/daemon/fleet_bench.sh
