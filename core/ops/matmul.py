"""Batched matrix multiply with NumPy's batch broadcasting: (..., M, K) @ (..., K, N)."""
from __future__ import annotations

from math import prod

from webgpu_kernels.loop import Form
from webgpu_kernels.matmul import VARIANTS, MatmulLoop, matmul_launches

from ..dtypes import promote
from .registry import Meta, Op, ShapeError, broadcast_shapes, fmt, register
from .registry import numpy as _np


def _infer(a: Meta, b: Meta, **_):
    if len(a.shape) < 2 or len(b.shape) < 2:
        raise ShapeError(f"matmul: needs tensors of rank >= 2, got {fmt(a.shape)} @ {fmt(b.shape)} "
                         f"(Tensor.__matmul__ promotes vectors)")
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"matmul: {fmt(a.shape)} @ {fmt(b.shape)}: inner dimensions {a.shape[-1]} and "
                         f"{b.shape[-2]} differ")
    if a.dtype.kind == "b" or b.dtype.kind == "b" or a.dtype != b.dtype:
        raise ShapeError(f"matmul: needs two float tensors of one dtype, got {a.dtype.name} and {b.dtype.name}")
    batch = broadcast_shapes("matmul", a.shape[:-2], b.shape[:-2])
    return Meta(batch + (a.shape[-2], b.shape[-1]), promote(a.dtype, b.dtype))


def _kernel(ins, out: Meta, variant="blocked", epilogue=None):
    (a, dtype), (b, _) = ins
    batch = out.shape[:-2]
    return matmul_launches(a.expand(batch + a.shape[-2:]), b.expand(batch + b.shape[-2:]), dtype.wgsl, variant,
                           epilogue)


def _loop(ins, out: Meta):
    a, b = ins
    batch = out.shape[:-2]
    return Form(MatmulLoop, (a.expand(batch + a.shape[-2:]), b.expand(batch + b.shape[-2:])), {},
                work=prod(out.shape) * a.shape[-1])


# Below this many multiply-adds a matmul runs the one-thread-per-output kernel: its time is then
# its compile, and SwiftShader compiles the blocked and tiled kernels (5 KB of unrolled loads) in
# 0.7-1.8 s each, the naive one in about 30 ms.
SMALL = 1 << 15


def _variant_for(input_shapes, out_shape) -> str | None:
    *_, m, k = input_shapes[0]
    batch = 1
    for d in out_shape[:-2]:
        batch *= d
    return "naive" if batch * m * k * out_shape[-1] <= SMALL else None


def _grad(g, out, a, b):
    return (g @ b.transpose(-1, -2), a.transpose(-1, -2) @ g)


def _sample(rng):
    m, k, n = (int(d) for d in rng.integers(1, 40, size=3))
    batch = [tuple(int(d) for d in rng.integers(1, 4, size=int(rng.integers(0, 3))))]
    bb = batch[0][int(rng.integers(0, len(batch[0]) + 1)):] if batch[0] else ()
    if rng.random() < 0.3 and bb:
        bb = (1,) + bb[1:]
    return [rng.uniform(-1, 1, size=batch[0] + (m, k)).astype("float32"),
            rng.uniform(-1, 1, size=bb + (k, n)).astype("float32")], {}


register(Op("matmul", _infer, lambda a, b: _np().matmul(a, b), grad=_grad, kernel=_kernel, loop=_loop,
                     strided=True, variants=VARIANTS, variant_for=_variant_for, stand_in="naive",
                     sample=_sample))
