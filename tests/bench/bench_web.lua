-- tests/bench/bench_web.lua: wrk script for tests/bench/bench_web.sh.
-- Sends the session cookie from $BENCH_WEB_COOKIE (if set) with every
-- request and, at the end, prints one line the shell script parses:
--   result rps=<requests/s> p99_ms=<ms> p50_ms=<ms> requests=<n>
--       non2xx=<n> errors=<socket errors>
-- wrk's latency figures are in microseconds.

local cookie = os.getenv("BENCH_WEB_COOKIE")
if cookie ~= nil and cookie ~= "" then
	wrk.headers["Cookie"] = cookie
end

function done(summary, latency, requests)
	local e = summary.errors
	local sockerr = e.connect + e.read + e.write + e.timeout
	io.write(string.format(
	    "result rps=%.1f p99_ms=%.3f p50_ms=%.3f requests=%d " ..
	    "non2xx=%d errors=%d\n",
	    summary.requests / (summary.duration / 1e6),
	    latency:percentile(99) / 1000, latency:percentile(50) / 1000,
	    summary.requests, e.status, sockerr))
end
