#!/usr/bin/env python3
"""Regenerate the committed seed corpus of fuzz_alloc (tests/fuzz/corpus/).

Encoding (see fuzz_alloc.c): op byte (op % 8: 0 realloc, 1 reallocarray,
2 malloc, 3 calloc, 4 aligned, 5 free, 6-7 check), slot byte, then for sizes
a selector byte (sel % 4: 0 tiny, 1 pool, 2 large, 3 edge table) and two
little-endian value bytes; op 4 adds kind and log2(align/8) bytes first.
"""
import os
import random

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def size(sel, v):
    return bytes([sel, v & 255, (v >> 8) & 255])


def op(code, slot, *rest):
    return bytes([code, slot]) + b"".join(rest)


def seeds():
    r = random.Random(42)
    yield "tiny_churn", b"".join(op(2, i % 16, size(0, r.randrange(1025))) + op(5, (i * 7) % 16) for i in range(60))
    yield "pool_churn", b"".join(op(2, i % 12, size(1, r.randrange(65536))) + op(5, (i * 5) % 12) for i in range(40))
    yield "large", b"".join(op(2, i % 4, size(2, r.randrange(65536))) + op(5, i % 4) for i in range(12))
    yield "edges", b"".join(op(2, i, size(3, i)) for i in range(16)) + b"".join(op(5, i) for i in range(16))
    yield "realloc_grow", op(2, 0, size(0, 1)) + b"".join(op(0, 0, size(s, v)) for s, v in
                                                         [(0, 100), (0, 1024), (1, 10), (1, 40000), (2, 100), (2, 9000), (3, 15)])
    yield "realloc_shrink", op(2, 1, size(2, 20000)) + b"".join(op(0, 1, size(s, v)) for s, v in
                                                                [(1, 50000), (1, 100), (0, 1000), (0, 16), (3, 1), (3, 0)])
    yield "aligned", b"".join(op(4, i % 32, bytes([i % 3, i % 14]), size(i % 3, r.randrange(65536)))
                              for i in range(42)) + op(6, 0)
    yield "calloc_reuse", b"".join(op(2, i, size(i % 3, 3000)) for i in range(8)) + \
        b"".join(op(5, i) for i in range(8)) + b"".join(op(3, i, size(i % 3, 3000)) for i in range(8))
    yield "random_mix", bytes(r.randrange(256) for _ in range(600))
    yield "fill_all_slots", b"".join(op(2, i, size(i % 4, i * 997)) for i in range(64)) + \
        b"".join(op(7, i) for i in range(64))
    yield "reallocarray", op(3, 5, size(0, 10)) + b"".join(op(1, 5, size(s, v)) for s, v in
                                                          [(0, 900), (1, 3000), (3, 12), (2, 50), (0, 3)])
    yield "tier_hopping", b"".join(op(2 + (i & 1), 9, size(i % 3, 4097 * i)) for i in range(30))
    # edges 21-23: 2 MiB - 4 written and freed, 1.5 MiB cut from its span,
    # then calloc(4 MiB - 64) joining the two (f562bfd: 8 stale bytes)
    yield "span_cut_join", op(2, 0, size(3, 21)) + op(5, 0) + op(2, 1, size(3, 22)) + op(5, 1) + \
        op(3, 2, size(3, 23)) + op(5, 2)


def main():
    os.makedirs(HERE, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
