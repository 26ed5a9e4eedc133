"""A binary min-heap in two preallocated arrays (keys, and the node each key belongs to), for the
compiled shortest-path loops of the optimisers (the A* evader, the min-cost search's detours).

The helpers are inlined where they are called (``inline="always"``); the arrays are changed in place
and the new size is returned. Ties: a key moves past another only when strictly smaller, so equal
keys leave in the order these rules give, the same on every run.
"""

from __future__ import annotations

from numba import njit

from .. import _jit  # noqa: F401 - numba's cache folder, before the kernels compile

__all__ = ["heap_pop", "heap_push"]


@njit(cache=True, inline="always")
def heap_push(key, node, size, k, v):  # pragma: no cover - compiled
    """Add ``(k, v)`` to the heap of ``size`` entries; returns the new size. The arrays need room."""
    i = size
    while i > 0:
        par = (i - 1) // 2
        if key[par] <= k:
            break
        key[i] = key[par]
        node[i] = node[par]
        i = par
    key[i] = k
    node[i] = v
    return size + 1


@njit(cache=True, inline="always")
def heap_pop(key, node, size):  # pragma: no cover - compiled
    """Remove the root of the heap of ``size >= 1`` entries; returns ``(its key, its node, the new size)``."""
    top_k = key[0]
    top_v = node[0]
    size -= 1
    if size > 0:  # move the last entry to the root and sift it down
        lk = key[size]
        lv = node[size]
        i = 0
        while True:
            c = 2 * i + 1
            if c >= size:
                break
            if c + 1 < size and key[c + 1] < key[c]:
                c += 1
            if key[c] >= lk:
                break
            key[i] = key[c]
            node[i] = node[c]
            i = c
        key[i] = lk
        node[i] = lv
    return top_k, top_v, size
