# hakmem — the one entry point.
#   make            library (lib/libhakmem.so, lib/libhakmem.a), tools, benchmarks
#   make test       install what is missing, build everything, run tests/run
#   make bench      peer comparison (scripts/bench-compare)
#   make demo       install what is missing, build, run the main job and print the report
#   make install PREFIX=/usr/local
#   make PROBES=0   build without USDT probes (for overhead comparisons)

CC       ?= cc
PREFIX   ?= /usr/local
PROBES   ?= 1
BUILD    := build

WARN     := -Wall -Wextra -Werror
CFLAGS   ?= -O2 -g
BASE_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude

.PHONY: all test bench demo install clean deps
all:

include lib/lib.mk
include bench/bench.mk
include tests/tests.mk
-include tools/tools.mk

deps:
	@scripts/install-deps

test: deps
	@$(MAKE) -s --no-print-directory all tests-build
	@tests/run

bench: all
	@scripts/bench-compare

demo: deps
	@$(MAKE) -s --no-print-directory all
	@scripts/demo

clean:
	rm -rf $(BUILD) lib/libhakmem.so lib/libhakmem.a $(CLEAN_EXTRA)
