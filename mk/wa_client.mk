# daemon/wa: framing (frame.c), the WebSocket connection (conn.c), the
# protocol state machine (client.c) behind wa.h, and the demo program
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
