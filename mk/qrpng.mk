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

# libFuzzer target (clang), run about 10 s by "make check" through the
# shared runner tests/wa/fuzz.sh.
FUZZ_CC		?= clang
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_qrpng
$(BUILD)/fuzz/fuzz_qrpng: tests/qr/fuzz_qrpng.c cgi/qrpng.c cgi/qrpng.h \
    lib/buf.c lib/log.c lib/xalloc.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -Ilib -Icgi \
	    $(call pc_cflags,$(QRPNG_PKGS)) -o $@ $(filter %.c,$^) \
	    $(call pc_libs,$(QRPNG_PKGS))
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_qrpng 10'
