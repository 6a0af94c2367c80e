-- tests/bench/bench_api.lua: wrk script for tests/bench/bench_api.sh.
-- Sends "Authorization: Bearer $BENCH_API_KEY" with every request and,
-- at the end, prints the line bench_web.lua prints:
--   result rps=<requests/s> p99_ms=<ms> p50_ms=<ms> requests=<n>
--       non2xx=<n> errors=<socket errors>
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")

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
