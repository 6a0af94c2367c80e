# wadesk: one GNU Makefile, no recursion.  Pieces register themselves in
# mk/*.mk fragments by adding to PROGS, UNIT_TESTS, CHECK_SCRIPTS,
# FUZZ_TARGETS and BENCH_CMDS.  Objects and binaries go under $(BUILD);
# "make check" builds a second tree, build/san, with AddressSanitizer and
# UndefinedBehaviorSanitizer and runs every test against it.

BUILD		?= build
SANITIZE	?= 0

CC		?= cc
CFLAGS		?= -O2 -g
CFLAGS		+= -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter \
		   -Wshadow -Wvla -Wformat=2 -Wmissing-prototypes -fno-common
CPPFLAGS	+= -D_GNU_SOURCE -MMD -MP -Ilib -I$(BUILD)/gen
LDFLAGS		?=
ifeq ($(SANITIZE),1)
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
CFLAGS		+= $(SAN_FLAGS)
LDFLAGS		+= $(SAN_FLAGS)
endif

pc_cflags	= $(shell pkg-config --cflags $(1))
pc_libs		= $(shell pkg-config --libs $(1))

PROGS		:=
UNIT_TESTS	:=
CHECK_SCRIPTS	:=
FUZZ_TARGETS	:=
BENCH_CMDS	:=
GEN_SRCS	:=

.PHONY: all tests run demo check bench fuzz lint psql clean deps install
all:

# lib/: shared by every program; defined here so fragments can use it.
LIB_SRCS	:= $(wildcard lib/*.c)
LIB_OBJS	:= $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_PKGS	:= libpq json-c libsodium libical
$(LIB_OBJS): CPPFLAGS += $(call pc_cflags,$(LIB_PKGS))

include $(sort $(wildcard mk/*.mk))

# lib/recur.o (libical) is in $(LIB_OBJS), so every program that links
# them needs libical, also those whose fragment names its own package
# list (appended here, after the fragments; recipes expand late).
WEB_PKGS	+= libical
DAEMON_PKGS	+= libical
HOOK_PKGS	+= libical

all: $(PROGS)
tests: $(UNIT_TESTS)

# Generated sources (token tables, protobuf code) come first: any object
# may include a generated header, and -MMD only knows that afterwards.
$(BUILD)/%.o: %.c | $(GEN_SRCS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

deps:
	@scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run.sh

# The whole product against tests/wasim: no phone, no internet.
demo: deps
	@$(MAKE) --no-print-directory all
	@tests/daemon/demo.sh

# Every test runs against the sanitizer build.  tests/run-all.sh prints
# one "ok"/"FAIL" line per case and ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory BUILD=build/san SANITIZE=1 all tests
	@BUILD=build/san tests/run-all.sh $(UNIT_TESTS:$(BUILD)/%=build/san/%) \
	    $(CHECK_SCRIPTS)

bench: deps
	@$(MAKE) --no-print-directory all
	@set -e; for b in $(BENCH_CMDS); do $$b; done

# Every libFuzzer target for FUZZ_SECONDS each (make check runs ~10 s).
FUZZ_SECONDS	?= 120
fuzz: deps
	@set -e; for t in $(notdir $(FUZZ_TARGETS)); do \
	    BUILD=build/san FUZZ_SEED=0 tests/wa/fuzz.sh $$t $(FUZZ_SECONDS); done

psql:
	@scripts/psql.sh

lint:
	@scripts/lint.sh

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# make install [DESTDIR=...] [PREFIX=/usr/local]: programs, templates,
# static files, migrations and systemd units (INSTALL).
PREFIX	?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/wadesk/sql \
	    $(DESTDIR)$(PREFIX)/share/wadesk/templates \
	    $(DESTDIR)$(PREFIX)/share/wadesk/static \
	    $(DESTDIR)/etc/systemd/system
	install -m 0755 $(BUILD)/cgi/wadesk.fcgi $(BUILD)/cgi/wadeskctl \
	    $(BUILD)/daemon/wadeskd $(BUILD)/webhook/wadesk-webhookd \
	    $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 sql/*.sql $(DESTDIR)$(PREFIX)/share/wadesk/sql/
	install -m 0644 templates/*.html $(DESTDIR)$(PREFIX)/share/wadesk/templates/
	install -m 0644 static/* $(DESTDIR)$(PREFIX)/share/wadesk/static/
	install -m 0644 etc/systemd/*.service $(DESTDIR)/etc/systemd/system/
