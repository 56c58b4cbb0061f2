"""Memory shared by liveness: temporaries whose lifetimes do not overlap share storage.

Both lowerings plan with ``share``: the plan (lower.py) gives each temporary a buffer from the
device's pool (``PooledBuffers``), the single-kernel step (single_kernel/analysis.py) an offset in
its arena (``Offsets``). A lifetime is (first write, last read), counted in launches for the plan
and in phases for the single kernel:

    >>> share({"a": (0, 1), "b": (1, 2), "c": (2, 3)}, lambda t: 4, Offsets(0))
    {'a': 0, 'b': 4, 'c': 0}
"""
from __future__ import annotations

from ..devices.gpu import BufferPool


def share(spans: dict, size, memory) -> dict:
    """Where each temporary of ``spans`` (temporary -> (first write, last read), in order of first
    write) lives: ``memory.take(size(t))`` once every temporary last read before its first write has
    given its room back."""
    live, placed = [], {}
    for t, (first, last) in spans.items():
        for item in [x for x in live if x[1] < first]:
            live.remove(item)
            memory.give(placed[item[0]], size(item[0]))
        placed[t] = memory.take(size(t))
        live.append((t, last))
    return placed


class Offsets:
    """Room in one buffer from element ``base`` on: first fit over the blocks given back, else the end."""

    def __init__(self, base: int):
        self.end, self.free = base, []

    def take(self, size: int) -> int:
        self.free.sort()
        for i, (offset, room) in enumerate(self.free):
            if room >= size:
                self.free[i] = (offset + size, room - size)
                return offset
        offset, self.end = self.end, self.end + size
        return offset

    def give(self, offset: int, size: int) -> None:
        self.free.append((offset, size))


class PooledBuffers:
    """Whole buffers from ``pool``, reused within a size class; ``buffers`` are those allocated."""

    def __init__(self, pool):
        self.pool, self.free, self.buffers = pool, {}, []

    def take(self, nbytes: int):
        spare = self.free.get(BufferPool.size_class(nbytes))
        if spare:
            return spare.pop()
        buf = self.pool.alloc(nbytes)
        self.buffers.append(buf)
        return buf

    def give(self, buf, nbytes: int) -> None:
        self.free.setdefault(BufferPool.size_class(nbytes), []).append(buf)
