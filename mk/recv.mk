# Issue 9 part 2, receiving (daemon/wa/client_msg.c and the daemon's
# messages table, sql/015_recv.sql).
# tests/daemon/recv.sh: the real wadeskd against tests/wasim's Baileys
# contacts, groups and own phone (pkmsg, msg, device-sent, SKDM+skmsg,
# retry receipts and resends, identity change, retention, wipe).
CHECK_SCRIPTS	+= tests/daemon/recv.sh

# daemon/messages.c (the messages table) joins wadeskd and its test
# twin here, so that mk/daemon.mk's source list stays as it is: extra
# prerequisites of the same targets land in their $^.
RECV_DAEMON_OBJS := $(BUILD)/daemon/messages.o
$(RECV_DAEMON_OBJS): CPPFLAGS += $(DAEMON_CPPFLAGS)
$(BUILD)/daemon/wadeskd $(DAEMON_FAKE): $(RECV_DAEMON_OBJS)

# Independent vectors: Baileys-encrypted pkmsg, SKDM+skmsg, msg, skmsg
# (tests/wa/recvvec/gen.mjs -> vectors.json, committed) decrypted by the
# real client in-process (tests/wa/client_harness.h).  mk/wa_*.mk sort
# after this file, so their object lists are not defined yet: named here.
RECV_CLIENT_OBJS := $(addprefix $(BUILD)/daemon/wa/,frame.o client.o \
		   client_pair.o client_login.o client_iq.o client_ka.o \
		   client_msg.o noise.o cert.o payload.o pair.o paircode.o \
		   keys.o crypto.o binary.o jid.o wheel.o msg.o \
		   signal_crypto.o signal_store.o client_groups.o groups.o) \
		   $(BUILD)/gen/wa_tokens.o $(BUILD)/gen/wa-md.pb-c.o \
		   $(BUILD)/gen/wa-e2e.pb-c.o
RECV_CLIENT_PKGS := libwebsockets libsodium libcrypto libprotobuf-c zlib \
		   libsignal-protocol-c
UNIT_TESTS	+= $(BUILD)/tests/wa/t_recv
$(BUILD)/tests/wa/t_recv.o: CPPFLAGS += -Idaemon/wa -Itests -Itests/unit \
	    $(call pc_cflags,$(RECV_CLIENT_PKGS) json-c)
$(BUILD)/tests/wa/t_recv.o: $(BUILD)/gen/wa-md.pb-c.h
$(BUILD)/tests/wa/t_recv: $(BUILD)/tests/wa/t_recv.o \
    $(RECV_CLIENT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(RECV_CLIENT_PKGS) $(LIB_PKGS))

# libFuzzer over the receive path (tests/wa/fuzz_recv.c compiles
# client_msg.c in, to reach the plaintext handler): plaintexts,
# <message>/<enc> stanzas, waE2E.Message decoding, receipts.  Seeds in
# tests/fuzz/corpus/fuzz_recv/ (tests/wa/recvvec/seeds.mjs).
RECV_FUZZ_SRCS	:= $(addprefix daemon/wa/,client.c client_pair.c \
		   client_login.c client_iq.c client_ka.c frame.c noise.c \
		   cert.c payload.c pair.c paircode.c keys.c crypto.c binary.c \
		   jid.c wheel.c msg.c signal_crypto.c signal_store.c \
		   client_groups.c groups.c) \
		   $(BUILD)/gen/wa_tokens.c $(BUILD)/gen/wa-md.pb-c.c \
		   $(BUILD)/gen/wa-e2e.pb-c.c lib/buf.c lib/log.c \
		   lib/waversion.c lib/xalloc.c
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_recv
$(BUILD)/fuzz/fuzz_recv: tests/wa/fuzz_recv.c tests/wa/client_harness.h \
    tests/unit/memstore.h daemon/wa/client_msg.c daemon/wa/client_int.h \
    $(RECV_FUZZ_SRCS) $(BUILD)/gen/wa-md.pb-c.h $(BUILD)/gen/wa-e2e.pb-c.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WA_FUZZ_FLAGS) -I$(BUILD)/gen -Itests -Itests/unit \
	    $(call pc_cflags,libsignal-protocol-c) -o $@ \
	    $(filter-out daemon/wa/client_msg.c,$(filter %.c,$^)) \
	    $(call pc_libs,$(RECV_CLIENT_PKGS))
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_recv 10'

# "make bench": decrypt throughput of the receive path, in-process over
# an in-memory store (tests/wa/bench_recv.c).  Built by "all".
RECV_BENCH	:= $(BUILD)/tests/wa/bench_recv
all: $(RECV_BENCH)
BENCH_CMDS	+= $(RECV_BENCH)
$(BUILD)/tests/wa/bench_recv.o: CPPFLAGS += -Idaemon/wa -Itests -Itests/unit \
	    $(call pc_cflags,$(RECV_CLIENT_PKGS))
$(BUILD)/tests/wa/bench_recv.o: $(BUILD)/gen/wa-md.pb-c.h \
    $(BUILD)/gen/wa-e2e.pb-c.h
$(RECV_BENCH): $(BUILD)/tests/wa/bench_recv.o $(RECV_CLIENT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(RECV_CLIENT_PKGS) $(LIB_PKGS))
# ... and the daemon's decrypt-and-store throughput over PostgreSQL.
BENCH_CMDS	+= tests/daemon/bench_recv.sh
