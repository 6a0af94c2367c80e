#!/usr/bin/env bash
# "make bench": wadeskd's decrypt-and-store throughput on an offline
# backlog of N texts (default 500) from a tests/wasim contact (Baileys'
# Signal code), with the real stack (tests/daemon/recv.sh's, $BUILD
# default build).  Prints "bench wadeskd_decrypt_store msg_per_s=...".
cd "$(dirname "$0")/../.." || exit 1
export BUILD=${BUILD:-build} RECV_BENCH=${1:-500}
tests/daemon/recv.sh recv-bench | grep -E '^(bench|FAIL)|^    '
exit "${PIPESTATUS[0]}"
