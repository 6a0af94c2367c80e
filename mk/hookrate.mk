# "make bench": the webhook sender's delivery rate and event ->
# delivered latency against a loopback receiver (issue 13: >= 1,000
# deliveries/s, p99 < 500 ms), tests/webhook/bench.sh.
BENCH_CMDS	+= tests/webhook/bench.sh
