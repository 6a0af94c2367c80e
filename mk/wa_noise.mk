# daemon/wa: the crypto layer, the protobuf code generated from
# daemon/wa/wa-md.proto, the Noise XX handshake with the certificate
# chain, and ClientPayload.  Other fragments link these through the
# exported variables:
#   WA_CRYPTO_OBJS / WA_CRYPTO_PKGS   crypto.h (libsodium + libcrypto)
#   WA_CPPFLAGS                       -Idaemon/wa, for #include "crypto.h"
#   WA_PB_OBJS / WA_PB_PKGS           wa-md.pb-c.[ch] (libprotobuf-c)
#   WA_PB_H                           the generated header: objects that
#                                     include "wa-md.pb-c.h" must have it
#                                     as an order-only prerequisite,
#                                     e.g. $(MY_OBJS): | $(WA_PB_H)
WA_CPPFLAGS	:= -Idaemon/wa
WA_CRYPTO_PKGS	:= libsodium libcrypto
WA_CRYPTO_OBJS	:= $(BUILD)/daemon/wa/crypto.o
$(WA_CRYPTO_OBJS): CPPFLAGS += $(call pc_cflags,$(WA_CRYPTO_PKGS))

# protoc-c generates the protobuf-c code into $(BUILD)/gen (on the
# include path); only the .proto is committed (STYLE.md 2.15).
WA_PB_PKGS	:= libprotobuf-c
WA_PB_C		:= $(BUILD)/gen/wa-md.pb-c.c
WA_PB_H		:= $(BUILD)/gen/wa-md.pb-c.h
WA_PB_OBJS	:= $(BUILD)/gen/wa-md.pb-c.o
GEN_SRCS	+= $(WA_PB_C) $(WA_PB_H)
$(WA_PB_H): $(WA_PB_C)
	@test -f $@ || { rm -f $<; $(MAKE) --no-print-directory $<; }
$(WA_PB_C): daemon/wa/wa-md.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=daemon/wa --c_out=$(dir $@) daemon/wa/wa-md.proto
$(WA_PB_OBJS): $(WA_PB_C) | $(WA_PB_H)
	$(CC) $(CPPFLAGS) $(call pc_cflags,$(WA_PB_PKGS)) $(CFLAGS) \
	    -c -o $@ $(WA_PB_C)

# Test-only helper reading vectors.json (json-c).
WA_VEC_OBJS	:= $(BUILD)/tests/unit/wa_vec.o
$(WA_VEC_OBJS): CPPFLAGS += $(call pc_cflags,json-c)

UNIT_TESTS	+= $(BUILD)/tests/unit/t_crypto
$(BUILD)/tests/unit/t_crypto.o: CPPFLAGS += $(WA_CPPFLAGS)
$(BUILD)/tests/unit/t_crypto: $(BUILD)/tests/unit/t_crypto.o \
    $(WA_VEC_OBJS) $(WA_CRYPTO_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(WA_CRYPTO_PKGS) json-c $(LIB_PKGS))

# The Noise handshake, certificate chain and ClientPayload.  Link with
# $(WA_NOISE_OBJS) $(WA_PB_OBJS) $(WA_CRYPTO_OBJS) $(WA_KEYS_OBJS) and
# $(call pc_libs,$(WA_NOISE_PKGS)).
WA_NOISE_PKGS	:= libsodium libcrypto libprotobuf-c
WA_NOISE_OBJS	:= $(BUILD)/daemon/wa/noise.o $(BUILD)/daemon/wa/cert.o
$(WA_NOISE_OBJS): CPPFLAGS += $(call pc_cflags,$(WA_NOISE_PKGS))
$(WA_NOISE_OBJS): | $(WA_PB_H)

UNIT_TESTS	+= $(BUILD)/tests/unit/t_noise
$(BUILD)/tests/unit/t_noise.o: CPPFLAGS += $(WA_CPPFLAGS) \
    $(call pc_cflags,$(WA_NOISE_PKGS))
$(BUILD)/tests/unit/t_noise.o: | $(WA_PB_H)
$(BUILD)/tests/unit/t_noise: $(BUILD)/tests/unit/t_noise.o $(WA_VEC_OBJS) \
    $(WA_NOISE_OBJS) $(WA_PB_OBJS) $(WA_CRYPTO_OBJS) $(WA_KEYS_OBJS) \
    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(WA_NOISE_PKGS) json-c $(LIB_PKGS))

# ClientPayload builders; link with $(WA_PAYLOAD_OBJS) $(WA_PB_OBJS)
# $(WA_CRYPTO_OBJS) and $(call pc_libs,$(WA_NOISE_PKGS)).
WA_PAYLOAD_OBJS	:= $(BUILD)/daemon/wa/payload.o
$(WA_PAYLOAD_OBJS): CPPFLAGS += $(call pc_cflags,$(WA_NOISE_PKGS))
$(WA_PAYLOAD_OBJS): | $(WA_PB_H)

UNIT_TESTS	+= $(BUILD)/tests/unit/t_payload
$(BUILD)/tests/unit/t_payload.o: CPPFLAGS += $(WA_CPPFLAGS) \
    $(call pc_cflags,$(WA_NOISE_PKGS))
$(BUILD)/tests/unit/t_payload.o: | $(WA_PB_H)
$(BUILD)/tests/unit/t_payload: $(BUILD)/tests/unit/t_payload.o \
    $(WA_VEC_OBJS) $(WA_PAYLOAD_OBJS) $(WA_PB_OBJS) $(WA_CRYPTO_OBJS) \
    $(WA_KEYS_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,$(WA_NOISE_PKGS) json-c $(LIB_PKGS))

# libFuzzer target over the ServerHello, certificate chain and transport
# parsers, built with clang outside the object tree; "make check" runs
# it for 10 s through tests/wa/fuzz.sh (ok/FAIL line), "make fuzz" longer.
WA_NOISE_FUZZ_CC	?= clang
WA_NOISE_FUZZ_FLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined \
			   -fno-sanitize-recover=undefined -D_GNU_SOURCE \
			   -Ilib -Idaemon/wa -I$(BUILD)/gen
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_handshake
$(BUILD)/fuzz/fuzz_handshake: tests/fuzz/fuzz_handshake.c daemon/wa/noise.c \
    daemon/wa/cert.c daemon/wa/crypto.c daemon/wa/keys.c $(WA_PB_C) \
    daemon/wa/noise.h daemon/wa/crypto.h daemon/wa/keys.h $(WA_PB_H) \
    lib/buf.c lib/log.c lib/xalloc.c
	@mkdir -p $(dir $@)
	$(WA_NOISE_FUZZ_CC) $(WA_NOISE_FUZZ_FLAGS) -o $@ $(filter %.c,$^) \
	    $(call pc_libs,$(WA_NOISE_PKGS))
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_handshake 10'

# "make bench": the client's handshake CPU time per connection, from
# t_noise's bench mode on the vector data (built by "make all" so that
# the bench loop finds it).
all: $(BUILD)/tests/unit/t_noise
BENCH_CMDS	+= "$(BUILD)/tests/unit/t_noise --bench 2000"
