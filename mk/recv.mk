# Issue 9 part 2, receiving (daemon/wa/client_msg.c and the daemon's
# messages table, sql/015_recv.sql).
# tests/daemon/recv.sh: the real wadeskd against tests/wasim's Baileys
# contacts, groups and own phone (pkmsg, msg, device-sent, SKDM+skmsg,
# retry receipts and resends, identity change, retention, wipe).
CHECK_SCRIPTS	+= tests/daemon/recv.sh

# daemon/messages.c (the messages table) joins wadeskd and its test
# twin here, so that mk/daemon.mk's source list stays as it is: extra
# prerequisites of the same targets land in their $^.
RECV_DAEMON_OBJS := $(BUILD)/daemon/messages.o
$(RECV_DAEMON_OBJS): CPPFLAGS += $(DAEMON_CPPFLAGS)
$(BUILD)/daemon/wadeskd $(DAEMON_FAKE): $(RECV_DAEMON_OBJS)
