# webhook/: wadesk-webhookd, the webhook sender (a process of its own:
# webhook/hook.h says why).  Tests: t_hooksign (signature, retry policy,
# body, sealed secrets) and tests/webhook/run.sh (the real sender
# against a loopback receiver and a real PostgreSQL).
HOOK_PKGS	:= libpq json-c libsodium libcurl
HOOK_SRCS	:= $(wildcard webhook/*.c)
HOOK_OBJS	:= $(HOOK_SRCS:%.c=$(BUILD)/%.o)
HOOK_LIBOBJS	:= $(filter-out $(BUILD)/webhook/main.o,$(HOOK_OBJS))
$(HOOK_OBJS) $(BUILD)/tests/unit/t_hooksign.o: CPPFLAGS += \
		   $(call pc_cflags,$(HOOK_PKGS)) -Iwebhook

PROGS		+= $(BUILD)/webhook/wadesk-webhookd
$(BUILD)/webhook/wadesk-webhookd: $(HOOK_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(HOOK_PKGS))

UNIT_TESTS	+= $(BUILD)/tests/unit/t_hooksign
$(BUILD)/tests/unit/t_hooksign: $(BUILD)/tests/unit/t_hooksign.o \
    $(HOOK_LIBOBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(HOOK_PKGS))

CHECK_SCRIPTS	+= tests/webhook/run.sh

# The systemd units (etc/systemd/) as files under test.
CHECK_SCRIPTS	+= tests/systemd/check.sh
