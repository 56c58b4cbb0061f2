"""Reductions (sum, max, min, argmax) over any axes of a strided input, or of an elementwise
expression of several inputs (graph mode's prologue: ``(pred - y).square().sum()`` reads pred and
y, never a squared-error tensor)."""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .elementwise import GENERIC_MAX, load_text, value_type
from .epilogue import Epilogue, n_bindings, render_store, tail_args
from .expr import Expr, is_nan, load, render_body
from .kernel import INF, Kernel, Launch, header, storage, template
from .loop import VEC, Emit, Loc, Loop, LoopEpilogue, epilogue_width, finish, read4
from .view import BAKED, Sizes, View, collapse, grid, offset_expr, render_coords, workgroup_size

_F32_INF = INF
_INIT = {
    ("sum", "f32"): "0.0", ("sum", "i32"): "0",
    ("max", "f32"): "-" + _F32_INF, ("max", "i32"): "i32(-2147483647 - 1)",
    ("min", "f32"): _F32_INF, ("min", "i32"): "2147483647",
    ("argmax", "f32"): "-" + _F32_INF, ("argmax", "i32"): "i32(-2147483647 - 1)",
}
_NAN = is_nan("v")
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



# ---- the single-kernel form: a loop over outputs inside a step's kernel (see loop.py) ----

def _loop_parts(u: ReduceLoop):
    x = u.x.view
    outer_shape, inner_shape = x.shape[:u.n_kept], x.shape[u.n_kept:]
    outer, [ov] = collapse(outer_shape, [View(outer_shape, x.strides[:u.n_kept], x.offset)])
    inner, [iv] = collapse(inner_shape, [View(inner_shape, x.strides[u.n_kept:], 0)])
    return outer_shape, inner_shape, outer, ov, inner, iv


def _loop_width(u: ReduceLoop) -> int:
    outer_shape, _, outer, *_ = _loop_parts(u)
    if u.kind == "argmax" or not outer or outer[-1] % 4:
        return 1
    return epilogue_width(u)


def _render_loop(u: ReduceLoop, em: Emit, rotate: int) -> list[str]:
    """One output per element of the loop (four neighbouring outputs, read as vec4s where the
    layout allows, when the kept axes end in a multiple of 4)."""
    outer_shape, inner_shape, outer, ov, inner, iv = _loop_parts(u)
    acc = _acc_type(u.x.type if u.x.type != "bool" else "i32")
    width = _loop_width(u)
    offset = f"base + {offset_expr(iv, 'q')}"
    if width == 1:
        read = em.read(u.x, offset)
        if u.x.type == "bool":
            read = f"select(0, 1, {read})"
        init, update = _INIT[u.kind, acc], _UPDATE[u.kind, acc]
        result = "arg" if u.kind == "argmax" else ("acc" if u.out_type == acc else f"{u.out_type}(acc)")
        flat, lead, n = "e", [], prod(outer_shape)
    else:
        # Read as a view whose last axis is the last kept one, so four outputs are four lanes.
        v = View(tuple(outer[:-1]) + tuple(inner) + (outer[-1],),
                 tuple(ov.strides[:-1]) + tuple(iv.strides) + (ov.strides[-1],), ov.offset)
        read = read4(em, u.x, v, offset)
        if u.x.type == "bool":
            read = f"select(vec4<i32>(0), vec4<i32>(1), {read})"
        init = f"{VEC[acc]}({_INIT[u.kind, acc]})"
        nan = is_nan("v", 4)
        update = {("sum", "f32"): "acc = acc + v;", ("sum", "i32"): "acc = acc + v;",
                  ("max", "f32"): f"acc = select(acc, v, (v > acc) | {nan});",
                  ("min", "f32"): f"acc = select(acc, v, (v < acc) | {nan});",
                  ("max", "i32"): "acc = max(acc, v);", ("min", "i32"): "acc = min(acc, v);"}[u.kind, acc]
        result = "acc" if u.out_type == acc else f"{VEC[u.out_type]}(acc)"
        flat, lead, n = "f", ["let f = e * 4;"], prod(outer_shape) // 4
    body = lead + render_coords(outer, flat, "p") + [
        f"let base = {offset_expr(ov, 'p')};", f"var acc = {init};", "var arg = 0;",
        f"for (var j = 0; j < {prod(inner_shape)}; j++) {{",
        *("    " + ln for ln in render_coords(inner, "j", "q")),
        f"    let v = {read};", f"    {update}", "}"]
    body += finish(u, em, result, flat, width)
    return em.loop(n, rotate, body)


@dataclass
class ReduceLoop(Loop):
    """``kind`` (sum, max, min, argmax) over the trailing axes of ``x`` after its first ``n_kept``."""
    x: Loc
    kind: str
    n_kept: int
    out_type: str
    outputs: list
    epilogue: LoopEpilogue | None = None
    name: str = "reduce"

    def elements(self) -> int:
        return prod(self.x.view.shape[:self.n_kept])

    def trips(self, em: Emit) -> int:
        return em.trips(self.elements() // _loop_width(self), prod(self.x.view.shape[self.n_kept:]))

    render = _render_loop
