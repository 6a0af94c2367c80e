# daemon/wa: the crypto layer, the protobuf code generated from
# daemon/wa/wa-md.proto, the Noise XX handshake with the certificate
# chain, and ClientPayload.  Other fragments link these through the
# exported variables:
#   WA_CRYPTO_OBJS / WA_CRYPTO_PKGS   crypto.h (libsodium + libcrypto)
#   WA_CPPFLAGS                       -Idaemon/wa, for #include "crypto.h"
WA_CPPFLAGS	:= -Idaemon/wa
WA_CRYPTO_PKGS	:= libsodium libcrypto
WA_CRYPTO_OBJS	:= $(BUILD)/daemon/wa/crypto.o
$(WA_CRYPTO_OBJS): CPPFLAGS += $(call pc_cflags,$(WA_CRYPTO_PKGS))

# Test-only helper reading vectors.json (json-c).
WA_VEC_OBJS	:= $(BUILD)/tests/unit/wa_vec.o
$(WA_VEC_OBJS): CPPFLAGS += $(call pc_cflags,json-c)

UNIT_TESTS	+= $(BUILD)/tests/unit/t_crypto
$(BUILD)/tests/unit/t_crypto.o: CPPFLAGS += $(WA_CPPFLAGS)
$(BUILD)/tests/unit/t_crypto: $(BUILD)/tests/unit/t_crypto.o \
    $(WA_VEC_OBJS) $(WA_CRYPTO_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(WA_CRYPTO_PKGS) json-c $(LIB_PKGS))
