# daemon/wa: keys, the libsignal curve25519 signature scheme, credentials
# (keys.c), and the pairing cryptography (pair.c, paircode.c).  Other
# fragments link $(WA_KEYS_OBJS) with $(call pc_libs,$(WA_KEYS_PKGS)).
WA_KEYS_PKGS	:= libsodium libcrypto
WA_KEYS_OBJS	:= $(BUILD)/daemon/wa/keys.o
$(WA_KEYS_OBJS): CPPFLAGS += $(call pc_cflags,$(WA_KEYS_PKGS))

UNIT_TESTS	+= $(BUILD)/tests/unit/t_keys
$(BUILD)/tests/unit/t_keys.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,json-c $(WA_KEYS_PKGS))
$(BUILD)/tests/unit/t_keys: $(BUILD)/tests/unit/t_keys.o $(WA_KEYS_OBJS) \
	    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WA_KEYS_PKGS) $(LIB_PKGS))
