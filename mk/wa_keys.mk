# daemon/wa: keys, the libsignal curve25519 signature scheme, credentials
# (keys.c), and the pairing cryptography (pair.c, paircode.c).  Other
# fragments link these through the exported variables:
#   WA_KEYS_OBJS / WA_KEYS_PKGS   keys.h (libsodium + libcrypto)
#   WA_PAIR_OBJS / WA_PAIR_PKGS   pair.h; also needs $(WA_KEYS_OBJS),
#                                 crypto.o and the protobuf objects
# This fragment sorts before wa_noise.mk, so it names that fragment's
# outputs by path (variables there are not yet defined here).
WA_KEYS_PKGS	:= libsodium libcrypto
WA_KEYS_OBJS	:= $(BUILD)/daemon/wa/keys.o
$(WA_KEYS_OBJS): CPPFLAGS += $(call pc_cflags,$(WA_KEYS_PKGS))

WA_PAIR_PKGS	:= libsodium libcrypto libprotobuf-c
WA_PAIR_OBJS	:= $(BUILD)/daemon/wa/pair.o $(BUILD)/daemon/wa/paircode.o
$(WA_PAIR_OBJS): CPPFLAGS += $(call pc_cflags,$(WA_PAIR_PKGS))
$(WA_PAIR_OBJS): | $(BUILD)/gen/wa-md.pb-c.h

# Everything a pairing test or fuzzer links, besides $(LIB_OBJS).
WA_KEYS_DEPS	:= $(WA_PAIR_OBJS) $(WA_KEYS_OBJS) \
		   $(BUILD)/daemon/wa/crypto.o $(BUILD)/gen/wa-md.pb-c.o

UNIT_TESTS	+= $(BUILD)/tests/unit/t_keys
$(BUILD)/tests/unit/t_keys.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,json-c $(WA_KEYS_PKGS))
$(BUILD)/tests/unit/t_keys: $(BUILD)/tests/unit/t_keys.o $(WA_KEYS_OBJS) \
	    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WA_KEYS_PKGS) $(LIB_PKGS))

UNIT_TESTS	+= $(BUILD)/tests/unit/t_pair
$(BUILD)/tests/unit/t_pair.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,json-c $(WA_PAIR_PKGS))
$(BUILD)/tests/unit/t_pair.o: | $(BUILD)/gen/wa-md.pb-c.h
$(BUILD)/tests/unit/t_pair: $(BUILD)/tests/unit/t_pair.o $(WA_KEYS_DEPS) \
	    $(BUILD)/tests/unit/wa_vec.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(WA_PAIR_PKGS) json-c $(LIB_PKGS))

# libFuzzer target over pair-success handling and the credentials
# parser, built with clang outside the object tree; "make check" runs
# it for 10 s through tests/wa/fuzz.sh (ok/FAIL line).
WA_KEYS_FUZZ_CC		?= clang
WA_KEYS_FUZZ_FLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined \
			   -fno-sanitize-recover=undefined -D_GNU_SOURCE \
			   -Ilib -Idaemon/wa -I$(BUILD)/gen
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_pair_success
$(BUILD)/fuzz/fuzz_pair_success: tests/fuzz/fuzz_pair_success.c \
    daemon/wa/pair.c daemon/wa/paircode.c daemon/wa/keys.c \
    daemon/wa/crypto.c $(BUILD)/gen/wa-md.pb-c.c daemon/wa/pair.h \
    daemon/wa/keys.h daemon/wa/crypto.h $(BUILD)/gen/wa-md.pb-c.h \
    lib/buf.c lib/log.c lib/xalloc.c
	@mkdir -p $(dir $@)
	$(WA_KEYS_FUZZ_CC) $(WA_KEYS_FUZZ_FLAGS) -o $@ $(filter %.c,$^) \
	    $(call pc_libs,$(WA_PAIR_PKGS))
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_pair_success 10'
