# The JSON API's list at 10,000 accounts (issue 13's p99 figure).

# cgi/jsonw.c writes JSON exactly as json-c does, cgi/pgts.c times as
# PostgreSQL's to_char() does; t_jsonw holds them to both.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_jsonw
$(BUILD)/tests/unit/t_jsonw.o: CPPFLAGS += $(call pc_cflags,json-c) -Icgi \
		   -Itests
$(BUILD)/tests/unit/t_jsonw: $(BUILD)/tests/unit/t_jsonw.o \
    $(BUILD)/cgi/jsonw.o $(BUILD)/cgi/pgts.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,json-c $(LIB_PKGS))
