# Issue 10: groups and send-test.  The sources join the programs
# through the other fragments: daemon/wa/groups.c (the pure group
# stanza parser) and client_groups.c (wa_client_groups_sync, w:gp2)
# through DAEMON_WA_SRCS and WA_CLIENT_PARTS, daemon/groups.c through
# DAEMON_SRCS, cgi/page_groups.c through CGI_SRCS.  Here: t_groups,
# fuzz_groups, tests/groups/run.sh (the daemon against wasim), and
# the bench.  The pages' checks are tests/integration/groups.test.js
# (run by web.sh) and tests/browser/groups.test.js (browser/run.sh).
# (wa_binary.mk sorts after this file: its objects are named by path.)
WA_GROUPS_OBJS	:= $(BUILD)/daemon/wa/groups.o $(BUILD)/daemon/wa/binary.o \
		   $(BUILD)/daemon/wa/jid.o $(BUILD)/gen/wa_tokens.o

UNIT_TESTS	+= $(BUILD)/tests/unit/t_groups
$(BUILD)/tests/unit/t_groups.o: CPPFLAGS += -Idaemon/wa
$(BUILD)/tests/unit/t_groups: $(BUILD)/tests/unit/t_groups.o \
    $(WA_GROUPS_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS) zlib)

# libFuzzer target over the participating answer and w:gp2
# notifications (tests/fuzz/fuzz_groups.c), 10 s in make check.
WA_GROUPS_FUZZ_SRCS := tests/fuzz/fuzz_groups.c daemon/wa/groups.c \
		   daemon/wa/binary.c daemon/wa/jid.c lib/buf.c lib/log.c \
		   lib/xalloc.c
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_groups
$(BUILD)/fuzz/fuzz_groups: $(WA_GROUPS_FUZZ_SRCS) $(BUILD)/gen/wa_tokens.c \
    $(BUILD)/gen/wa_tokens.h daemon/wa/binary.h daemon/wa/groups.h
	@mkdir -p $(dir $@)
	$(or $(FUZZ_CC),clang) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -Ilib -Idaemon/wa \
	    -I$(BUILD)/gen -o $@ $(WA_GROUPS_FUZZ_SRCS) \
	    $(BUILD)/gen/wa_tokens.c $(call pc_libs,zlib)
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_groups 10'

# The daemon's half against tests/wasim and a real stack (about 30 s).
CHECK_SCRIPTS	+= tests/groups/run.sh

# make bench: sync of 500 groups, the groups page's p99 with 500.
BENCH_CMDS	+= tests/groups/bench.sh
