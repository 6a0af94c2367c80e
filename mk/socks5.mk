# SOCKS5 per account (issue 13): daemon/wa/socks5.c (the RFC 1928/1929
# wire format, pure) and daemon/wa/tunnel.c (the tunnel bridged to lws
# through a loopback listener; both linked with conn.o, see
# mk/wa_client.mk).  Tests: t_socks5, the libFuzzer target fuzz_socks5
# over the reply parsers, and the SOCKS5 checks of
# tests/daemon/proxy.test.js (run by tests/daemon/proxy.sh, mk/api2.mk).
UNIT_TESTS	+= $(BUILD)/tests/unit/t_socks5
$(BUILD)/tests/unit/t_socks5.o: CPPFLAGS += -Idaemon/wa
$(BUILD)/tests/unit/t_socks5: $(BUILD)/tests/unit/t_socks5.o \
    $(BUILD)/daemon/wa/socks5.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))

# The three reply parsers under libFuzzer (tests/fuzz/fuzz_socks5.c),
# seeds in tests/fuzz/corpus/fuzz_socks5/.
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_socks5
$(BUILD)/fuzz/fuzz_socks5: tests/fuzz/fuzz_socks5.c daemon/wa/socks5.c \
    daemon/wa/socks5.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WA_FUZZ_FLAGS) -o $@ $(filter %.c,$^)
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_socks5 10'

# The tunnel on a real lws_context against a scripted SOCKS5 server
# (tests/wa/t_tunnel.c): bytes both ways, backpressure, every failure's
# sentence, a stranger on the listener, cancel.
UNIT_TESTS	+= $(BUILD)/tests/wa/t_tunnel
$(BUILD)/tests/wa/t_tunnel.o: CPPFLAGS += -Idaemon/wa -Itests \
	    $(call pc_cflags,libwebsockets)
$(BUILD)/tests/wa/t_tunnel: $(BUILD)/tests/wa/t_tunnel.o \
    $(BUILD)/daemon/wa/tunnel.o $(BUILD)/daemon/wa/socks5.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,libwebsockets libsodium $(LIB_PKGS))
