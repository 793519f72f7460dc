#!/bin/sh
# Run one libFuzzer target as a meson test:
#   run.sh FUZZER SECONDS WORKDIR SEED_CORPUS
# Anything it finds (crash, leak, timeout, sanitizer report) is a FAIL
# (exit 1): libFuzzer's own code for a crash is 77, which meson would
# count as SKIP. Each input it found is printed into the log in base64, so
# a CI log alone is enough to reproduce it.
set -u
fuzzer=$1 secs=$2 work=$3 seeds=$4
# New inputs gather in WORKDIR/corpus (kept between runs); the committed
# seed corpus is only read.
mkdir -p "$work/corpus"
rm -rf "$work/found"
mkdir -p "$work/found"
"$fuzzer" -max_total_time="$secs" -print_final_stats=1 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-artifact_prefix="$work/found/" "$work/corpus" "$seeds"
rc=$?
for f in "$work"/found/*; do
	[ -e "$f" ] || continue
	echo "=== $(basename "$fuzzer") found $(basename "$f")" \
	    "($(wc -c <"$f") bytes), base64:"
	base64 "$f"
	echo "=== reproduce: base64 -d >input <<.. (the lines above), then" \
	    "$(basename "$fuzzer") input"
	[ "$rc" -eq 0 ] && rc=1
done
[ "$rc" -eq 0 ] && exit 0
echo "$(basename "$fuzzer"): exit status $rc"
exit 1
