# daemon/wa binary node codec: binary.c, jid.c and the token tables that
# daemon/wa/gen-tokens.py generates from daemon/wa/tokens.txt into
# $(BUILD)/gen/wa_tokens.[ch].  Users link $(WA_BINARY_OBJS) and
# $(call pc_libs,$(WA_BINARY_PKGS)) and add -Idaemon/wa.
# Tests: t_binary (unit), tests/wa/interop/binary-interop.sh (against the npm
# baileys codec), fuzz_binary (libFuzzer), bench_binary (make bench).
WA_BINARY_PKGS	:= zlib
WA_BINARY_OBJS	:= $(BUILD)/daemon/wa/binary.o $(BUILD)/daemon/wa/jid.o \
		   $(BUILD)/gen/wa_tokens.o
GEN_SRCS	+= $(BUILD)/gen/wa_tokens.c $(BUILD)/gen/wa_tokens.h

# A pattern rule so that make knows one run makes both files.
$(BUILD)/gen/%_tokens.c $(BUILD)/gen/%_tokens.h: daemon/%/tokens.txt \
    daemon/%/gen-tokens.py
	@mkdir -p $(BUILD)/gen
	python3 daemon/$*/gen-tokens.py daemon/$*/tokens.txt $(BUILD)/gen

$(BUILD)/gen/wa_tokens.o: $(BUILD)/gen/wa_tokens.c $(BUILD)/gen/wa_tokens.h
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/daemon/wa/binary.o: $(BUILD)/gen/wa_tokens.h
$(BUILD)/daemon/wa/binary.o: CPPFLAGS += $(call pc_cflags,zlib)

UNIT_TESTS	+= $(BUILD)/tests/unit/t_binary
$(BUILD)/tests/unit/t_binary.o: CPPFLAGS += -Idaemon/wa
$(BUILD)/tests/unit/t_binary: $(BUILD)/tests/unit/t_binary.o \
    $(WA_BINARY_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS) zlib)

# The interop helper: reads/writes the line format of
# tests/wa/interop/README (decode/encode checks, random node generation).
WA_INTEROP_BIN	:= $(BUILD)/tests/wa/interop/binary_interop
$(BUILD)/tests/wa/interop/binary_interop.o: CPPFLAGS += -Idaemon/wa \
    $(call pc_cflags,json-c)
$(WA_INTEROP_BIN): $(BUILD)/tests/wa/interop/binary_interop.o \
    $(WA_BINARY_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS) zlib)
tests: $(WA_INTEROP_BIN)
CHECK_SCRIPTS	+= tests/wa/interop/binary-interop.sh


# libFuzzer target for the decoder, built with clang outside the object
# tree; "make check" runs it for 10 s through tests/wa/fuzz.sh.
WA_BINARY_FUZZ_SRCS := tests/fuzz/fuzz_binary.c daemon/wa/binary.c \
		   daemon/wa/jid.c lib/buf.c lib/log.c lib/xalloc.c
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_binary
$(BUILD)/fuzz/fuzz_binary: $(WA_BINARY_FUZZ_SRCS) $(BUILD)/gen/wa_tokens.c \
    $(BUILD)/gen/wa_tokens.h daemon/wa/binary.h daemon/wa/jid.h
	@mkdir -p $(dir $@)
	$(or $(FUZZ_CC),clang) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -Ilib -Idaemon/wa \
	    -I$(BUILD)/gen -o $@ $(WA_BINARY_FUZZ_SRCS) \
	    $(BUILD)/gen/wa_tokens.c $(call pc_libs,zlib)
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_binary 10'

# Throughput of decode and encode over a mix of realistic stanzas.
$(BUILD)/tests/bench/bench_binary.o: CPPFLAGS += -Idaemon/wa
$(BUILD)/tests/bench/bench_binary: $(BUILD)/tests/bench/bench_binary.o \
    $(WA_BINARY_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS) zlib)
PROGS		+= $(BUILD)/tests/bench/bench_binary
BENCH_CMDS	+= $(BUILD)/tests/bench/bench_binary
