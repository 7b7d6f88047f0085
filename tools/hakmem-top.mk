# hakmem-top: ncurses, and its pieces in tools/top/ (linked as extra objects).
TOP_SRCS := $(sort $(wildcard tools/top/*.c))
TOP_OBJS := $(patsubst tools/top/%.c,$(BUILD)/tools/top/%.o,$(TOP_SRCS))
TOP_HDRS := $(wildcard tools/top/*.h) bpf/top.h

$(BUILD)/tools/top:
	mkdir -p $@

# The pieces see the BPF layouts (bpf/top.h) and the common layer, not the skeleton.
$(BUILD)/tools/top/%.o: tools/top/%.c $(TOP_HDRS) $(TOOLS_COMMON_HDRS) | $(BUILD)/tools/top
	$(CC) $(TOOL_CFLAGS) -c $< -o $@

tools/hakmem-top: $(TOP_OBJS) $(TOP_HDRS)
LDLIBS_hakmem-top := $(TOP_OBJS) -lncursesw $(TOOL_LDLIBS)
