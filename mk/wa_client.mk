# daemon/wa: framing (frame.c), the WebSocket connection (conn.c), the
# protocol state machine (client*.c, split by stanza family behind
# wa.h, sharing client_int.h) and the demo program
# daemon/wa-pair.  Tests: t_frame, the libFuzzer target fuzz_frame and
# the simulator scripts in tests/wa/.
WA_FRAME_OBJS	:= $(BUILD)/daemon/wa/frame.o

UNIT_TESTS	+= $(BUILD)/tests/unit/t_frame
$(BUILD)/tests/unit/t_frame.o: CPPFLAGS += -Idaemon/wa
$(BUILD)/tests/unit/t_frame: $(BUILD)/tests/unit/t_frame.o $(WA_FRAME_OBJS) \
    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))

# libFuzzer targets are built with clang, outside the normal object
# tree; "make check" runs each for about 10 s (tests/wa/fuzz.sh).
FUZZ_CC		?= clang
WA_FUZZ_FLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined -D_GNU_SOURCE -Ilib -Idaemon/wa
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_frame
$(BUILD)/fuzz/fuzz_frame: tests/fuzz/fuzz_frame.c daemon/wa/frame.c \
    daemon/wa/frame.h lib/buf.c lib/log.c lib/xalloc.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WA_FUZZ_FLAGS) -o $@ $(filter %.c,$^)
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_frame 10'

# The client library: frame + conn + client, and what they stand on.
WA_CLIENT_PKGS	:= libwebsockets libsodium libcrypto libprotobuf-c zlib json-c \
		   libsignal-protocol-c
WA_CLIENT_PARTS	:= $(addprefix $(BUILD)/daemon/wa/,client.o client_pair.o \
		   client_login.o client_iq.o client_ka.o client_msg.o \
		   client_groups.o client_send.o usync.o)
WA_CLIENT_SRCS	:= $(patsubst $(BUILD)/%.o,%.c,$(WA_CLIENT_PARTS))
WA_CLIENT_OBJS	:= $(WA_FRAME_OBJS) $(BUILD)/daemon/wa/conn.o \
		   $(BUILD)/daemon/wa/tunnel.o $(BUILD)/daemon/wa/socks5.o \
		   $(WA_CLIENT_PARTS)
# The other wa fragments sort after this one, so their object lists
# are not defined yet when our rules are read: name the objects.
WA_CLIENT_ALL	:= $(WA_CLIENT_OBJS) \
		   $(addprefix $(BUILD)/daemon/wa/,noise.o cert.o payload.o \
		   pair.o paircode.o keys.o crypto.o binary.o jid.o wheel.o msg.o \
		   signal_crypto.o signal_store.o groups.o) \
		   $(BUILD)/gen/wa_tokens.o $(BUILD)/gen/wa-md.pb-c.o \
		   $(BUILD)/gen/wa-e2e.pb-c.o
$(WA_CLIENT_OBJS) $(BUILD)/daemon/wa/wheel.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,$(WA_CLIENT_PKGS))
$(WA_CLIENT_PARTS): $(BUILD)/gen/wa-md.pb-c.h $(BUILD)/gen/wa-e2e.pb-c.h

# The demo program: pair, log in, log out from a terminal or a script.
WA_PAIR_PROG	:= $(BUILD)/daemon/wa-pair
PROGS		+= $(WA_PAIR_PROG)
$(BUILD)/daemon/wa-pair.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,libwebsockets libqrencode)
$(WA_PAIR_PROG): $(BUILD)/daemon/wa-pair.o $(WA_CLIENT_ALL) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(WA_CLIENT_PKGS) libqrencode $(LIB_PKGS))

# Against the simulator over real sockets (about 35 s).
CHECK_SCRIPTS	+= tests/wa/run.sh

# "make bench": memory per idle logged-in connection, 1,000 clients on
# one lws_context (tests/wa/bench.sh).  Built by "all", never installed.
WA_BENCH_CONNS	:= $(BUILD)/tests/wa/bench_conns
all: $(WA_BENCH_CONNS)
BENCH_CMDS	+= tests/wa/bench.sh
$(BUILD)/tests/wa/bench_conns.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,libwebsockets)
$(WA_BENCH_CONNS): $(BUILD)/tests/wa/bench_conns.o $(WA_CLIENT_ALL) \
    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WA_CLIENT_PKGS) $(LIB_PKGS))

# The client state machine in-process: the client parts linked with a
# fake connection instead of conn.o (tests/wa/client_harness.h).
WA_CLIENT_TEST_OBJS := $(WA_FRAME_OBJS) $(WA_CLIENT_PARTS) \
		   $(addprefix $(BUILD)/daemon/wa/,noise.o cert.o payload.o \
		   pair.o paircode.o keys.o crypto.o binary.o jid.o wheel.o msg.o \
		   signal_crypto.o signal_store.o groups.o) \
		   $(BUILD)/gen/wa_tokens.o $(BUILD)/gen/wa-md.pb-c.o \
		   $(BUILD)/gen/wa-e2e.pb-c.o
UNIT_TESTS	+= $(BUILD)/tests/wa/t_client
$(BUILD)/tests/wa/t_client.o: CPPFLAGS += -Idaemon/wa -Itests \
	    $(call pc_cflags,$(WA_CLIENT_PKGS))
$(BUILD)/tests/wa/t_client.o: $(BUILD)/gen/wa-md.pb-c.h
$(BUILD)/tests/wa/t_client: $(BUILD)/tests/wa/t_client.o \
    $(WA_CLIENT_TEST_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WA_CLIENT_PKGS) $(LIB_PKGS))

# libFuzzer over the client's node handling (tests/wa/fuzz_client.c).
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_client
$(BUILD)/fuzz/fuzz_client: tests/wa/fuzz_client.c tests/wa/client_harness.h \
    $(WA_CLIENT_SRCS) daemon/wa/client_int.h daemon/wa/frame.c \
    $(addprefix daemon/wa/,noise.c cert.c payload.c pair.c paircode.c \
    keys.c crypto.c binary.c jid.c wheel.c msg.c signal_crypto.c \
    signal_store.c groups.c) $(BUILD)/gen/wa_tokens.c \
    $(BUILD)/gen/wa-md.pb-c.c $(BUILD)/gen/wa-md.pb-c.h \
    $(BUILD)/gen/wa-e2e.pb-c.c $(BUILD)/gen/wa-e2e.pb-c.h \
    lib/buf.c lib/log.c lib/waversion.c lib/xalloc.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WA_FUZZ_FLAGS) -I$(BUILD)/gen -Itests \
	    $(call pc_cflags,libsignal-protocol-c) -o $@ \
	    $(filter %.c,$^) \
	    $(call pc_libs,$(WA_CLIENT_PKGS))
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_client 10'

# The far-timer wheel (daemon/wa/wheel.c) on a real lws_context: order,
# lateness bound, cancel and re-arm of parked timers, the context's end.
UNIT_TESTS	+= $(BUILD)/tests/wa/t_wheel
$(BUILD)/tests/wa/t_wheel.o: CPPFLAGS += -Idaemon/wa -Itests \
	    $(call pc_cflags,libwebsockets)
$(BUILD)/tests/wa/t_wheel: $(BUILD)/tests/wa/t_wheel.o \
    $(BUILD)/daemon/wa/wheel.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,libwebsockets $(LIB_PKGS))
