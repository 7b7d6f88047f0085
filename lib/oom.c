/* oom.c — the relief before ENOMEM (see oom.h). */
#include "introspect.h"
#include "oom.h"

int hk_oom_relieve(uint64_t mark)
{
	if (hk_os_refusals() == mark)
		return 0;
	hk_flush(1);
	return 1;
}
