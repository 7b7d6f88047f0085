# libhakmem: lib/libhakmem.so (LD_PRELOAD or -lhakmem) and lib/libhakmem.a.
#
# Variants for the test suite and overhead comparisons are built from the same
# sources into build/<variant>/:
#   noprobes  PROBES=0
#   asan      -fsanitize=address,undefined, API prefixed hk_ (sanitizers own malloc)
#   tsan      -fsanitize=thread, API prefixed hk_

LIB_SRCS := $(sort $(wildcard lib/*.c))
LIB_HDRS := $(wildcard lib/*.h) $(wildcard include/*.h)

# -z noseparate-code (below) gives two LOAD segments instead of four: two
# fewer mmaps for the loader in every process that preloads us, and
# lib/bss-in-file.ld one more (no anonymous mapping for .bss).
# Initial-exec TLS, hidden visibility and no PLT keep the fast path free of
# __tls_get_addr and PLT hops; -fno-builtin-* stops the compiler from turning
# our own calloc into a call to calloc.
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden -ftls-model=initial-exec \
	-fno-plt -fno-semantic-interposition -fno-builtin-malloc -fno-builtin-calloc \
	-fno-builtin-realloc -fno-builtin-free -fno-stack-protector -pthread

# $(call lib_variant,NAME,EXTRA_CFLAGS): build/NAME/libhakmem.{a,so}
define lib_variant
$(BUILD)/$(1)/lib/%.o: lib/%.c $(LIB_HDRS) | $(BUILD)/$(1)/lib
	$$(CC) $(LIB_CFLAGS) $(2) -c $$< -o $$@
$(BUILD)/$(1)/lib:
	mkdir -p $$@
$(BUILD)/$(1)/libhakmem.a: $(patsubst lib/%.c,$(BUILD)/$(1)/lib/%.o,$(LIB_SRCS))
	rm -f $$@ && ar rcs $$@ $$^
$(BUILD)/$(1)/libhakmem.so: $(patsubst lib/%.c,$(BUILD)/$(1)/lib/%.o,$(LIB_SRCS)) lib/bss-in-file.ld
	$$(CC) -shared -pthread $(2) -Wl,-soname,libhakmem.so -Wl,-z,nodelete -Wl,-z,noseparate-code \
		-Wl,-T,lib/bss-in-file.ld -o $$@ $$(filter %.o,$$^)
endef

$(eval $(call lib_variant,default,-DHAKMEM_PROBES=$(PROBES)))
$(eval $(call lib_variant,noprobes,-DHAKMEM_PROBES=0))
$(eval $(call lib_variant,asan,-DHAKMEM_PREFIX=1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer))
$(eval $(call lib_variant,tsan,-DHAKMEM_PREFIX=1 -fsanitize=thread))

# Replace, never rewrite in place: running programs map the old file, and
# uprobes attached to it follow its inode.
lib/libhakmem.so: $(BUILD)/default/libhakmem.so
	cp $< $@.tmp && mv -f $@.tmp $@
lib/libhakmem.a: $(BUILD)/default/libhakmem.a
	cp $< $@.tmp && mv -f $@.tmp $@

all: lib/libhakmem.so lib/libhakmem.a

HK_PC = prefix=$(PREFIX)\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: hakmem\nDescription: fast malloc replacement with USDT probes\nVersion: 0.1.0\nLibs: -L$${libdir} -lhakmem -pthread\nCflags: -I$${includedir}\n

install: all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0755 lib/libhakmem.so $(DESTDIR)$(PREFIX)/lib/libhakmem.so
	install -m 0644 lib/libhakmem.a $(DESTDIR)$(PREFIX)/lib/libhakmem.a
	install -m 0644 include/hakmem.h include/hakmem_probes.h $(DESTDIR)$(PREFIX)/include/
	printf '$(HK_PC)' > $(DESTDIR)$(PREFIX)/lib/pkgconfig/hakmem.pc
