#!/usr/bin/env bash
# tests/daemon/send_bench.sh: "make bench" figure for issue 9, a text to
# a 256-member simulated group (255 contacts with 2 devices each, and
# the account): the first send (sender key distributed pairwise to 511
# devices) and SEND_BENCH_N (8) more with the key already distributed
# (each waits for its ack: wasim takes seconds to open one skmsg at 511
# devices with Baileys' code, so the run takes about three minutes).
# Prints p50/p99 of encrypt+send (from the call to the <message> written,
# as wadeskd logs it) and of the whole send to the server's ack (which
# includes wasim decrypting at every device with Baileys' code), against
# the target p99 < 300 ms.  Runs on the stack of tests/daemon/run.sh
# with the optimised build ($BUILD, default build).
cd "$(dirname "$0")/../.."
export BUILD=${BUILD:-build}
export WADESK_DAEMON_TEST_WA=wasim
export DAEMON_TEST_JS=tests/daemon/send.bench.js
exec tests/daemon/run.sh "$@"
