#!/bin/sh
# Build one libFuzzer target (FUZZ_TARGETS in mk/*.mk) and run it for a
# fixed time: "tests/wa/fuzz.sh NAME SECONDS".  Prints "ok fuzz_NAME"
# when the run finds nothing, "FAIL ..." with the crash output
# otherwise (the input that failed is kept as tests/logs/crash-*).
# FUZZ_SEED picks libFuzzer's seed: 1 by default, so "make check" on
# a clean tree runs the same inputs every time (a find there is
# reproducible); "make fuzz" passes 0, a new random seed per run.
name=$1
secs=${2:-10}
build=${BUILD:-build/san}
bin=$build/fuzz/$name
corpus=tests/logs/corpus-$name
if ! make -s --no-print-directory BUILD="$build" "$bin" >/dev/null; then
	echo "FAIL $name (build)"
	exit 1
fi
mkdir -p "$corpus"
# Committed seeds (tests/fuzz/corpus/NAME/) are read, never written;
# a dictionary tests/fuzz/NAME.dict is used when there is one.
seeds= dict=
[ -d "tests/fuzz/corpus/$name" ] && seeds=tests/fuzz/corpus/$name
[ -f "tests/fuzz/$name.dict" ] && dict=-dict=tests/fuzz/$name.dict
if "$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -max_len=4096 -print_final_stats=0 \
    -artifact_prefix=tests/logs/ $dict "$corpus" $seeds \
    >"tests/logs/$name.fuzz.log" 2>&1; then
	echo "ok $name"
else
	tail -n 40 "tests/logs/$name.fuzz.log"
	echo "FAIL $name"
	exit 1
fi
