"""Batched matmul over strided inputs: (..., M, K) @ (..., K, N) -> contiguous (..., M, N).

Three variants of one contract (see the .wgsl files): ``naive`` (the baseline for benchmarks),
``blocked`` (registers only) and ``tiled`` (workgroup memory). The device measures blocked and
tiled once per adapter and keeps the faster.
"""
from __future__ import annotations

from math import prod

from .kernel import Kernel, Launch, header, template
from .view import View, offset_expr, render_coords

VARIANTS = ("blocked", "tiled")
_OUTPUTS_PER_GROUP = {"naive": (8, 8), "blocked": (32, 32), "tiled": (64, 64)}


def matmul_launches(a: View, b: View, type: str, variant: str = "blocked") -> list[Launch]:
    """``a`` and ``b`` are already broadcast to the output's batch shape (stride 0 where shared)."""
    *batch, m, k = a.shape
    n = b.shape[-1]
    nb = len(batch)
    if nb:
        batch_lines = render_coords(tuple(batch), "z", "bz")
        a_base = offset_expr(View(tuple(batch), a.strides[:nb], a.offset), "bz")
        b_base = offset_expr(View(tuple(batch), b.strides[:nb], b.offset), "bz")
    else:
        batch_lines, a_base, b_base = [], str(a.offset), str(b.offset)
    batch_text = "\n    ".join(batch_lines + [f"let a_base = {a_base};", f"let b_base = {b_base};"])
    src = template(f"matmul_{variant}.wgsl", HEADER=header(type), T=type, M=m, N=n, K=k,
                   SAM=a.strides[-2], SAK=a.strides[-1], SBK=b.strides[-2], SBN=b.strides[-1], BATCH=batch_text)
    rows, cols = _OUTPUTS_PER_GROUP[variant]
    groups = (-(-n // cols), -(-m // rows), max(1, prod(batch)))
    return [Launch(Kernel(f"matmul_{variant}", src, groups, 2), ["in0", "in1", "out0"])]
