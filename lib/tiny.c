/* tiny.c — superslabs and slab carving for the Tiny tier (see tiny.h). */
#include "block.h"
#include "os.h"
#include "chunks.h"
#include "tiny.h"

/* Superslabs are taken four at a time: a thread that needs several takes the
 * region lock once. */
#define RESERVE_CHUNKS 4

static int reserve_chunks(struct hk_heap *h)
{
	size_t len = RESERVE_CHUNKS * HK_CHUNK;
	void *base = hk_chunks_take(len, HK_PURPOSE_SUPERSLAB);
	if (!base)
		return -1;
	h->ss_reserve = (uintptr_t)base;
	h->ss_reserve_end = (uintptr_t)base + len;
	return 0;
}

static struct hk_superslab *superslab_new(struct hk_heap *h)
{
	if (h->ss_reserve == h->ss_reserve_end && reserve_chunks(h) != 0)
		return NULL;
	struct hk_superslab *ss = (struct hk_superslab *)h->ss_reserve;
	if (hk_segment_init(ss, HK_CHUNK, HK_SEG_TINY, h) != 0)
		return NULL;
	h->ss_reserve += HK_CHUNK;
	ss->next_slab = 1; /* slab 0 holds this header */
	ss->next = h->superslab;
	h->superslab = ss;
	return ss;
}

static struct hk_slab_meta *slab_assign(struct hk_heap *h, unsigned cls, int *source)
{
	struct hk_superslab *ss = h->superslab;
	if (!ss || ss->next_slab == HK_SLABS_PER_SUPERSLAB) {
		ss = superslab_new(h);
		if (!ss)
			return NULL;
		*source = HK_SRC_OS;
	}
	struct hk_slab_meta *m = &ss->slabs[ss->next_slab++];
	uint32_t stride = hk_class_stride[cls];
	m->stride = (uint16_t)stride;
	m->multiple = UINT64_MAX / stride + 1;
	m->cls = (uint16_t)cls;
	h->slab[cls] = m;
	return m;
}

static uintptr_t slab_base(const struct hk_slab_meta *m)
{
	uintptr_t ss = (uintptr_t)m & ~(HK_CHUNK - 1);
	const struct hk_superslab *s = (const struct hk_superslab *)ss;
	return ss + ((uintptr_t)(m - s->slabs) << HK_SLAB_SHIFT);
}

struct hk_block *hk_tiny_carve(struct hk_heap *h, unsigned cls, unsigned want, unsigned *got,
			       int *source)
{
	*source = HK_SRC_EXISTING;
	struct hk_slab_meta *m = h->slab[cls];
	if (!m || m->carved + m->stride > HK_SLAB_SIZE) {
		m = slab_assign(h, cls, source);
		if (!m)
			return NULL;
	}
	unsigned left = (HK_SLAB_SIZE - m->carved) / m->stride;
	unsigned n = want < left ? want : left;
	struct hk_block *list = hk_link_blocks(slab_base(m) + m->carved, m->stride, n);
	__atomic_store_n(&m->carved, m->carved + n * m->stride, __ATOMIC_RELEASE);
	h->carved[cls] += n;
	*got = n;
	return list;
}
