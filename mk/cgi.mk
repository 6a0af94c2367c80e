# cgi/: wadesk.fcgi (the FastCGI program) and wadeskctl (the admin tool).
WEB_PKGS	:= libpq json-c libqrencode libpng fcgi libsodium
CGI_SRCS	:= $(filter-out cgi/wadeskctl.c cgi/qrpng.c,$(wildcard cgi/*.c))
CGI_OBJS	:= $(CGI_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS	:= $(BUILD)/cgi/wadeskctl.o

PROGS		+= $(BUILD)/cgi/wadesk.fcgi $(BUILD)/cgi/wadeskctl

$(CGI_OBJS) $(CTL_OBJS): CPPFLAGS += $(call pc_cflags,$(WEB_PKGS)) -Icgi

$(BUILD)/cgi/wadesk.fcgi: $(CGI_OBJS) $(BUILD)/cgi/qrpng.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(call pc_libs,$(WEB_PKGS))

$(BUILD)/cgi/wadeskctl: $(CTL_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))

# Unit tests of the cgi pieces link every cgi object but main.o.
CGI_TEST_OBJS	:= $(filter-out $(BUILD)/cgi/main.o,$(CGI_OBJS)) \
		   $(BUILD)/cgi/qrpng.o $(LIB_OBJS)
CGI_TESTS	:= t_tmpl t_route t_req t_qrmemo
UNIT_TESTS	+= $(CGI_TESTS:%=$(BUILD)/tests/unit/%)
$(CGI_TESTS:%=$(BUILD)/tests/unit/%.o): CPPFLAGS += \
		   $(call pc_cflags,$(WEB_PKGS)) -Icgi -Itests
$(CGI_TESTS:%=$(BUILD)/tests/unit/%): $(BUILD)/tests/unit/%: \
		   $(BUILD)/tests/unit/%.o $(CGI_TEST_OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ $(call pc_libs,$(WEB_PKGS))
