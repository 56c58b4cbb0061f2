"""Elementwise kernels rendered from an expression (see expr.py) over strided inputs."""
from __future__ import annotations

from .expr import Expr, render_body
from .kernel import Kernel, header, storage
from .view import LINEAR_ID, View, collapse, grid, offset_expr, render_coords

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


def elementwise_kernel(name: str, expr: Expr, inputs: list[tuple[View, str]], out: tuple[View, str]) -> Kernel:
    """One thread per element of ``out``: evaluates ``expr`` on the inputs seen through their views.

    ``inputs`` and ``out`` pair a view (already broadcast to the output's shape) with the WGSL
    storage type of its buffer.
    """
    out_view, out_type = out
    shape, views = collapse(out_view.shape, [v for v, _ in inputs] + [out_view])
    n = out_view.size
    lines = [header(out_type, *(t for _, t in inputs), expr.type)]
    for i, (_, t) in enumerate(inputs):
        lines.append(storage(i, f"in{i}", t))
    lines.append(storage(len(inputs), "out", out_type, write=True))
    body = [f"let idx = {LINEAR_ID.format(wg=WORKGROUP)};", f"if (idx >= {n}) {{ return; }}"]
    body += render_coords(shape, "idx")
    names = []
    for i, (v, t) in enumerate(zip(views, [t for _, t in inputs])):
        body.append(f"let v{i} = {load_text(f'in{i}', offset_expr(v), t, value_type(t))};")
        names.append(f"v{i}")
    lets, value = render_body(expr, names)
    body += lets
    body.append(f"out[{offset_expr(views[-1])}] = {store_value(value, expr.type, out_type)};")
    lines.append(f"@compute @workgroup_size({WORKGROUP})")
    lines.append("fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {")
    lines += ["    " + b for b in body]
    lines.append("}")
    return Kernel(name, "\n".join(lines), grid(n, WORKGROUP), len(inputs))

