# lib/: shared by cgi and daemon.  Linked statically into each program.
LIB_SRCS	:= $(wildcard lib/*.c)
LIB_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_PKGS	:= libpq json-c libsodium
$(LIB_OBJS): CPPFLAGS += $(call pc_cflags,$(LIB_PKGS))
