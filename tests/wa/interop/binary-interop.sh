#!/bin/sh
# Binary node codec interop with the npm baileys package (see README):
#   1. gen.mjs: random nodes encoded and decoded by Baileys;
#      binary_interop check: the C decoder gives the same trees and the
#      C encoder the same bytes.
#   2. binary_interop gen: random nodes encoded by C; check.mjs: Baileys
#      decodes them to the same trees and encodes them to the same bytes.
# Prints ok/FAIL lines.  WA_INTEROP_SEED and WA_INTEROP_COUNT override the
# seed (default: the time, printed) and the node count (default 3000).
# BUILD (default build/san) and SANITIZE (default 1, as "make check"
# builds build/san) say which tree to (re)build the helper in.
cd "$(dirname "$0")/../../.." || exit 1
build=${BUILD:-build/san}
dir=$build/tests/wa/interop
bin=$dir/binary_interop
seed=${WA_INTEROP_SEED:-$(date +%s)}
count=${WA_INTEROP_COUNT:-3000}
rc=0
echo "seed $seed (rerun: WA_INTEROP_SEED=$seed $0)"
if ! make -s --no-print-directory BUILD="$build" SANITIZE="${SANITIZE:-1}" \
    "$bin" >/dev/null; then
	echo "FAIL interop_build"
	exit 1
fi
node tests/wa/interop/gen.mjs "$count" "$seed" "$dir/baileys.txt" || rc=1
"$bin" check "$dir/baileys.txt" || rc=1
if "$bin" gen "$count" "$seed" "$dir/c.txt"; then
	node tests/wa/interop/check.mjs "$dir/c.txt" || rc=1
else
	echo "FAIL interop_c_gen"
	rc=1
fi
rm -f "$dir/baileys.txt" "$dir/c.txt"
exit $rc
