# Tools: every tools/hakmem-X.c is a libbpf CO-RE tool built from
#   bpf/X.bpf.c (+ bpf/X.h)  ->  build/bpf/X.bpf.o  ->  build/bpf/X.skel.h (struct X_bpf)
# and linked with the common layer tools/common/*.c and -lbpf -lelf -lz.
# A tool needing more libraries adds tools/hakmem-X.mk, e.g.
#   LDLIBS_hakmem-top := -lncursesw
# build/bpf/vmlinux.h is generated from the running kernel's BTF (never committed).

BPFTOOL   ?= bpftool
BPF_CLANG ?= clang
TOOL_SRCS := $(sort $(wildcard tools/hakmem-*.c))
TOOL_BINS := $(TOOL_SRCS:.c=)
TOOLS_COMMON_SRCS := $(sort $(wildcard tools/common/*.c))
TOOLS_COMMON_OBJS := $(patsubst tools/common/%.c,$(BUILD)/tools/common/%.o,$(TOOLS_COMMON_SRCS))
TOOLS_COMMON_HDRS := $(wildcard tools/common/*.h)
BPF_HDRS := $(wildcard bpf/*.h) include/hakmem_probes.h $(wildcard tools/common/*.bpf.h) \
	tools/common/hk_track_types.h

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror \
	-I$(BUILD)/bpf -Iinclude -Ibpf -Itools/common -idirafter /usr/include/x86_64-linux-gnu
TOOL_CFLAGS := $(BASE_CFLAGS) -I$(BUILD)/bpf -Ibpf -Itools/common
TOOL_LDLIBS := -lbpf -lelf -lz

-include $(wildcard tools/hakmem-*.mk)

$(BUILD)/bpf $(BUILD)/tools/common:
	mkdir -p $@

$(BUILD)/bpf/vmlinux.h: | $(BUILD)/bpf
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/bpf/vmlinux.h
	$(BPF_CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(BUILD)/tools/common/%.o: tools/common/%.c $(TOOLS_COMMON_HDRS) | $(BUILD)/tools/common
	$(CC) $(TOOL_CFLAGS) -c $< -o $@

# Keep the BPF objects and skeletons make would otherwise delete as intermediates,
# and the common objects, which make would otherwise delete after each link.
.PRECIOUS: $(BUILD)/bpf/%.bpf.o $(BUILD)/bpf/%.skel.h
.SECONDARY: $(TOOLS_COMMON_OBJS)

tools/hakmem-%: tools/hakmem-%.c $(BUILD)/bpf/%.skel.h $(TOOLS_COMMON_OBJS) $(TOOLS_COMMON_HDRS) $(wildcard bpf/*.h)
	$(CC) $(TOOL_CFLAGS) $< $(TOOLS_COMMON_OBJS) -o $@ $(TOOL_LDLIBS) $(LDLIBS_hakmem-$*)

.PHONY: tools tools-install
tools: $(TOOL_BINS)
all: tools

# `make install PREFIX=...`: lib/lib.mk installs the library, this the tools.
install: tools-install
tools-install: $(TOOL_BINS)
	install -d $(DESTDIR)$(PREFIX)/bin
	$(if $(TOOL_BINS),install -m 0755 $(TOOL_BINS) $(DESTDIR)$(PREFIX)/bin/)

CLEAN_EXTRA += $(TOOL_BINS)
