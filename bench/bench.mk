# Benchmarks: each bench/*.c is a program that prints its parameters, ops/s
# and peak RSS.  They call plain malloc/free, so the allocator under test is
# chosen with LD_PRELOAD (scripts/bench-compare).
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRCS:.c=)
BENCH_CFLAGS := $(BASE_CFLAGS) -pthread

bench/%: bench/%.c $(wildcard bench/*.h)
	$(CC) $(BENCH_CFLAGS) $< -o $@ -lm

all: $(BENCH_BINS)
CLEAN_EXTRA += $(BENCH_BINS)
