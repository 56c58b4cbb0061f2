"""Reductions (sum, max, min, argmax) over any axes of a strided input, or of an elementwise
expression of several inputs (graph mode's prologue: ``(pred - y).square().sum()`` reads pred and
y, never a squared-error tensor)."""
from __future__ import annotations

from math import prod

from .elementwise import GENERIC_MAX, load_text, value_type
from .epilogue import Epilogue, n_bindings, render_store, tail_args
from .expr import Expr, load, render_body
from .kernel import INF, Kernel, Launch, header, storage, template
from .view import BAKED, Sizes, View, collapse, grid, offset_expr, render_coords, workgroup_size

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
WORKGROUP = 64
SPLIT_AT = 2048     # reductions longer than this, into few outputs, run in two launches
CHUNK = 512


def _acc_type(in_type: str) -> str:
    return "f32" if in_type in ("f32", "f16") else "i32"


def _kernel(kind, inputs, expr: Expr, out_type, n_kept, chunks, epilogue: Epilogue | None = None,
            sizes: Sizes = BAKED) -> Kernel:
    """``inputs``: (view, storage type) pairs of one shape, kept axes first; each element reduced is
    ``expr`` of the inputs' elements there. ``sizes`` spells the sizes (baked, or read from ``dims``)."""
    shape = inputs[0][0].shape
    outer_shape, inner_shape = shape[:n_kept], shape[n_kept:]
    outer, ovs = collapse(outer_shape, [View(outer_shape, v.strides[:n_kept], v.offset) for v, _ in inputs], sizes)
    inner, ivs = collapse(inner_shape, [View(inner_shape, v.strides[n_kept:], 0) for v, _ in inputs], sizes)
    n_out, n_in = prod(outer_shape), prod(inner_shape)
    chunk = -(-n_in // chunks)
    in_type = "i32" if expr.type in ("bool", "u32") else expr.type
    acc = _acc_type(in_type)
    result = "arg" if kind == "argmax" else ("acc" if out_type == acc else f"{out_type}(acc)")
    extra = [t for _, t in epilogue.inputs + epilogue.outputs] if epilogue else []
    counts = dict(THREADS=sizes(n_out * chunks), CHUNKS=sizes(chunks), CHUNK=sizes(chunk), INNER=sizes(n_in))
    outer_coords = render_coords(outer, "o", "p", sizes)
    bases = [f"let base{k} = {offset_expr(ov, 'p', sizes)};" for k, ov in enumerate(ovs)]
    inner_coords = render_coords(inner, "j", "q", sizes)
    loads = [f"let v{k} = {load_text(f'x{k}', f'base{k} + ' + offset_expr(iv, 'q', sizes), t, value_type(t))};"
             for k, ((_, t), iv) in enumerate(zip(inputs, ivs))]
    store = render_store(len(inputs), out_type, out_type, outer_shape, epilogue, sizes)
    store += "\n" + sizes.declaration(len(inputs) + n_bindings(epilogue))
    lets, (value,) = render_body([expr], [f"v{k}" for k in range(len(inputs))])
    wg = WORKGROUP if sizes.generic else workgroup_size(n_out * chunks, WORKGROUP)
    src = template(
        "reduce.wgsl", WG=wg, HEADER=header(in_type, out_type, expr.type, *(t for _, t in inputs), *extra),
        INPUTS="\n".join(storage(k, f"x{k}", t) for k, (_, t) in enumerate(inputs)), ACC_T=acc,
        STORE=store, **counts,
        OUTER_COORDS="\n    ".join(outer_coords), BASES="\n    ".join(bases),
        INNER_COORDS="\n        ".join(inner_coords),
        VALUE="\n        ".join(loads + lets + [f"let v = {acc}({value});"]),
        INIT=_INIT[kind, acc], UPDATE=_UPDATE[kind, acc], RESULT=result)
    name = kind + ("_of_expression" if len(inputs) > 1 or expr.op != "load" else "") + ("_fused" if epilogue else "")
    return Kernel(name, src, grid(n_out * chunks, wg), len(inputs), n_bindings(epilogue))


def _launch(kind, inputs, expr, out_type, n_kept, chunks, args, temps=None, epilogue=None) -> Launch:
    """One launch of ``_kernel``, shape-generic up to ``GENERIC_MAX`` elements read."""
    sizes = Sizes(generic=prod(inputs[0][0].shape) <= GENERIC_MAX)
    kernel = _kernel(kind, inputs, expr, out_type, n_kept, chunks, epilogue, sizes)
    return Launch(kernel, args + sizes.args, temps or {}, sizes.consts)


def reduce_launches(kind: str, inputs: list[tuple[View, str]], axes: tuple[int, ...], out_type: str,
                    epilogue: Epilogue | None = None, expr: Expr | None = None) -> list[Launch]:
    """Launches that reduce over ``axes`` into a contiguous output (kept axes in order): the one
    input's elements, or ``expr`` of several inputs' (views of one shape, storage types).

    With an ``epilogue``, the last launch writes the epilogue's outputs ('out0', 'out1', ...) and
    reads its extra inputs (named after the kernel's own: 'in1', ... for one input) instead of
    writing the reduction itself.
    """
    if expr is None:
        (_, t), = inputs
        expr = load(0, value_type(t))
    kept = [i for i in range(len(inputs[0][0].shape)) if i not in axes]
    views = [(v.permute(kept + list(axes)), t) for v, t in inputs]
    shape = views[0][0].shape
    n_out, n_in = prod(shape[:len(kept)]), prod(shape[len(kept):])
    own = [f"in{k}" for k in range(len(inputs))]
    tail = tail_args(epilogue, len(inputs))
    if kind == "argmax" or n_in < SPLIT_AT or n_out >= 256:
        return [_launch(kind, views, expr, out_type, len(kept), 1, own + tail, epilogue=epilogue)]
    chunks = -(-n_in // CHUNK)
    acc = _acc_type(expr.type)
    return [_launch(kind, views, expr, acc, len(kept), chunks, own + ["partial"], {"partial": 4 * n_out * chunks}),
            _launch(kind, [(View.contiguous((n_out, chunks)), acc)], load(0, acc), out_type, 1, 1, ["partial"] + tail,
                    epilogue=epilogue)]

