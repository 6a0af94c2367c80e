# cgi/qrpng.c: the QR PNG renderer (libqrencode + libpng).  The cgi
# program links $(QRPNG_OBJ) with $(call pc_libs,$(QRPNG_PKGS)).
QRPNG_PKGS	:= libqrencode libpng
QRPNG_OBJ	:= $(BUILD)/cgi/qrpng.o
QRPNG_BENCH	:= $(BUILD)/tests/bench/bench_qrpng
$(QRPNG_OBJ): CPPFLAGS += $(call pc_cflags,$(QRPNG_PKGS))

# Unit test; "t_qrpng --write FILE" also renders stdin for tests/qr/check.sh.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_qrpng
$(BUILD)/tests/unit/t_qrpng.o: CPPFLAGS += -Icgi $(call pc_cflags,$(QRPNG_PKGS))
$(BUILD)/tests/unit/t_qrpng: $(BUILD)/tests/unit/t_qrpng.o $(QRPNG_OBJ) \
    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -pthread -o $@ $^ \
	    $(call pc_libs,$(QRPNG_PKGS) $(LIB_PKGS))

# zbarimg decodes rendered pairing strings back (needs zbar-tools).
CHECK_SCRIPTS	+= tests/qr/check.sh

# "make bench": microseconds per render and per cache hit.  Built by
# "all" (not PROGS, so it is never installed).
BENCH_CMDS	+= $(QRPNG_BENCH)
all: $(QRPNG_BENCH)
$(BUILD)/tests/bench/bench_qrpng.o: CPPFLAGS += -Icgi
$(QRPNG_BENCH): $(BUILD)/tests/bench/bench_qrpng.o $(QRPNG_OBJ) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(QRPNG_PKGS) $(LIB_PKGS))
