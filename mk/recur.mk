# Issue 11: lib/recur.c (reminder recurrence with libical; it joins
# every program through LIB_OBJS, and libical through LIB_PKGS in the
# Makefile).  Here: its unit tests and its libFuzzer target.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_recur
$(BUILD)/tests/unit/t_recur: $(BUILD)/tests/unit/t_recur.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))

# libFuzzer target over recur_rule_parse, _build, _summary, _validate,
# _next (bounded n) and the window end on fuzzed rule text and zone
# (tests/fuzz/fuzz_recur.c), 10 s in make check.
RECUR_FUZZ_SRCS	:= tests/fuzz/fuzz_recur.c lib/recur.c lib/buf.c lib/xalloc.c \
		   lib/log.c
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_recur
$(BUILD)/fuzz/fuzz_recur: $(RECUR_FUZZ_SRCS) lib/recur.h lib/buf.h
	@mkdir -p $(dir $@)
	$(or $(FUZZ_CC),clang) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -Ilib \
	    $(call pc_cflags,libical) -o $@ $(RECUR_FUZZ_SRCS) \
	    $(call pc_libs,libical)
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_recur 10'
