# libFuzzer targets for every cgi/ parser of untrusted bytes
# (tests/fuzz/fuzz_{params,form,query,cookie,route,tmpl}.c).  Built with
# clang outside the object tree, as mk/wa_client.mk's are; "make check"
# runs each for 10 s through tests/wa/fuzz.sh, "make fuzz" for
# FUZZ_SECONDS.  Seed corpora live in tests/fuzz/corpus/NAME/ and
# dictionaries in tests/fuzz/NAME.dict; fuzz.sh passes both.
WEBFUZZ_PKGS	:= libpq json-c libsodium
WEBFUZZ_FLAGS	:= -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined -D_GNU_SOURCE \
		   -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter \
		   -Ilib -Icgi -Itests/fuzz
WEBFUZZ_LIB	:= lib/buf.c lib/clock.c lib/log.c lib/xalloc.c
WEBFUZZ_DEPS	:= tests/fuzz/web_fuzz.h cgi/cgi.h $(WEBFUZZ_LIB)

# The request decoders need nothing but req.c.
WEBFUZZ_REQ	:= fuzz_params fuzz_form fuzz_query fuzz_cookie
$(WEBFUZZ_REQ:%=$(BUILD)/fuzz/%): $(BUILD)/fuzz/%: tests/fuzz/%.c \
    cgi/req.c $(WEBFUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WEBFUZZ_FLAGS) -o $@ $(filter %.c,$^)

FUZZ_TARGETS	+= $(WEBFUZZ_REQ:%=$(BUILD)/fuzz/%)
CHECK_SCRIPTS	+= $(foreach t,$(WEBFUZZ_REQ),'tests/wa/fuzz.sh $(t) 10')

# The template engine, over the real templates/ (run from the top).
$(BUILD)/fuzz/fuzz_tmpl: tests/fuzz/fuzz_tmpl.c cgi/tmpl.c $(WEBFUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WEBFUZZ_FLAGS) -o $@ $(filter %.c,$^)
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_tmpl
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_tmpl 10'

# The router with the real request, session and response code; the
# database and the page handlers are stand-ins in the target itself.
WEBFUZZ_ROUTE	:= cgi/route.c cgi/req.c cgi/auth.c cgi/http.c cgi/tmpl.c \
		   cgi/metrics.c cgi/present.c lib/reason.c lib/reltime.c \
		   lib/status.c
$(BUILD)/fuzz/fuzz_route: tests/fuzz/fuzz_route.c $(WEBFUZZ_ROUTE) \
    $(WEBFUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WEBFUZZ_FLAGS) $(call pc_cflags,$(WEBFUZZ_PKGS)) -o $@ \
	    $(filter %.c,$^) $(call pc_libs,$(WEBFUZZ_PKGS)) -pthread
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_route
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_route 10'
