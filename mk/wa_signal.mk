# daemon/wa: the Signal layer around libsignal-protocol-c (wasignal.h):
# the crypto provider (signal_crypto.c) and the store adapter
# (signal_store.c).  Other fragments link these through:
#   WA_SIGNAL_OBJS / WA_SIGNAL_PKGS
WA_SIGNAL_PKGS	:= libsignal-protocol-c libsodium libcrypto
WA_SIGNAL_OBJS	:= $(addprefix $(BUILD)/daemon/wa/,signal_crypto.o \
		   signal_store.o)
$(WA_SIGNAL_OBJS): CPPFLAGS += -Idaemon/wa $(call pc_cflags,$(WA_SIGNAL_PKGS))

# Known-answer vectors for the provider and Alice/Bob round trips.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_signal
$(BUILD)/tests/unit/t_signal.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,$(WA_SIGNAL_PKGS))
$(BUILD)/tests/unit/t_signal: $(BUILD)/tests/unit/t_signal.o \
    $(WA_SIGNAL_OBJS) $(BUILD)/daemon/wa/keys.o $(BUILD)/daemon/wa/crypto.o \
    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(WA_SIGNAL_PKGS) $(LIB_PKGS))
