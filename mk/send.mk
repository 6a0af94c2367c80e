# Issue 9, sending: daemon/send.c runs send_text command rows (the
# client side is daemon/wa/client_send.c and usync.c, listed in
# mk/wa_client.mk's WA_CLIENT_PARTS).  daemon.mk sorts before this
# fragment and expanded its object lists already, so the object is
# added to each program by name.
SEND_OBJ	:= $(BUILD)/daemon/send.o
$(SEND_OBJ): CPPFLAGS += $(DAEMON_CPPFLAGS)
$(BUILD)/daemon/wadeskd: $(SEND_OBJ)
$(DAEMON_FAKE): $(SEND_OBJ)
CHECK_SCRIPTS	+= tests/daemon/send.sh
