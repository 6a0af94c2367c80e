# Issue 9, sending: daemon/send.c runs send_text command rows (the
# client side is daemon/wa/client_send.c and usync.c, listed in
# mk/wa_client.mk's WA_CLIENT_PARTS).  daemon.mk sorts before this
# fragment and expanded its object lists already, so the object is
# added to each program by name.
SEND_OBJ	:= $(BUILD)/daemon/send.o
$(SEND_OBJ): CPPFLAGS += $(DAEMON_CPPFLAGS)
$(BUILD)/daemon/wadeskd: $(SEND_OBJ)
$(DAEMON_FAKE): $(SEND_OBJ)
CHECK_SCRIPTS	+= tests/daemon/send.sh

# libFuzzer over the parsers of the server's answers to a send
# (daemon/wa/usync.c): one binary per parser from tests/fuzz/fuzz_send.c,
# 10 s each in "make check"; seeds in tests/fuzz/corpus/NAME/ (written
# by tests/fuzz/seeds_send.mjs).
SEND_FUZZ_SRCS	:= tests/fuzz/fuzz_send.c daemon/wa/usync.c daemon/wa/binary.c \
		   daemon/wa/jid.c lib/buf.c lib/log.c lib/xalloc.c
SEND_FUZZ_DEPS	:= $(SEND_FUZZ_SRCS) $(BUILD)/gen/wa_tokens.c \
		   $(BUILD)/gen/wa_tokens.h daemon/wa/usync.h daemon/wa/binary.h
define send_fuzz
FUZZ_TARGETS	+= $(BUILD)/fuzz/$(1)
$(BUILD)/fuzz/$(1): $(SEND_FUZZ_DEPS)
	@mkdir -p $$(dir $$@)
	$$(or $$(FUZZ_CC),clang) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -D$(2) -Ilib \
	    -Idaemon/wa -I$(BUILD)/gen -o $$@ $(SEND_FUZZ_SRCS) \
	    $(BUILD)/gen/wa_tokens.c $$(call pc_libs,zlib libsodium)
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh $(1) 10'
endef
$(eval $(call send_fuzz,fuzz_usync,FUZZ_USYNC))
$(eval $(call send_fuzz,fuzz_prekeys,FUZZ_PREKEYS))
$(eval $(call send_fuzz,fuzz_ack,FUZZ_ACK))

# The parsers and query nodes of usync.c on known shapes; the participant
# hash against tests/wasim's own implementation.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_usync
$(BUILD)/tests/unit/t_usync.o: CPPFLAGS += -Idaemon/wa
$(BUILD)/tests/unit/t_usync: $(BUILD)/tests/unit/t_usync.o \
    $(BUILD)/daemon/wa/usync.o $(BUILD)/daemon/wa/binary.o \
    $(BUILD)/daemon/wa/jid.o $(BUILD)/gen/wa_tokens.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,zlib libsodium $(LIB_PKGS))

# make bench: group send to 256 members (about three minutes).
BENCH_CMDS	+= tests/daemon/send_bench.sh

# mk/recv.mk names the client's objects itself (it sorts before this
# file): its programs link the send parts too, which client.c and
# client_iq.c call, and json-c for the timelock notification.
$(BUILD)/tests/wa/t_recv $(BUILD)/tests/wa/bench_recv: \
    $(BUILD)/daemon/wa/client_send.o $(BUILD)/daemon/wa/usync.o
$(BUILD)/fuzz/fuzz_recv: daemon/wa/client_send.c daemon/wa/usync.c
$(BUILD)/fuzz/fuzz_recv: RECV_CLIENT_PKGS += json-c
