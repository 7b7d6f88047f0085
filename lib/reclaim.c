/* reclaim.c — when a heap reclaims, and which tier gives back (see reclaim.h). */
#include "chunks.h"
#include "config.h"
#include "large.h"
#include "os.h"
#include "probe_time.h"
#include "reclaim.h"
#include "remote.h"

#define RECLAIM_MIN ((size_t)8 << 20)

static size_t carved_bytes(const struct hk_heap *h)
{
	size_t n = 0;
	for (unsigned c = 0; c < HK_CLASSES; c++)
		n += h->carved[c] * hk_class_stride[c];
	return n;
}

int hk_reclaim_due(const struct hk_heap *h)
{
	return carved_bytes(h) >= (h->reclaim_at ? h->reclaim_at : RECLAIM_MIN);
}

/* What other threads freed joins the lists first: a program whose threads
 * pass blocks on, then change sizes, leaves them queued in classes their
 * owners no longer refill (4 threads, seven size bands: 4.6 GB peak).
 * Returns how many queues it drained (drain probe hits). */
static unsigned drain_all(struct hk_heap *h)
{
	unsigned drains = 0;
	for (unsigned c = 0; c < HK_CLASSES; c++) {
		unsigned n;
		if (!hk_remote_pending(h, c))
			continue;
		hk_free_list_join(h, c, hk_remote_drain(h, c, &n));
		drains++;
	}
	return drains;
}

static uint64_t carved_blocks(const struct hk_heap *h)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < HK_CLASSES; c++)
		n += h->carved[c];
	return n;
}

/* The next reclaim is due once the heap has carved another quarter, or as
 * much again after one that walked many free blocks and took under an
 * eighth of them: a program whose free blocks sit among live ones (perl
 * deleting two thirds of a hash) walked its lists at every quarter for
 * nothing, 10 % slower. */
#define WALK_CHEAP 65536 /* free blocks: a walk too short to matter */
#define IDLE_WALKS_MAX 6 /* reclaiming for others at least every 6.4 s (at 100 ms) */

/* A walk that cost more than a trifle and took under an eighth of it. */
static int found_little(uint64_t taken, size_t cost)
{
	return cost > WALK_CHEAP && taken < cost / 8;
}

/* Fresh takes of all heaps but h, so far. */
static uint64_t others_fresh(const struct hk_heap *h)
{
	return hk_chunks_fresh_takes() - h->fresh_own;
}

static uint64_t refilled_blocks(const struct hk_heap *h)
{
	return h->counters.refill_blocks[HK_TIER_TINY] + h->counters.refill_blocks[HK_TIER_POOL];
}

/* What the next reclaims go by: when the next one for itself is due, and how
 * long, how far and how fruitfully this one walked. */
static void note_walk(struct hk_heap *h, uint64_t taken, size_t walked, size_t next_walk)
{
	size_t carved = carved_bytes(h), step = found_little(taken, walked) ? carved : carved / 4;
	h->reclaim_at = carved + (step > RECLAIM_MIN ? step : RECLAIM_MIN);
	h->others_fresh_seen = others_fresh(h);
	h->refilled_at = refilled_blocks(h);
	h->walk_cost = next_walk;
	if (!found_little(taken, next_walk))
		h->idle_walks = 0;
	else if (h->idle_walks < IDLE_WALKS_MAX)
		h->idle_walks++;
	h->walk_ms = hk_os_now_ms() - h->reclaimed_ms;
	h->counters.reclaims++;
	h->counters.reclaim_blocks += walked;
	h->counters.reclaim_ms += h->walk_ms;
}

static void reclaim(struct hk_heap *h, enum hk_reclaim_reason why, enum hk_give_back tiny,
		    enum hk_give_back pool)
{
	hk_probe_reclaim_start(why);
	uint64_t t0 = hk_probe_t0(HK_PROBE_ACTIVE(reclaim_done));
	uint64_t before = carved_blocks(h);
	size_t pool_next;
	h->reclaimed_ms = hk_os_now_ms(); /* what the tiers find free now is stamped so */
	unsigned drains = 0;
	if (tiny != HK_GIVE_LEAVING) /* else the heap's next thread drains them, at its refills */
		drains = drain_all(h);
	size_t tiny_walked = hk_tiny_reclaim(h, tiny);
	size_t walked = tiny_walked + hk_pool_reclaim(h, pool, &pool_next);
	uint64_t taken = before - carved_blocks(h);
	note_walk(h, taken, walked, tiny_walked + pool_next);
	hk_probe_reclaim_done(why, (long)walked, (long)taken, (long)drains, hk_probe_ns(t0));
	hk_chunks_purge(0);
}

/* Reclaiming for other heaps.  A heap that freed what it carved and goes on
 * in other sizes maps nothing more, so it would never reclaim: its free
 * blocks would serve it alone while other heaps map more (four threads
 * passing blocks on through seven size bands: 3.2 GB, where 1.2 GB did).
 * So at a refill a heap also reclaims, giving back, once
 * HAKMEM_LARGE_PURGE_MS have passed since it last did, or FRESH_MS once
 * another heap has had to take fresh memory (its own growth paces its
 * reclaims already: counting it, perl building a hash walked 3x as often,
 * 5 % slower) or a thread has freed 32 MiB of its blocks in a row
 * (reclaim_asked, remote.c).  Only after refilling a quarter as many blocks
 * as its next walk would visit at most (unless asked: those bytes are
 * there to find), so that the walks cost a bounded share of the refills
 * between them; and each walk in a row that found little doubles the wait. */
#define FRESH_MS 10
#define REFILLED_MIN 1024 /* blocks: a new thread's first refills never wait on the clock */
/* Nor, after a walk that found little, does a heap spend more than a 16th
 * of its time walking for others: blocks are not all alike.  A list in
 * address order walks at 12 ns a block, one a hash table freed walks at 120,
 * while a refill carves a block in under 5 (perl, deleting a hash of 1.5 M
 * keys and building an array: three walks of 350 ms in 1.2 s that found
 * nothing).  Walks that find much are not held back: held back too, four
 * threads shifting size bands peaked at 1.6-1.9 GB, not 1.3. */
#define WALK_SHARE 16

/* Whether h was asked to reclaim (remote.c), and still should be: not when
 * the class it refills has blocks queued by other threads, since then it
 * takes back what they free to it (a producer whose consumer frees its
 * blocks: walking for the ask handed back arenas it carved again at once,
 * 14 -> 26 MB). */
static int asked(struct hk_heap *h, unsigned cls)
{
	if (!__atomic_load_n(&h->reclaim_asked, __ATOMIC_RELAXED))
		return 0;
	if (!hk_remote_pending(h, cls))
		return 1;
	hk_heap_set_asked(h, 0);
	return 0;
}

/* Whether h may walk again, since ms after its last walk, without spending
 * more than its share of time walking (after walks that found little). */
static int walk_share_left(const struct hk_heap *h, uint64_t since)
{
	return !h->idle_walks || since >= h->walk_ms * WALK_SHARE;
}

/* Whether FRESH_MS (doubled per walk in a row that found little) have
 * passed since h's last walk: then another tier's fresh memory is cause
 * enough for a walk. */
static int fresh_wait_over(const struct hk_heap *h, uint64_t since)
{
	return since >= (uint64_t)FRESH_MS << h->idle_walks;
}

int hk_reclaim_for_others_due(struct hk_heap *h, unsigned cls)
{
	int asked_now = asked(h, cls);
	if (refilled_blocks(h) - h->refilled_at < REFILLED_MIN + (asked_now ? 0 : h->walk_cost / 4))
		return 0;
	uint64_t now = hk_os_now_ms();
	hk_large_idle(now); /* while only small blocks are asked for, this is its clock */
	if (!h->reclaimed_ms) { /* the clock starts at the first look, and so
				 * does the count of other heaps' fresh takes */
		h->reclaimed_ms = now;
		h->others_fresh_seen = others_fresh(h);
		return 0;
	}
	uint64_t since = now - h->reclaimed_ms;
	if (!walk_share_left(h, since))
		return 0;
	if (since >= (uint64_t)hk_config.large_purge_ms << h->idle_walks)
		return 1;
	return fresh_wait_over(h, since) && (asked_now || others_fresh(h) != h->others_fresh_seen);
}

/* The large tier is about to map a chunk for runs (runs.c): the calling
 * thread's heap first gives back what it holds wholly free, for the runs to
 * take, when it holds much and a walk is likely worth it: when its last
 * walk found plenty and its next visits at most CHUNK_WALK blocks (~0.1 ms,
 * what a fresh chunk's 512 page faults cost), else when its clock allows a
 * walk for other tiers.  A walk at every chunk would cost a program holding
 * many small free blocks a walk of them all per 2 MiB of runs.  In
 * bench_phases the arenas of the phases before stayed beside the runs'
 * fresh chunks: with the clock's pacing alone the peak crept up to 217 MB
 * over 40 passes (a fresh chunk whenever a walk came too late); 150 at
 * 10 passes and at 40 now, for phases of at most 128 MB.  The pool's arena
 * being carved goes too when wholly free (HK_GIVE_CARVING): the runs take
 * its chunks now, and its next arena takes an idle chunk if one waits
 * (bench_phases, 5 passes: 149.7 -> 141.6 MB; its 8 MiB arena stayed
 * resident beside the runs). */
#define CHUNK_WALK 8192

static void for_others(struct hk_heap *h, enum hk_give_back pool)
{
	hk_heap_set_asked(h, 0);
	reclaim(h, HK_RECLAIM_OTHERS, HK_GIVE_WHOLE, pool);
}

void hk_reclaim_before_runs(void)
{
	struct hk_heap *h = hk_heap_current();
	if (!h || !h->reclaimed_ms || carved_bytes(h) < RECLAIM_MIN)
		return;
	uint64_t since = hk_os_now_ms() - h->reclaimed_ms;
	int cheap = !h->idle_walks && h->walk_cost <= CHUNK_WALK;
	if (cheap || (walk_share_left(h, since) && fresh_wait_over(h, since)))
		for_others(h, HK_GIVE_CARVING);
}

void hk_reclaim_for_others(struct hk_heap *h)
{
	for_others(h, HK_GIVE_WHOLE);
}

void hk_reclaim(struct hk_heap *h, int tier)
{
	reclaim(h, HK_RECLAIM_OWN, tier == HK_TIER_TINY ? HK_KEEP : HK_GIVE_AGED,
		tier == HK_TIER_POOL ? HK_KEEP : HK_GIVE_AGED);
}

void hk_reclaim_all(struct hk_heap *h)
{
	reclaim(h, HK_RECLAIM_ALL, HK_GIVE_ALL, HK_GIVE_ALL);
}

/* A heap whose thread exits keeps its memory till a thread adopts it, and
 * whichever does gets it all: with threads that come and go, each heap
 * held as much as the largest thread it ever served, not what the threads
 * running needed (25 rounds of four threads, 8 B-51 KB, each freeing all
 * before it exits: six heaps of 13 MB, peak RSS 65-80 MB, 41-46 now;
 * jemalloc 31).  So a heap holding much gives back what its thread left
 * wholly free, the superslab and arena it carves included: its chunks
 * wait, resident, for any heap's next superslab or arena, and the heap's
 * next arenas grow from the first size again.  Blocks other threads queued
 * to it count as live: its next thread drains them.  A heap holding
 * little keeps it all, for its next thread's first malloc. */
#define LEAVING_MIN ((size_t)1 << 20)

int hk_reclaim_leaving(struct hk_heap *h)
{
	if (carved_bytes(h) < LEAVING_MIN)
		return 0;
	/* not after a thread that refilled little since its heap's last walk:
	 * it left its blocks live, to a successor (larson: 2700 threads a
	 * second, a walk each cost 5 %) */
	if (refilled_blocks(h) - h->refilled_at >= REFILLED_MIN)
		reclaim(h, HK_RECLAIM_OTHERS, HK_GIVE_LEAVING, HK_GIVE_LEAVING);
	return carved_bytes(h) >= LEAVING_MIN;
}
