# Issue 11, the reminder pages.  cgi/page_reminders.c and cgi/rform.c
# join wadesk.fcgi through mk/cgi.mk's wildcard; the pages' checks are
# tests/integration/reminders.test.js (run by web.sh),
# tests/browser/reminders.test.js (browser/run.sh) and the firing round
# trip in tests/browser/e2e.test.js (e2e.sh).  Here: fuzz_rform, the
# form read and checked over fuzzed POST bodies (5 s in make check).
RFORM_FUZZ_SRCS	:= tests/fuzz/fuzz_rform.c cgi/rform.c cgi/req.c lib/recur.c \
		   lib/buf.c lib/clock.c lib/log.c lib/xalloc.c
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_rform
$(BUILD)/fuzz/fuzz_rform: $(RFORM_FUZZ_SRCS) cgi/rform.h cgi/cgi.h \
    lib/recur.h tests/fuzz/web_fuzz.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WEBFUZZ_FLAGS) $(call pc_cflags,libical) -o $@ \
	    $(RFORM_FUZZ_SRCS) $(call pc_libs,libical) -pthread
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_rform 5'
