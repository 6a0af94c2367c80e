# The session daemon wadeskd (daemon/*.c, not daemon/wa/): event loop,
# command intake, lifecycle rules, sessions, sealed credentials.  It
# links every object of daemon/wa (the fragments mk/wa_*.mk set their
# per-object flags; they sort after this file, so the objects are named
# by path here).  wadeskd is built once daemon/wa/client.c exists.
# libev (a dependency of Debian's libwebsockets-dev, no .pc file) is
# the event loop lws runs on.
# Tests: t_session (the lifecycle rules, pure), t_creds (sealing), and
# tests/daemon/run.sh (the real daemon against tests/wasim and a real
# PostgreSQL, through the dashboard's command rows).
DAEMON_PKGS	:= libpq json-c libsodium libwebsockets libcrypto \
		   libprotobuf-c zlib libsignal-protocol-c
DAEMON_SRCS	:= daemon/main.c daemon/intake.c daemon/db_daemon.c \
		   daemon/creds.c daemon/policy.c daemon/session.c \
		   daemon/sigstore.c daemon/lease.c daemon/proxy.c \
		   daemon/groups.c daemon/reminders.c
DAEMON_OBJS	:= $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
DAEMON_CPPFLAGS	:= -Idaemon -Idaemon/wa \
		   $(call pc_cflags,libpq json-c libsodium libwebsockets)
$(DAEMON_OBJS): CPPFLAGS += $(DAEMON_CPPFLAGS)

# Every daemon/wa source except programs with their own main().
DAEMON_WA_SRCS	:= $(filter-out $(shell grep -lE '^main\W' daemon/wa/*.c \
		   2>/dev/null),$(wildcard daemon/wa/*.c))
DAEMON_WA_OBJS	:= $(DAEMON_WA_SRCS:%.c=$(BUILD)/%.o) \
		   $(BUILD)/gen/wa_tokens.o $(BUILD)/gen/wa-md.pb-c.o \
		   $(BUILD)/gen/wa-e2e.pb-c.o

ifneq ($(wildcard daemon/wa/client.c),)
PROGS		+= $(BUILD)/daemon/wadeskd
endif
$(BUILD)/daemon/wadeskd: $(DAEMON_OBJS) $(DAEMON_WA_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DAEMON_PKGS)) -lev

# The lifecycle rules without network or database (and the shape of
# the daemon's statement table).
UNIT_TESTS	+= $(BUILD)/tests/unit/t_session
$(BUILD)/tests/unit/t_session.o: CPPFLAGS += $(DAEMON_CPPFLAGS)
$(BUILD)/tests/unit/t_session: $(BUILD)/tests/unit/t_session.o \
    $(BUILD)/daemon/policy.o $(BUILD)/daemon/db_daemon.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))

# Sealing and opening credentials, and the key file.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_creds
$(BUILD)/tests/unit/t_creds.o: CPPFLAGS += $(DAEMON_CPPFLAGS)
$(BUILD)/tests/unit/t_creds: $(BUILD)/tests/unit/t_creds.o \
    $(BUILD)/daemon/creds.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))

# Test-only: the daemon linked with tests/daemon/fake_wa.c (a scripted
# stand-in for daemon/wa) so tests/daemon/run.sh can check the daemon's
# own work without the WhatsApp client.  Never installed.
DAEMON_FAKE	:= $(BUILD)/tests/daemon/wadeskd-fake
$(BUILD)/tests/daemon/fake_wa.o: CPPFLAGS += $(DAEMON_CPPFLAGS)
$(DAEMON_FAKE): $(DAEMON_OBJS) $(BUILD)/tests/daemon/fake_wa.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DAEMON_PKGS)) -lev
tests: $(DAEMON_FAKE)

# The daemon end to end through the dashboard (real stack; tests/wasim
# with the real client once built, else the fake; see the script).
CHECK_SCRIPTS	+= tests/daemon/run.sh

# "make bench": pair->QR and scan->connected latency, then 1,000 and
# 5,000 logged-in sessions on one daemon (tests/daemon/bench.sh).
BENCH_CMDS	+= tests/daemon/bench.sh

# The Signal store over a real PostgreSQL (tests/daemon/sigstore.sh
# starts one and runs t_sigstore as the daemon role).
SIGSTORE_TEST	:= $(BUILD)/tests/daemon/t_sigstore
$(BUILD)/tests/daemon/t_sigstore.o: CPPFLAGS += $(DAEMON_CPPFLAGS) -Itests \
	    -Itests/unit $(call pc_cflags,libsignal-protocol-c)
$(SIGSTORE_TEST): $(BUILD)/tests/daemon/t_sigstore.o \
    $(BUILD)/daemon/sigstore.o $(BUILD)/daemon/creds.o \
    $(BUILD)/daemon/db_daemon.o $(BUILD)/daemon/wa/signal_crypto.o \
    $(BUILD)/daemon/wa/signal_store.o $(BUILD)/daemon/wa/keys.o \
    $(BUILD)/daemon/wa/crypto.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(DAEMON_PKGS))
tests: $(SIGSTORE_TEST)
CHECK_SCRIPTS	+= tests/daemon/sigstore.sh
