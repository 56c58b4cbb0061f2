"""Elementwise kernels rendered from an expression (see expr.py) over strided inputs."""
from __future__ import annotations

from .expr import Expr, render_body
from .kernel import Kernel, header, storage
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
    lines.append(f"@compute @workgroup_size({wg})")
    lines.append("fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {")
    lines += ["    " + b for b in body]
    lines.append("}")
    return Kernel(name, "\n".join(lines), grid(n, wg), len(bound), len(outs))
