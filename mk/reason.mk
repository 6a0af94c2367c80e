# lib/reason.c (the operator's sentence for every failure code) and
# lib/reltime.c ("3 min ago").  t_reason runs daemon/policy.c's rules
# and reads the daemon's and the web's sources for the codes they
# write, so it links policy.o and runs from the repository root.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_reason $(BUILD)/tests/unit/t_reltime
$(BUILD)/tests/unit/t_reason.o: CPPFLAGS += $(DAEMON_CPPFLAGS)
$(BUILD)/tests/unit/t_reason: $(BUILD)/tests/unit/t_reason.o \
    $(BUILD)/daemon/policy.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))
$(BUILD)/tests/unit/t_reltime: $(BUILD)/tests/unit/t_reltime.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))
