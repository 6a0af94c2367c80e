# Issue 11: lib/recur.c (reminder recurrence with libical; it joins
# every program through LIB_OBJS, and libical through LIB_PKGS in the
# Makefile).  Here: its unit tests and its libFuzzer target.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_recur
$(BUILD)/tests/unit/t_recur: $(BUILD)/tests/unit/t_recur.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))
