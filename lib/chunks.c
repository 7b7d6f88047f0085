/* chunks.c — cached spans before fresh chunks (see chunks.h). */
#include "chunks.h"
#include "large.h"
#include "region.h"
#include "segment.h"

void *hk_chunks_take(size_t size, enum hk_purpose purpose)
{
	void *p = hk_large_lend(size);
	return p ? p : hk_region_take(size, HK_CHUNK, purpose);
}
