# Tests: built by `make tests-build`, run by tests/run.
#   build/tests/bin/NAME    unit + stress, linked with lib/libhakmem.a
#   build/tests/asan/NAME   unit + stress, ASan+UBSan, hakmem in prefix mode
#   build/tests/tsan/NAME   stress (multi-threaded), TSan, hakmem in prefix mode
#   build/tests/fuzz/fuzz_alloc  libFuzzer harness, run by tests/integration/test_fuzz.sh
# Prefix mode: the sanitizer owns malloc, hakmem exports hk_malloc...;
# tests/hk_prefix.h renames the tests' calls so one source serves both modes.
TEST_UNIT_SRCS := $(wildcard tests/unit/*.c)
TEST_STRESS_SRCS := $(wildcard tests/stress/*.c)
TEST_NAMES := $(basename $(notdir $(TEST_UNIT_SRCS) $(TEST_STRESS_SRCS)))
TEST_STRESS_NAMES := $(basename $(notdir $(TEST_STRESS_SRCS)))
TEST_HDRS := $(wildcard tests/*.h) include/hakmem.h

TEST_BINS := $(addprefix $(BUILD)/tests/bin/,$(TEST_NAMES))
TEST_ASAN_BINS := $(addprefix $(BUILD)/tests/asan/,$(TEST_NAMES))
TEST_TSAN_BINS := $(addprefix $(BUILD)/tests/tsan/,$(TEST_STRESS_NAMES))
TEST_FUZZ_BIN := $(BUILD)/tests/fuzz/fuzz_alloc

TEST_CFLAGS := $(BASE_CFLAGS) -Itests -pthread -fno-builtin-malloc -fno-builtin-calloc -fno-builtin-realloc \
	-fno-builtin-free
TEST_PREFIX := -include tests/hk_prefix.h
TEST_ASAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
TEST_TSAN := -fsanitize=thread

# $(call test_rules,SRCDIR): the bin and asan rules for sources in SRCDIR
# (make picks, per test name, the rule whose source exists).
define test_rules
$(BUILD)/tests/bin/%: $(1)/%.c lib/libhakmem.a $(TEST_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(TEST_CFLAGS) $$< -o $$@ lib/libhakmem.a
$(BUILD)/tests/asan/%: $(1)/%.c $(BUILD)/asan/libhakmem.a $(TEST_HDRS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(TEST_CFLAGS) $$(TEST_ASAN) $$(TEST_PREFIX) $$< -o $$@ $(BUILD)/asan/libhakmem.a
endef
$(eval $(call test_rules,tests/unit))
$(eval $(call test_rules,tests/stress))

$(BUILD)/tests/tsan/%: tests/stress/%.c $(BUILD)/tsan/libhakmem.a $(TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) $(TEST_TSAN) $(TEST_PREFIX) $< -o $@ $(BUILD)/tsan/libhakmem.a

# The fuzz target needs libFuzzer (clang) and coverage of the allocator
# itself, so hakmem's sources are compiled here once more with clang and
# -fsanitize=fuzzer-no-link (prefix mode, probes off: irrelevant to fuzzing).
FUZZ_CC := clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/tests/fuzz/lib/%.o,$(LIB_SRCS))

$(BUILD)/tests/fuzz/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(LIB_CFLAGS) -DHAKMEM_PREFIX=1 -DHAKMEM_PROBES=0 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(TEST_FUZZ_BIN): tests/fuzz/fuzz_alloc.c $(FUZZ_LIB_OBJS) $(TEST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(TEST_CFLAGS) -fsanitize=fuzzer $(FUZZ_SAN) $(TEST_PREFIX) $< -o $@ $(FUZZ_LIB_OBJS)

.PHONY: tests-build
tests-build: $(TEST_BINS) $(TEST_ASAN_BINS) $(TEST_TSAN_BINS) $(TEST_FUZZ_BIN)
