# hakmem-lat: the exact per-event maximum is kept with compare-and-swap,
# which needs BPF ISA v3 (atomics beyond add; kernel >= 5.12).
$(BUILD)/bpf/lat.bpf.o: BPF_CFLAGS += -mcpu=v3
LDLIBS_hakmem-lat := -lm
