/* config.c — parse the HAKMEM_* knobs (see config.h and README.md). */
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "out.h"

#define MB ((size_t)1 << 20)

struct hk_config hk_config;

static void warn_default(const char *name, const char *value, const char *why, long dflt)
{
	struct hk_out o = HK_OUT_INIT(2);
	hk_out_str(&o, "hakmem: warning: ");
	hk_out_str(&o, name);
	hk_out_str(&o, "=");
	hk_out_str(&o, value);
	hk_out_str(&o, " ");
	hk_out_str(&o, why);
	hk_out_str(&o, "; using the default ");
	hk_out_u64(&o, (uint64_t)dflt);
	hk_out_str(&o, "\n");
	hk_out_flush(&o);
}

/* Parse a decimal in [lo, hi]; 0 on success. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static long knob(const char *name, long dflt, long lo, long hi)
{
	const char *s = getenv(name);
	long v;
	if (!s || !*s)
		return dflt;
	if (parse_long(s, lo, hi, &v) == 0)
		return v;
	warn_default(name, s, "is not a whole number in range", dflt);
	return dflt;
}

/* "N" (every pool class) or "N1,N2,..." (one count per pool class, in order). */
static void load_prewarm(void)
{
	const char *s = getenv("HAKMEM_POOL_TLS_PREWARM");
	if (!s || !*s || strcmp(s, "0") == 0)
		return;
	unsigned n = 0;
	long v;
	char item[24];
	while (*s && n < HK_POOL_CLASSES) {
		size_t len = strcspn(s, ",");
		if (len >= sizeof(item))
			goto bad;
		memcpy(item, s, len);
		item[len] = '\0';
		if (parse_long(item, 0, 4096, &v) != 0)
			goto bad;
		hk_config.prewarm[n++] = (unsigned)v;
		s += len + (s[len] == ',');
	}
	if (n == 1)
		for (unsigned c = 1; c < HK_POOL_CLASSES; c++)
			hk_config.prewarm[c] = hk_config.prewarm[0];
	hk_config.prewarm_on = 1;
	return;
bad:
	memset(hk_config.prewarm, 0, sizeof(hk_config.prewarm));
	warn_default("HAKMEM_POOL_TLS_PREWARM", getenv("HAKMEM_POOL_TLS_PREWARM"),
		     "is not N or a comma list of counts per pool class", 0);
}

static void load_arena(void)
{
	long max = knob("HAKMEM_POOL_TLS_ARENA_MB_MAX", 8, 1, 1024);
	long init = knob("HAKMEM_POOL_TLS_ARENA_MB_INIT", 1, 1, 1024);
	if (init > max) {
		const char *s = getenv("HAKMEM_POOL_TLS_ARENA_MB_INIT");
		warn_default("HAKMEM_POOL_TLS_ARENA_MB_INIT", s, "is above HAKMEM_POOL_TLS_ARENA_MB_MAX", 1);
		init = 1;
	}
	hk_config.arena_init = (size_t)init * MB;
	hk_config.arena_max = (size_t)max * MB;
	hk_config.growth_levels = (unsigned)knob("HAKMEM_POOL_TLS_ARENA_GROWTH_LEVELS", 4, 1, 16);
}

void hk_config_load(void)
{
	hk_config.stats = (int)knob("HAKMEM_STATS", 0, 0, 1);
	const char *f = getenv("HAKMEM_STATS_FILE");
	if (f && strlen(f) < sizeof(hk_config.stats_file))
		strcpy(hk_config.stats_file, f);
	load_arena();
	load_prewarm();
	hk_config.large_cache = (size_t)knob("HAKMEM_LARGE_CACHE_MB", 64, 0, 1 << 20) * MB;
	hk_config.large_purge_ms = (unsigned)knob("HAKMEM_LARGE_PURGE_MS", 100, 0, 60000);
	hk_config.large_idle_ms = (unsigned)knob("HAKMEM_LARGE_IDLE_MS", 200, 0, 600000);
	hk_config.large_huge = (size_t)knob("HAKMEM_LARGE_HUGE_MB", 0, 0, 1 << 20) * MB;
}
