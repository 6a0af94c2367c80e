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

# waE2E.Message (daemon/wa/wa-e2e.proto) generated like wa-md.proto.
WA_E2E_PB_C	:= $(BUILD)/gen/wa-e2e.pb-c.c
WA_E2E_PB_H	:= $(BUILD)/gen/wa-e2e.pb-c.h
WA_E2E_PB_OBJS	:= $(BUILD)/gen/wa-e2e.pb-c.o
GEN_SRCS	+= $(WA_E2E_PB_C) $(WA_E2E_PB_H)
$(WA_E2E_PB_H): $(WA_E2E_PB_C)
	@test -f $@ || { rm -f $<; $(MAKE) --no-print-directory $<; }
$(WA_E2E_PB_C): daemon/wa/wa-e2e.proto
	@mkdir -p $(dir $@)
	protoc-c --proto_path=daemon/wa --c_out=$(dir $@) daemon/wa/wa-e2e.proto
$(WA_E2E_PB_OBJS): $(WA_E2E_PB_C) | $(WA_E2E_PB_H)
	$(CC) $(CPPFLAGS) $(call pc_cflags,libprotobuf-c) $(CFLAGS) \
	    -c -o $@ $(WA_E2E_PB_C)

# Padding, message ids, waE2E.Message (msg.c).
WA_MSG_OBJS	:= $(BUILD)/daemon/wa/msg.o $(WA_E2E_PB_OBJS)
$(BUILD)/daemon/wa/msg.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,libprotobuf-c libsodium)
$(BUILD)/daemon/wa/msg.o: | $(WA_E2E_PB_H)
UNIT_TESTS	+= $(BUILD)/tests/unit/t_msg
$(BUILD)/tests/unit/t_msg.o: CPPFLAGS += -Idaemon/wa \
	    $(call pc_cflags,libprotobuf-c)
$(BUILD)/tests/unit/t_msg.o: | $(WA_E2E_PB_H)
$(BUILD)/tests/unit/t_msg: $(BUILD)/tests/unit/t_msg.o $(WA_MSG_OBJS) \
    $(BUILD)/daemon/wa/crypto.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ \
	    $(call pc_libs,libprotobuf-c libsodium libcrypto $(LIB_PKGS))
