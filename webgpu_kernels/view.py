"""Strided views of a flat buffer, and the WGSL that turns a position into an element offset.

A view is (shape, strides, offset) in elements: transpose, expand, slice and reshape of a
contiguous tensor are views of the same buffer, so they cost no kernel. Kernels read their
inputs through views; the index math is baked into the shader as constants, or, for a
shape-generic kernel, read from its ``dims`` uniform (see ``Sizes``).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache
from math import prod


@dataclass(frozen=True)
class View:
    shape: tuple[int, ...]
    strides: tuple[int, ...]
    offset: int = 0

    @staticmethod
    @lru_cache(maxsize=4096)
    def contiguous(shape) -> "View":
        shape = tuple(shape)
        strides, s = [], 1
        for d in reversed(shape):
            strides.append(s if d != 1 else 0)
            s *= d
        return View(shape, tuple(reversed(strides)), 0)

    @property
    def size(self) -> int:
        return prod(self.shape)

    @property
    def is_contiguous(self) -> bool:
        return all(a == b or d == 1 for a, b, d in zip(self.strides, View.contiguous(self.shape).strides, self.shape))

    def permute(self, order) -> "View":
        return View(tuple(self.shape[i] for i in order), tuple(self.strides[i] for i in order), self.offset)

    def expand(self, shape) -> "View":
        """Broadcast to ``shape`` (NumPy rules): new leading axes and size-1 axes get stride 0."""
        shape = tuple(shape)
        lead = len(shape) - len(self.shape)
        strides = [0] * lead + [0 if s == 1 and n != 1 else st
                                for s, n, st in zip(self.shape, shape[lead:], self.strides)]
        return View(shape, tuple(strides), self.offset)

    def slice(self, starts, stops, steps) -> "View":
        offset = self.offset + sum(b * st for b, st in zip(starts, self.strides))
        shape = tuple(max(0, -(-(e - b) // s)) for b, e, s in zip(starts, stops, steps))
        return View(shape, tuple(st * s for st, s in zip(self.strides, steps)), offset)

    def reshape(self, shape) -> "View | None":
        """The same elements under a new shape without copying, or None when a copy is needed."""
        shape = tuple(shape)
        if self.is_contiguous:
            v = View.contiguous(shape)
            return View(v.shape, v.strides, self.offset)
        # Adding or removing size-1 axes keeps a strided view; anything else copies.
        old = [(d, st) for d, st in zip(self.shape, self.strides) if d != 1]
        if [d for d in shape if d != 1] != [d for d, _ in old]:
            return None
        kept = iter(st for _, st in old)
        return View(shape, tuple(0 if d == 1 else next(kept) for d in shape), self.offset)


def collapse(shape, views: list[View], sizes: "Sizes | None" = None) -> tuple[tuple[int, ...], list[View]]:
    """Merge neighbouring axes that every view walks as one, and drop size-1 axes.

    Fewer axes means less index math in the kernel: a contiguous op becomes rank 1, a bias
    broadcast over rows rank 2. A shape-generic kernel (``sizes.generic``) keeps every axis:
    which axes merge depends on the sizes, and its source must not.
    """
    if sizes is not None and sizes.generic:
        return tuple(shape), list(views)
    keep = [i for i, d in enumerate(shape) if d != 1]
    dims = [shape[i] for i in keep]
    strides = [[v.strides[i] for i in keep] for v in views]
    i = len(dims) - 1
    while i > 0:
        if all(st[i - 1] == st[i] * dims[i] for st in strides):
            dims[i - 1] *= dims[i]
            del dims[i]
            for st in strides:
                st[i - 1] = st[i]
                del st[i]
        i -= 1
    return tuple(dims), [View(tuple(dims), tuple(st), v.offset) for v, st in zip(views, strides)]


@dataclass
class Sizes:
    """How a kernel's source spells its sizes, strides and offsets: as literals (baked, the
    default: the compiler folds them), or, ``generic``, as reads of a small uniform ``dims`` that
    the launch fills in, so one source, and so one pipeline, serves every shape of the same
    structure (a new layer width compiles nothing; TF.js's WebGPU programs keep shapes in
    uniforms the same way). Generic, every size, stride and offset is read, 0 and 1 too (a layer
    of width 1 has strides of 0 where a wider one has 1), and no axes merge (see ``collapse``): the
    source depends on ranks, types and the expression only.

        >>> sizes = Sizes(generic=True)
        >>> sizes(10), sizes(3), sizes.args, sizes.consts["dims"][:8] == struct.pack("<2i", 10, 3)
        ('dims[0].x', 'dims[0].y', ['dims'], True)
        >>> Sizes()(10), Sizes().args
        ('10', [])
    """
    generic: bool = False
    values: list[int] = field(default_factory=list)

    def __call__(self, value: int) -> str:
        if not self.generic:
            return str(value)
        k = len(self.values)
        self.values.append(int(value))
        return f"dims[{k // 4}].{'xyzw'[k % 4]}"

    def declaration(self, binding: int) -> str:
        """The ``dims`` uniform at ``binding`` (nothing when baked); call it after the last size."""
        if not self.generic:
            return ""
        return f"@group(0) @binding({binding}) var<uniform> dims: array<vec4<i32>, {max(1, -(-len(self.values) // 4))}>;"

    @property
    def args(self) -> list[str]:
        """The launch argument naming the ``dims`` buffer, if any."""
        return ["dims"] if self.generic else []

    @property
    def consts(self) -> dict[str, bytes]:
        """The contents of ``dims`` for this launch (whole vec4s, as the uniform declares)."""
        if not self.generic:
            return {}
        words = self.values + [0] * (max(1, -(-len(self.values) // 4)) * 4 - len(self.values))
        return {"dims": struct.pack(f"<{len(words)}i", *words)}


BAKED = Sizes()


def render_coords(shape, pos: str, prefix: str = "c", sizes: Sizes = BAKED) -> list[str]:
    """WGSL lines that split the flat row-major position ``pos`` into coordinates c0, c1, ..."""
    if len(shape) <= 1:
        return [f"let {prefix}0 = {pos};"] if shape else []
    lines = [f"var {prefix}_rest = {pos};"]
    for d in range(len(shape) - 1, 0, -1):
        n = sizes(shape[d])
        lines.append(f"let {prefix}{d} = {prefix}_rest % {n}; {prefix}_rest = {prefix}_rest / {n};")
    lines.append(f"let {prefix}0 = {prefix}_rest;")
    return lines


def offset_expr(view: View, prefix: str = "c", sizes: Sizes = BAKED) -> str:
    """The element offset of ``view`` at coordinates named by ``render_coords``."""
    if sizes.generic:
        return " + ".join([sizes(view.offset)] + [f"{prefix}{d} * {sizes(st)}" for d, st in enumerate(view.strides)])
    terms = [str(view.offset)] if view.offset else []
    for d, st in enumerate(view.strides):
        if st == 1:
            terms.append(f"{prefix}{d}")
        elif st:
            terms.append(f"{prefix}{d} * {st}")
    return " + ".join(terms) or "0"


def workgroup_size(n_threads: int, largest: int) -> int:
    """``largest``, or the power of two (at least 4) that covers fewer threads: CPU adapters run a
    workgroup's idle invocations too (SwiftShader walks the kernel with their SIMD lanes masked), so a
    kernel of 8 threads in a workgroup of 64 pays for 64."""
    return min(largest, max(4, 1 << (n_threads - 1).bit_length()))


def grid(n_threads: int, workgroup: int, max_per_dim: int = 65535) -> tuple[int, int, int]:
    """Workgroup counts covering ``n_threads`` (a second dimension past the per-dimension limit)."""
    groups = max(1, -(-n_threads // workgroup))
    if groups <= max_per_dim:
        return (groups, 1, 1)
    return (max_per_dim, -(-groups // max_per_dim), 1)


# The flat index of this thread when ``grid`` spread the workgroups over x and y (see above).
LINEAR_ID = "i32(gid.x + gid.y * nwg.x * {wg}u)"
