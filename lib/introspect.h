/*
 * introspect.h — what introspect.c offers the rest of the library (its
 * public side, hakmem_flush and the rest, is in include/hakmem.h).
 */
#ifndef HK_INTROSPECT_H
#define HK_INTROSPECT_H

/* What malloc_trim does: this heap reclaims, the others are asked to, and
 * what waits in the chunks, runs and span cache goes back; all: the large
 * tier's budget too (hakmem_flush keeps it). */
void hk_flush(int all);

#endif
