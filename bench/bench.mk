# Benchmarks: each bench/*.c is a program that prints its parameters, ops/s
# and peak RSS.  They call plain malloc/free, so the allocator under test is
# chosen with LD_PRELOAD (scripts/bench-compare).  Shared code lives in
# bench/*.h (PRNG, timing, slots, ring), so every header is a prerequisite.
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:.c=)
BENCH_CFLAGS := $(BASE_CFLAGS) -pthread

bench/%: bench/%.c $(wildcard bench/*.h)
	$(CC) $(BENCH_CFLAGS) $< -o $@ -lm

# The programs alone (they do not need the library): scripts/bench-compare
# builds them with this before lib/libhakmem.so exists.
.PHONY: bench-bins
bench-bins: $(BENCH_BINS)

all: $(BENCH_BINS)
CLEAN_EXTRA += $(BENCH_BINS)
