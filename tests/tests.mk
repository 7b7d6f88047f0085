# Tests: built by `make tests-build`, run by tests/run.
TEST_UNIT_SRCS := $(wildcard tests/unit/*.c)
TEST_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/bin/%,$(TEST_UNIT_SRCS))
TEST_CFLAGS := $(BASE_CFLAGS) -pthread -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-realloc -fno-builtin-free

$(BUILD)/tests/bin/%: tests/unit/%.c lib/libhakmem.a $(wildcard tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $< -o $@ lib/libhakmem.a

.PHONY: tests-build
tests-build: $(TEST_BINS)
