"""Reductions (sum, max, min, argmax) over any axes of a strided input."""
from __future__ import annotations

from math import prod

from .epilogue import Epilogue, n_bindings, render_store, tail_args
from .kernel import INF, Kernel, Launch, header, template
from .view import View, collapse, grid, offset_expr, render_coords

_F32_INF = INF
_INIT = {
    ("sum", "f32"): "0.0", ("sum", "i32"): "0",
    ("max", "f32"): "-" + _F32_INF, ("max", "i32"): "i32(-2147483647 - 1)",
    ("min", "f32"): _F32_INF, ("min", "i32"): "2147483647",
    ("argmax", "f32"): "-" + _F32_INF, ("argmax", "i32"): "i32(-2147483647 - 1)",
}
_NAN = "((bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u)"   # by bits: WGSL may fold `v != v` to false
_UPDATE = {
    ("sum", "f32"): "acc = acc + v;",
    # A NaN, once seen, stays: NumPy's max and min propagate NaN.
    ("max", "f32"): f"if (v > acc || {_NAN}) {{ acc = v; }}",
    ("min", "f32"): f"if (v < acc || {_NAN}) {{ acc = v; }}",
    ("argmax", "f32"): f"if (v > acc || ({_NAN} && !{_NAN.replace('v)', 'acc)')})) {{ acc = v; arg = j; }}",
}
_UPDATE.update({("sum", "i32"): "acc = acc + v;", ("max", "i32"): "acc = max(acc, v);",
                ("min", "i32"): "acc = min(acc, v);", ("argmax", "i32"): "if (v > acc) { acc = v; arg = j; }"})
SPLIT_AT = 2048     # reductions longer than this, into few outputs, run in two launches
CHUNK = 512


def _acc_type(in_type: str) -> str:
    return "f32" if in_type in ("f32", "f16") else "i32"


def _kernel(kind, x: View, in_type, out_type, n_kept, chunks, epilogue: Epilogue | None = None) -> Kernel:
    outer_shape, inner_shape = x.shape[:n_kept], x.shape[n_kept:]
    (outer, [ov]) = collapse(outer_shape, [View(outer_shape, x.strides[:n_kept], x.offset)])
    (inner, [iv]) = collapse(inner_shape, [View(inner_shape, x.strides[n_kept:], 0)])
    n_out, n_in = prod(outer_shape), prod(inner_shape)
    chunk = -(-n_in // chunks)
    acc = _acc_type(in_type)
    result = "arg" if kind == "argmax" else ("acc" if out_type == acc else f"{out_type}(acc)")
    extra = [t for _, t in epilogue.inputs + epilogue.outputs] if epilogue else []
    src = template(
        "reduce.wgsl", HEADER=header(in_type, out_type, *extra), IN_T=in_type, ACC_T=acc,
        STORE=render_store(1, out_type, out_type, outer_shape, epilogue),
        THREADS=n_out * chunks, CHUNKS=chunks, CHUNK=chunk, INNER=n_in,
        OUTER_COORDS="\n    ".join(render_coords(outer, "o", "p")), BASE=offset_expr(ov, "p"),
        INNER_COORDS="\n        ".join(render_coords(inner, "j", "q")), INNER_OFFSET=offset_expr(iv, "q"),
        INIT=_INIT[kind, acc], UPDATE=_UPDATE[kind, acc], RESULT=result)
    return Kernel(kind + ("_fused" if epilogue else ""), src, grid(n_out * chunks, 64), 1, n_bindings(epilogue))


def reduce_launches(kind: str, x: View, in_type: str, axes: tuple[int, ...], out_type: str,
                    epilogue: Epilogue | None = None) -> list[Launch]:
    """Launches that reduce ``x`` over ``axes`` into a contiguous output (kept axes in order).

    With an ``epilogue``, the last launch writes the epilogue's outputs ('out0', 'out1', ...) and
    reads its extra inputs ('in1', 'in2', ...) instead of writing the reduction itself.
    """
    kept = [i for i in range(len(x.shape)) if i not in axes]
    v = x.permute(kept + list(axes))
    n_out, n_in = prod(v.shape[:len(kept)]), prod(v.shape[len(kept):])
    tail = tail_args(epilogue, 1)
    if kind == "argmax" or n_in < SPLIT_AT or n_out >= 256:
        return [Launch(_kernel(kind, v, in_type, out_type, len(kept), 1, epilogue), ["in0"] + tail)]
    chunks = -(-n_in // CHUNK)
    acc = _acc_type(in_type)
    first = _kernel(kind, v, in_type, acc, len(kept), chunks)
    second = _kernel(kind, View.contiguous((n_out, chunks)), acc, out_type, 1, 1, epilogue)
    return [Launch(first, ["in0", "partial"], {"partial": 4 * n_out * chunks}),
            Launch(second, ["partial"] + tail)]

