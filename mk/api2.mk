# issue 13, second round (api2): wadeskctl apikey, the API's fuzz target,
# the send route, outbox housekeeping, proxies, the API bench.

# The JSON API under libFuzzer: the body parser alone and whole
# requests through the real req.c, route.c, api.c, api_json.c, http.c
# and lib/apikey.c, with a stand-in database (tests/fuzz/fuzz_api.c).
# Seeds in tests/fuzz/corpus/fuzz_api/, words in tests/fuzz/fuzz_api.dict.
WEBFUZZ_API	:= cgi/api.c cgi/api_json.c cgi/jsonw.c cgi/pgts.c \
		   cgi/route.c cgi/req.c cgi/auth.c \
		   cgi/http.c cgi/tmpl.c cgi/metrics.c cgi/present.c \
		   lib/apikey.c lib/reason.c lib/reltime.c lib/status.c \
		   lib/proxyurl.c
# (mk/webfuzz.mk is read after this file: its variables are spelled
# out here, as rule prerequisites expand at once.)
$(BUILD)/fuzz/fuzz_api: tests/fuzz/fuzz_api.c $(WEBFUZZ_API) \
    tests/fuzz/web_fuzz.h cgi/cgi.h lib/buf.c lib/clock.c lib/log.c \
    lib/xalloc.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(WEBFUZZ_FLAGS) $(call pc_cflags,libpq json-c libsodium) \
	    -o $@ $(filter %.c,$^) $(call pc_libs,libpq json-c libsodium) \
	    -pthread
FUZZ_TARGETS	+= $(BUILD)/fuzz/fuzz_api
CHECK_SCRIPTS	+= 'tests/wa/fuzz.sh fuzz_api 10'

# lib/proxyurl.c: the proxy URL grammar and its two written forms.
UNIT_TESTS	+= $(BUILD)/tests/unit/t_proxyurl
$(BUILD)/tests/unit/t_proxyurl: $(BUILD)/tests/unit/t_proxyurl.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(LIB_PKGS))

# A proxy per account through the real daemon, tests/wasim and a
# loopback HTTP CONNECT proxy (tests/daemon/proxy.test.js).
CHECK_SCRIPTS	+= tests/daemon/proxy.sh

# "make bench": GET /api/v1/accounts at 10,000 accounts (p99 < 20 ms).
BENCH_CMDS	+= tests/bench/bench_api.sh
