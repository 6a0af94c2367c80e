# tests/browser/: the pairing flow in headless Chromium (playwright-core
# from tests/node_modules, Debian's /usr/bin/chromium), against a private
# stack that run.sh starts from build/san and always stops.  About 30 s.
CHECK_SCRIPTS	+= tests/browser/run.sh

# tests/bench/bench_web.sh: wrk against nginx on loopback (static PNG,
# qr.png with the memo on and off, /accounts of 10,000, /health) on the
# plain "make" build; prints req/s, p99 and ratios next to the targets
# (about 2 min).
BENCH_CMDS	+= tests/bench/bench_web.sh
