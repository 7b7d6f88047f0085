/* pool.c — per-heap arenas and block carving for the Pool tier (see pool.h). */
#include <sys/mman.h>
#include "block.h"
#include "chunks.h"
#include "config.h"
#include "os.h"
#include "pool.h"
#include "probe_time.h"
#include "reclaim.h"
#include "stats.h"

uint32_t hk_pool_secret;

/* Arena sizes run init, 2*init, 4*init ... for growth_levels steps, capped at max. */
static size_t next_arena_size(const struct hk_heap *h)
{
	unsigned level = h->arena_level < hk_config.growth_levels ? h->arena_level
								  : hk_config.growth_levels - 1;
	size_t size = hk_config.arena_init << level;
	return size < hk_config.arena_max ? size : hk_config.arena_max;
}

static void write_header(uintptr_t at, unsigned cls, uint64_t aux)
{
	struct hk_pool_hdr *hdr = (struct hk_pool_hdr *)at;
	hdr->check = hk_pool_check(hdr);
	hdr->cls = cls;
	hdr->aux = aux;
}

static struct hk_pool_hdr *hdr_of(const struct hk_block *b)
{
	return (struct hk_pool_hdr *)((uintptr_t)b - HK_POOL_HDR);
}

/* Free stretches.  Reclaiming (reclaim.h), the heap walks the arenas where
 * blocks were freed, from header to header: a run of blocks all sitting in
 * its lists, 64 KiB or more (or joining a stretch it has), leaves the lists
 * and becomes a stretch, carved again for any class before the arena's end
 * (1-4 KiB blocks freed, then 8-16 KiB ones: the same arenas).  A stretch
 * starts with a header (HK_POOL_EXTENT, aux: its bytes) and the address of
 * the heap's next one.  What is too short for the smallest pool block
 * becomes a gap, walked over; so does an arena's end too short for the
 * block that made the heap take another, till its neighbours are free: as a
 * stretch it drew the next small blocks into every full arena, which pinned
 * them all (a heap that had carved 720 MB of 20-52 KB blocks, freed them and
 * went on with 1-2 KB ones kept 65 of its 92 arenas for 15 MB).  Unless the
 * pool itself asked, an arena that is one stretch goes back whole
 * (arena_free), and the pages inside stretches free for
 * HAKMEM_LARGE_PURGE_MS go back to the OS (at hakmem_flush, all of them):
 * the stretch stays, its bytes the arena's. */
#define EXTENT_MIN ((size_t)64 << 10)
#define MARK 1u /* aux of a block in the lists, while reclaiming */

static uintptr_t *extent_next(uintptr_t x)
{
	return (uintptr_t *)(x + HK_POOL_HDR);
}

/* When a reclaim of the heap first found the stretch at x free (its
 * reclaimed_ms), 0 for one made since, not yet seen by one. */
static uint64_t *extent_born(uintptr_t x)
{
	return (uint64_t *)(x + HK_POOL_HDR + sizeof(uintptr_t));
}

/* Make [x, x + len) a stretch of h, or a gap when no block would fit. */
static void extent_put(struct hk_heap *h, uintptr_t x, size_t len)
{
	if (len < hk_class_stride[HK_TINY_CLASSES]) {
		if (len)
			write_header(x, HK_POOL_GAP, len);
		return;
	}
	write_header(x, HK_POOL_EXTENT, len);
	*extent_born(x) = 0;
	*extent_next(x) = h->extents;
	h->extents = x;
}

/* Up to want blocks of stride from the first stretch that holds one: their
 * count (0: none does), the first at *first; the rest stays a stretch. */
static unsigned carve_extent(struct hk_heap *h, uint32_t stride, unsigned want, uintptr_t *first)
{
	for (uintptr_t *link = &h->extents; *link; link = extent_next(*link)) {
		uintptr_t x = *link;
		size_t len = ((const struct hk_pool_hdr *)x)->aux;
		if (len < stride)
			continue;
		unsigned n = len / stride < want ? (unsigned)(len / stride) : want;
		*link = *extent_next(x);
		extent_put(h, x + (size_t)n * stride, len - (size_t)n * stride);
		*first = x;
		return n;
	}
	return 0;
}

/* The piece (block, gap or stretch) at x: its bytes, 0 when x holds no
 * header; *free: a stretch, a gap or a block marked as in the lists. */
static size_t piece(uintptr_t x, int *free, int *stretch)
{
	const struct hk_pool_hdr *hdr = (const struct hk_pool_hdr *)x;
	if (hdr->check != hk_pool_check(hdr))
		return 0;
	*stretch = hdr->cls == HK_POOL_EXTENT || hdr->cls == HK_POOL_EXTENT_RETURNED;
	if (*stretch || hdr->cls == HK_POOL_GAP) {
		*free = 1;
		return hdr->aux >= HK_POOL_HDR && hdr->aux % HK_POOL_HDR == 0 ? hdr->aux : 0;
	}
	if (hdr->cls < HK_TINY_CLASSES || hdr->cls >= HK_CLASSES)
		return 0;
	*free = hdr->aux == MARK;
	return hk_class_stride[hdr->cls];
}

/* A free run [start, end) becomes a stretch when long enough or when it
 * holds one: every header in it is cleared, then its first says so (the
 * blocks' links, after the headers, stay intact till the lists drop them).
 * Returns whether it made one: not when too short, nor when it is one
 * stretch already (which keeps its pages' state). */
static int close_run(uintptr_t start, uintptr_t end, int had_stretch)
{
	int free, stretch;
	if ((end - start < EXTENT_MIN && !had_stretch) || (piece(start, &free, &stretch) == end - start && stretch))
		return 0;
	for (uintptr_t x = start; x < end;) {
		size_t len = piece(x, &free, &stretch);
		((struct hk_pool_hdr *)x)->check = 0;
		x += len;
	}
	write_header(start, HK_POOL_EXTENT, end - start);
	return 1;
}

static void link_stretch(struct hk_heap *h, uintptr_t x)
{
	*extent_next(x) = h->extents;
	h->extents = x;
}

/* One reclaim's walk of a heap's arenas, linking the stretches it finds as
 * it goes (one walk, not a second to link them).  A stretch it makes cannot
 * take its link word yet: that is the first block's own list link, which
 * drop_reclaimed still follows; so those wait in made, linked through their
 * born word, till link_made. */
struct walk {
	struct hk_heap *h;
	int carving; /* gives_carving: the carved part of the arena being carved may go back */
	uintptr_t made;
	size_t pieces; /* left for the next walk */
	size_t stretches; /* found or made */
};

/* Close the free run [start, end) of n pieces (close_run). */
static void end_run(struct walk *w, uintptr_t start, uintptr_t end, int had_stretch, size_t n)
{
	int free, stretch;
	if (close_run(start, end, had_stretch)) {
		*extent_born(start) = w->made;
		w->made = start;
	} else if (piece(start, &free, &stretch) && stretch) {
		link_stretch(w->h, start);
	} else {
		w->pieces += n;
		return;
	}
	w->pieces++;
	w->stretches++;
}

/* Walk a from header to header: its free runs become stretches. */
static void find_runs(struct walk *w, const struct hk_arena *a)
{
	uintptr_t x = a->data, end = __atomic_load_n(&a->carved, __ATOMIC_RELAXED), run = 0;
	size_t in_run = 0;
	int had = 0, free, stretch;
	while (x < end) {
		size_t len = piece(x, &free, &stretch);
		if (!len)
			break; /* cannot happen: every piece has a header */
		if (free && !run) {
			run = x;
			had = 0;
			in_run = 0;
		}
		had |= free && stretch;
		if (!free && run) {
			end_run(w, run, x, had, in_run);
			run = 0;
		}
		in_run += free;
		w->pieces += !free;
		x += len;
	}
	if (run) /* all of the arena being carved, however short, when it may go back */
		end_run(w, run, x, had || (w->carving && run == a->data && a == w->h->arena), in_run);
}

/* The stretches made by the walk join h's list, stamped as found now. */
static void link_made(struct walk *w)
{
	while (w->made) {
		uintptr_t x = w->made;
		w->made = *extent_born(x);
		*extent_born(x) = w->h->reclaimed_ms;
		link_stretch(w->h, x);
	}
}

/* Drop from h's lists the blocks now inside stretches; unmark the others,
 * and count them. */
static size_t drop_reclaimed(struct hk_heap *h)
{
	size_t kept = 0;
	for (unsigned c = HK_TINY_CLASSES; c < HK_CLASSES; c++) {
		struct hk_block **link = &h->free[c];
		while (*link) {
			struct hk_pool_hdr *hdr = hdr_of(*link);
			if (hdr->check != hk_pool_check(hdr) || hdr->cls != c) {
				*link = (*link)->next;
				h->carved[c]--;
			} else {
				hdr->aux = 0;
				link = &(*link)->next;
				kept++;
			}
		}
	}
	return kept;
}

/* Whether the stretch at x goes back: at HK_GIVE_ALL, or once it has been
 * free HAKMEM_LARGE_PURGE_MS (one made since the last reclaim counts from
 * this one). */
static int stretch_waited(const struct hk_heap *h, uintptr_t x, enum hk_give_back give)
{
	uint64_t *born = extent_born(x);
	if (!*born)
		*born = h->reclaimed_ms;
	return give == HK_GIVE_ALL || hk_waited(*born, h->reclaimed_ms);
}

/* Return the whole pages inside h's stretches that waited to the OS, but a
 * stretch's header and link, in its first page: a stretch keeps its bytes,
 * which read as zero when carved again. */
static void give_back_stretches(struct hk_heap *h, enum hk_give_back give)
{
	for (uintptr_t x = h->extents; x; x = *extent_next(x)) {
		struct hk_pool_hdr *hdr = (struct hk_pool_hdr *)x;
		uintptr_t from = hk_align_up(x + 2 * HK_POOL_HDR, HK_PAGE);
		uintptr_t to = (x + hdr->aux) & ~(uintptr_t)(HK_PAGE - 1);
		if (hdr->cls != HK_POOL_EXTENT || !stretch_waited(h, x, give) ||
		    to < from + EXTENT_MIN) /* too few pages inside to be worth a call */
			continue;
		hk_os_advise((void *)from, to - from, MADV_DONTNEED, HK_PURPOSE_ARENA);
		hdr->cls = HK_POOL_EXTENT_RETURNED;
	}
}

/* Whether give lets the arena being carved go back when wholly free: when
 * the heap's thread leaves, and when the runs are about to map a chunk
 * (reclaim.c), since the heap's next arena can take an idle chunk then. */
static int gives_carving(enum hk_give_back give)
{
	return give == HK_GIVE_LEAVING || give == HK_GIVE_CARVING;
}

/* Whether a, walked just now, is one stretch and not the arena being
 * carved (unless give lets it go: then what was carved of it is one
 * stretch, or nothing): it then goes back, for any heap's next arena or
 * superslab (chunks.h).  Its headers inside were cleared when the stretch
 * was made: none reads as a block. */
static int arena_free(const struct hk_heap *h, const struct hk_arena *a, enum hk_give_back give)
{
	int free, stretch = 0;
	uintptr_t end = a->end;
	if (a == h->arena) {
		if (!gives_carving(give))
			return 0;
		end = __atomic_load_n(&a->carved, __ATOMIC_RELAXED);
		if (end == a->data)
			return 1;
	}
	return piece(a->data, &free, &stretch) == end - a->data && stretch;
}

/* Unlink a's one stretch, the last the walk found: it heads one list or the
 * other (none in an arena not carved yet). */
static void unlink_arena_stretch(struct walk *w, const struct hk_arena *a)
{
	if (a->carved == a->data)
		return;
	if (w->made == a->data)
		w->made = *extent_born(a->data);
	else
		w->h->extents = *extent_next(a->data);
	w->pieces--;
}

static void arena_release(struct hk_heap *h, struct hk_arena *a)
{
	size_t size = a->seg.size, old = h->arena_bytes;
	h->arena_bytes -= size;
	h->counters.arena_releases++;
	hk_probe_arena_release(HK_TIER_POOL, (long)old, (long)h->arena_bytes, (long)a);
	hk_registry_clear(a, size);
	hk_chunks_idle(a, size, HK_PURPOSE_ARENA);
}

/* The arena of h holding the list block b, or NULL. */
static struct hk_arena *own_arena(const struct hk_heap *h, const struct hk_block *b)
{
	struct hk_segment *s = hk_segment_of(b);
	return s && s->owner_kind == hk_owner_kind(h, HK_SEG_POOL) ? (struct hk_arena *)s : NULL;
}

/* Mark the blocks in h's lists, and their arenas as ones to walk (an arena
 * none of whose blocks was freed since its last walk cannot have changed);
 * returns how many. */
static size_t mark_lists(struct hk_heap *h)
{
	size_t marked = 0;
	struct hk_arena *a = NULL;
	for (unsigned c = HK_TINY_CLASSES; c < HK_CLASSES; c++)
		for (struct hk_block *b = h->free[c]; b; b = b->next, marked++) {
			hdr_of(b)->aux = MARK;
			if (a && (uintptr_t)b > (uintptr_t)a && (uintptr_t)b < a->end)
				continue; /* lists run through one arena for long */
			if ((a = own_arena(h, b)))
				a->walk = 1;
		}
	return marked;
}

/* Keep in h's list the stretches of the arenas the walk skips; it links
 * those of the others again as it finds them.  A wholly free arena is walked,
 * so that it goes back (it stays when the pool itself asked). */
static void keep_unwalked(struct hk_heap *h, enum hk_give_back give)
{
	uintptr_t *link = &h->extents;
	while (*link) {
		uintptr_t x = *link;
		struct hk_arena *a = (struct hk_arena *)hk_segment_of((void *)x);
		if (give != HK_KEEP && arena_free(h, a, give))
			a->walk = 1;
		if (a->walk)
			*link = *extent_next(x);
		else
			link = extent_next(x);
	}
}

/* Walk the arenas of h that may have changed (find_runs); unless give is
 * HK_KEEP, those found wholly free leave h and go back once no list block in
 * them is read any more.  Returns the pieces left for the next walk. */
static size_t walk_arenas(struct hk_heap *h, enum hk_give_back give)
{
	struct walk w = {.h = h, .carving = gives_carving(give)};
	struct hk_arena *freed = NULL;
	for (struct hk_arena **link = &h->arena; *link;) {
		struct hk_arena *a = *link;
		size_t before = w.pieces, stretches = w.stretches;
		int walked = a->walk || (gives_carving(give) && a == h->arena && a->carved == a->data);
		if (walked) {
			find_runs(&w, a);
			a->has_stretch = w.stretches != stretches;
		} else {
			w.pieces += a->pieces;
		}
		a->pieces = (uint32_t)(w.pieces - before);
		a->walk = 0;
		if (give == HK_KEEP || !walked || !arena_free(h, a, give)) {
			link = &a->next;
			continue;
		}
		unlink_arena_stretch(&w, a);
		*link = a->next;
		a->next = freed;
		freed = a;
	}
	w.pieces += drop_reclaimed(h);
	link_made(&w);
	if (give == HK_GIVE_LEAVING) /* the next thread's arenas grow as a new heap's */
		h->arena_level = 0;
	while (freed) {
		struct hk_arena *a = freed;
		freed = a->next; /* read before a may be another heap's */
		arena_release(h, a);
	}
	return w.pieces;
}

size_t hk_pool_reclaim(struct hk_heap *h, enum hk_give_back give, size_t *next_walk)
{
	size_t walked = mark_lists(h);
	keep_unwalked(h, give);
	*next_walk = walk_arenas(h, give);
	if (give != HK_KEEP)
		give_back_stretches(h, give);
	return walked;
}

_Static_assert(sizeof(struct hk_arena) <= 64, "an arena's header fits before its first block");

static struct hk_arena *arena_grow(struct hk_heap *h, size_t need)
{
	size_t size = next_arena_size(h);
	if (size < need + HK_PAGE)
		size = hk_align_up(need + HK_PAGE, HK_CHUNK);
	hk_probe_arena_grow_start(HK_TIER_POOL, (long)h->arena_bytes, (long)size);
	uint64_t t0 = hk_probe_t0(HK_PROBE_ACTIVE(arena_grow));
	/* Chunks handed back, resident, serve first: half of size will do when
	 * that is all that waits.  A heap whose thread left gives back arenas
	 * of 1, 2 and 4 MiB, which the next heap's 8 MiB arena never took while
	 * it faulted fresh pages in (25 rounds of four threads, 8 B-51 KB, each
	 * freeing all before it exits: peak RSS 66-80 MB, 41-46 now).  Any
	 * smaller piece would do as well there, but cost threads that shift
	 * size bands twice the page faults, 9 % slower (mtshift).
	 * Every field is set below; nothing past carved is read. */
	size_t least = size / 2 > need + HK_PAGE ? size / 2 : need + HK_PAGE;
	struct hk_arena *a = hk_segment_reuse(least, &size, HK_SEG_POOL, h, HK_PURPOSE_ARENA, &h->fresh_own);
	if (!a)
		return NULL;
	struct hk_arena *prev = h->arena;
	if (prev) { /* its end: a gap till its neighbours are free (see above) */
		if (prev->end > prev->carved)
			write_header(prev->carved, HK_POOL_GAP, prev->end - prev->carved);
		prev->walk |= prev->has_stretch; /* a stretch before the gap joins it */
		__atomic_store_n(&prev->carved, prev->end, __ATOMIC_RELEASE);
	}
	a->data = (uintptr_t)a + HK_ARENA_HDR;
	a->carved = a->data;
	a->end = (uintptr_t)a + size;
	a->next = prev;
	a->pieces = 0;
	a->has_stretch = 0;
	a->walk = 0;
	size_t old = h->arena_bytes;
	h->arena = a;
	h->arena_bytes += size;
	h->arena_level++;
	h->counters.arena_grows++;
	hk_probe_arena_grow(HK_TIER_POOL, (long)old, (long)h->arena_bytes, (long)a, hk_probe_ns(t0));
	return a;
}

static int has_room(const struct hk_arena *a, uint32_t stride)
{
	return a && a->end - a->carved >= stride;
}

/* The current arena if it has room for stride bytes, else a new one
 * (*source: from the OS), or NULL when out of memory. */
static struct hk_arena *arena_with_room(struct hk_heap *h, uint32_t stride, int *source)
{
	if (has_room(h->arena, stride))
		return h->arena;
	*source = HK_SRC_OS;
	return arena_grow(h, stride);
}

/* Blocks from a stretch: before the arena would grow, reclaim (when due)
 * and look again. */
static unsigned carve_reclaimed(struct hk_heap *h, uint32_t stride, unsigned want, uintptr_t *first)
{
	unsigned n = carve_extent(h, stride, want, first);
	if (n || has_room(h->arena, stride) || !hk_reclaim_due(h))
		return n;
	hk_reclaim(h, HK_TIER_POOL);
	return carve_extent(h, stride, want, first);
}

struct hk_block *hk_pool_carve(struct hk_heap *h, unsigned cls, unsigned want, unsigned *got,
			       int *source)
{
	uint32_t stride = hk_class_stride[cls];
	*source = HK_SRC_EXISTING;
	uintptr_t first;
	struct hk_arena *a = NULL;
	unsigned n = carve_reclaimed(h, stride, want, &first);
	if (!n && !(a = arena_with_room(h, stride, source)))
		return NULL;
	if (a) {
		unsigned room = (unsigned)((a->end - a->carved) / stride);
		n = want < room ? want : room;
		first = a->carved;
	}
	for (unsigned i = 0; i < n; i++)
		write_header(first + (uintptr_t)i * stride, cls, 0);
	/* the free list links user pointers, just past each header */
	struct hk_block *list = hk_link_blocks(first + HK_POOL_HDR, stride, n);
	if (a) /* after the headers: a free checks them below carved */
		__atomic_store_n(&a->carved, first + (uintptr_t)n * stride, __ATOMIC_RELEASE);
	h->carved[cls] += n;
	*got = n;
	return list;
}

void *hk_pool_carve_aligned(struct hk_heap *h, unsigned cls, size_t align)
{
	uint32_t stride = hk_class_stride[cls];
	int source;
	struct hk_arena *a = arena_with_room(h, stride + (uint32_t)align, &source);
	if (!a)
		return NULL;
	/* room for stride + align guarantees the padded block fits */
	uintptr_t user = hk_align_up(a->carved + HK_POOL_HDR, align);
	if (user - HK_POOL_HDR > a->carved) /* the padding, walked over */
		write_header(a->carved, HK_POOL_GAP, user - HK_POOL_HDR - a->carved);
	write_header(user - HK_POOL_HDR, cls, 0);
	__atomic_store_n(&a->carved, user - HK_POOL_HDR + stride, __ATOMIC_RELEASE);
	h->carved[cls]++;
	((struct hk_block *)user)->key = 0;
	return (void *)user;
}

void hk_pool_prewarm(struct hk_heap *h)
{
	if (!hk_config.prewarm_on)
		return;
	for (unsigned i = 0; i < HK_POOL_CLASSES; i++) {
		unsigned cls = HK_TINY_CLASSES + i, left = hk_config.prewarm[i], got;
		int source;
		while (left) {
			struct hk_block *list = hk_pool_carve(h, cls, left, &got, &source);
			if (!list)
				return;
			hk_free_list_join(h, cls, list);
			left -= got;
		}
	}
}
