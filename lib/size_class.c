/* size_class.c — the class table and its lookup index. */
#include "size_class.h"

uint8_t hk_class_of16[HK_POOL_MAX / 16 + 1];
const uint32_t hk_class_size[HK_CLASSES] = {
	/* tiny: 16-byte steps to 128, four steps per power of two to 512, then
	 * eight: the biggest blocks set how many lines a working set spans, and
	 * each tiny class added costs its own slab and remote batch */
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512,
	576, 640, 704, 768, 832, 896, 960, 1024,
	/* pool: four steps per power of two from 1 KiB, 52 KiB last */
	1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336,
	16384, 20480, 24576, 28672, 32768, 40960, 49152, 53248,
};
uint32_t hk_class_stride[HK_CLASSES];

void hk_size_class_init(void)
{
	unsigned cls = 0;
	for (unsigned i = 0; i <= HK_POOL_MAX / 16; i++) {
		while (hk_class_size[cls] < i * 16)
			cls++;
		hk_class_of16[i] = (uint8_t)cls;
	}
	for (unsigned c = 0; c < HK_CLASSES; c++)
		hk_class_stride[c] = hk_class_size[c] + (c < HK_TINY_CLASSES ? 0 : HK_POOL_HDR);
}

int hk_tiny_class_aligned(size_t n, size_t align)
{
	for (unsigned c = 0; c < HK_TINY_CLASSES; c++)
		if (hk_class_size[c] >= n && hk_class_stride[c] % align == 0)
			return (int)c;
	return -1;
}
