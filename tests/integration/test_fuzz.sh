#!/usr/bin/env bash
# Runs the libFuzzer harness (build/tests/fuzz/fuzz_alloc, hakmem in prefix
# mode under ASan+UBSan) for a bounded time over the committed seed corpus.
# New inputs go to a scratch directory, never into tests/fuzz/corpus.
# HAKMEM_FUZZ_SECONDS overrides the time budget (default 30).
. "$(dirname "$0")/common.sh"
FUZZ=$ROOT/build/tests/fuzz/fuzz_alloc
SEEDS=$ROOT/tests/fuzz/corpus
secs=${HAKMEM_FUZZ_SECONDS:-30}
echo "test_fuzz: libFuzzer on hakmem for ${secs}s over $(ls "$SEEDS" | wc -l) seeds"
[ -x "$FUZZ" ] || fail "$FUZZ not built (make tests-build)"
[ "$(ls "$SEEDS" | wc -l)" -ge 12 ] || fail "seed corpus $SEEDS is missing"
mkdir -p "$T/corpus" "$T/artifacts"
# detect_leaks: the harness frees everything; hakmem's own mappings are not
# sanitizer allocations, so LeakSanitizer would only see libFuzzer's.
rc=0
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 "$FUZZ" "$T/corpus" "$SEEDS" \
	-max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix="$T/artifacts/" -print_final_stats=1 >"$T/log" 2>&1 || rc=$?
sed -n -E '/^#[0-9]+\s+(INITED|DONE)|^stat::(number_of_executed_units|peak_rss)/p' "$T/log"
if [ $rc -ne 0 ]; then
	tail -n 40 "$T/log"
	for a in "$T"/artifacts/*; do
		[ -f "$a" ] && echo "crashing input (hex): $(od -An -tx1 -v "$a" | tr -d '\n' | head -c 400)"
	done
	fail "fuzz_alloc exited $rc"
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/log")
[ "${runs:-0}" -gt 100 ] || fail "fuzzer executed only ${runs:-0} inputs"
echo "PASS ($runs inputs)"
