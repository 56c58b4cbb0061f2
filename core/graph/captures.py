"""Where a plan's captured tensors (parameters, optimizer state) live, shared by both lowerings.

A single-kernel plan packs its captures into one buffer, its arena (``ArenaBuffer``), and the
tensors become views of it; a normal plan that updates captures in place needs each in a buffer of
its own (one dispatch cannot bind a buffer both read-only and writable), so it calls
``leave_arena`` first. A plan finds a capture re-laid-out since lowering and raises ``StalePlan``:
the function is traced again.
"""
from __future__ import annotations

from ..devices.gpu import PooledBuffer


class StalePlan(Exception):
    """A captured tensor changed layout since lowering: the function must be traced again."""


class ArenaBuffer(PooledBuffer):
    """The arena of a single-kernel plan: captured tensors that live there are views of it."""
    __slots__ = ()


def leave_arena(t, device) -> None:
    """Give tensor ``t`` its own buffer again if it lives in an arena."""
    if isinstance(t.data.buffer, ArenaBuffer) and t.device is device:
        t.data = device.contiguous(t.data)
