"""Elementwise kernels rendered from an expression (see expr.py) over strided inputs, and their
shape-generic form for the common eager case (inputs read whole, or one element broadcast)."""
from __future__ import annotations

import struct

from .expr import Expr, render_body
from .kernel import Kernel, Launch, header, storage
from .view import LINEAR_ID, View, collapse, grid, offset_expr, render_coords, workgroup_size

WORKGROUP = 256


def load_text(buf: str, offset: str, stored: str, value: str) -> str:
    """Read one element; bool is stored as u32."""
    return f"({buf}[{offset}] != 0u)" if value == "bool" else f"{buf}[{offset}]"


def store_value(text: str, value: str, stored: str) -> str:
    if value == "bool":
        return f"select(0u, 1u, {text})"
    return text if value == stored else f"{stored}({text})"


def value_type(stored: str) -> str:
    return "bool" if stored == "u32" else stored


def _main(wg: int, body: list[str]) -> list[str]:
    """The entry point of a kernel of ``wg`` threads a workgroup whose thread index is LINEAR_ID."""
    return [f"@compute @workgroup_size({wg})",
            "fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {",
            *("    " + b for b in body), "}"]


def elementwise_kernel(name: str, expr: "Expr | list[Expr]", inputs: list[tuple[View, str]],
                       out: "tuple[View, str] | list[tuple[View, str]]", aliases: dict | None = None) -> Kernel:
    """One thread per output element: evaluates ``expr`` on the inputs seen through their views.

    ``inputs`` and ``out`` pair a view (already broadcast to the output's shape) with the WGSL
    storage type of its buffer. A fused kernel passes several expressions and as many outputs,
    all of one shape: subexpressions they share are computed once. ``aliases`` maps an input to
    the output that overwrites it in place (same buffer, same view): that input is read from the
    output's binding, since WebGPU cannot bind one buffer as read-only and writable at once.
    """
    aliases = aliases or {}
    exprs = [expr] if isinstance(expr, Expr) else list(expr)
    outs = [out] if isinstance(out, tuple) else list(out)
    shape, views = collapse(outs[0][0].shape, [v for v, _ in inputs] + [v for v, _ in outs])
    n = outs[0][0].size
    lines = [header(*(t for _, t in outs), *(t for _, t in inputs), *(e.type for e in exprs))]
    out_name = lambda k: f"out{k}" if len(outs) > 1 else "out"
    bound = [i for i in range(len(inputs)) if i not in aliases]
    for b, i in enumerate(bound):
        lines.append(storage(b, f"in{i}", inputs[i][1]))
    for k, (_, t) in enumerate(outs):
        lines.append(storage(len(bound) + k, out_name(k), t, write=True))
    wg = workgroup_size(n, WORKGROUP)
    body = [f"let idx = {LINEAR_ID.format(wg=wg)};", f"if (idx >= {n}) {{ return; }}"]
    body += render_coords(shape, "idx")
    names = []
    for i, (v, t) in enumerate(zip(views, [t for _, t in inputs])):
        buf = out_name(aliases[i]) if i in aliases else f"in{i}"
        body.append(f"let v{i} = {load_text(buf, offset_expr(v), t, value_type(t))};")
        names.append(f"v{i}")
    lets, values = render_body(exprs, names)
    body += lets
    for k, (value, e, (_, t), v) in enumerate(zip(values, exprs, outs, views[len(inputs):])):
        body.append(f"{out_name(k)}[{offset_expr(v)}] = {store_value(value, e.type, t)};")
    lines += _main(wg, body)
    return Kernel(name, "\n".join(lines), grid(n, wg), len(bound), len(outs))


def flat_launch(name: str, expr: Expr, inputs: list[tuple[View, str]], out_type: str) -> Launch | None:
    """``expr`` over inputs that are each read whole and in order (contiguous from element 0, the
    output's size) or are one element broadcast, as one launch whose kernel has no size in its
    source: the element count is a binding (``count``), so one pipeline serves every size and a
    new layer width compiles nothing. None when an input is read any other way.

        >>> from .expr import load
        >>> a = flat_launch("add", load(0, "f32") + load(1, "f32"), [(View.contiguous((3,)), "f32")] * 2, "f32")
        >>> b = flat_launch("add", load(0, "f32") + load(1, "f32"), [(View.contiguous((50,)), "f32")] * 2, "f32")
        >>> a.kernel.source == b.kernel.source, a.args
        (True, ['in0', 'in1', 'out0', 'count'])
    """
    n = inputs[0][0].size if inputs else 0
    reads = []
    for view, _ in inputs:
        if view.size == n and view.is_contiguous and view.offset == 0:
            reads.append("idx")
        elif all(s == 0 for s in view.strides):
            reads.append(str(view.offset))          # one element, broadcast
        else:
            return None
    if not inputs or n == 0:
        return None
    wg = 16 if n <= 16 else 64 if n <= 1024 else WORKGROUP   # a few sizes only: each is a pipeline
    lines = [header(out_type, *(t for _, t in inputs), expr.type)]
    lines += [storage(i, f"in{i}", t) for i, (_, t) in enumerate(inputs)]
    lines.append(storage(len(inputs), "out", out_type, write=True))
    lines.append(storage(len(inputs) + 1, "count", "u32"))
    body = [f"let idx = {LINEAR_ID.format(wg=wg)};", "if (idx >= i32(count[0])) { return; }"]
    for i, ((_, t), at) in enumerate(zip(inputs, reads)):
        body.append(f"let v{i} = {load_text(f'in{i}', at, t, value_type(t))};")
    lets, value = render_body(expr, [f"v{i}" for i in range(len(inputs))])
    body += lets + [f"out[idx] = {store_value(value, expr.type, out_type)};"]
    lines += _main(wg, body)
    kernel = Kernel(name, "\n".join(lines), grid(n, wg), len(inputs) + 1, 1)
    return Launch(kernel, [f"in{i}" for i in range(len(inputs))] + ["out0", "count"],
                  consts={"count": struct.pack("<I", n)})
