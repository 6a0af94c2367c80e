# Unit tests for lib/.  A test tests/unit/t_X.c builds to $(BUILD)/tests/unit/t_X.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_buf
$(BUILD)/tests/unit/t_buf: $(BUILD)/tests/unit/t_buf.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))
$(BUILD)/tests/unit/%.o: CPPFLAGS += -Itests
UNIT_TESTS	+= $(BUILD)/tests/unit/t_apikey
$(BUILD)/tests/unit/t_apikey: $(BUILD)/tests/unit/t_apikey.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))
