"""Elementwise kernels rendered from an expression (see expr.py) over strided inputs, with their
sizes baked into the source or, for small ones, read at run time (shape-generic: see view.Sizes)."""
from __future__ import annotations

from .expr import Expr, render_body
from .kernel import Kernel, Launch, header, storage
from .view import BAKED, LINEAR_ID, Sizes, View, collapse, grid, offset_expr, render_coords, workgroup_size

WORKGROUP = 256
GENERIC_MAX = 1 << 16     # elements up to which a kernel reads its sizes from `dims` (see Sizes)


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
                       out: "tuple[View, str] | list[tuple[View, str]]", aliases: dict | None = None,
                       sizes: Sizes = BAKED) -> Kernel:
    """One thread per output element: evaluates ``expr`` on the inputs seen through their views.

    ``inputs`` and ``out`` pair a view (already broadcast to the output's shape) with the WGSL
    storage type of its buffer. A fused kernel passes several expressions and as many outputs,
    all of one shape: subexpressions they share are computed once. ``aliases`` maps an input to
    the output that overwrites it in place (same buffer, same view): that input is read from the
    output's binding, since WebGPU cannot bind one buffer as read-only and writable at once.
    ``sizes`` says how the source spells the shape (baked, or read from ``dims``: see
    ``elementwise_launch``).
    """
    aliases = aliases or {}
    exprs = [expr] if isinstance(expr, Expr) else list(expr)
    outs = [out] if isinstance(out, tuple) else list(out)
    shape, views = collapse(outs[0][0].shape, [v for v, _ in inputs] + [v for v, _ in outs], sizes)
    n = outs[0][0].size
    lines = [header(*(t for _, t in outs), *(t for _, t in inputs), *(e.type for e in exprs))]
    out_name = lambda k: f"out{k}" if len(outs) > 1 else "out"
    bound = [i for i in range(len(inputs)) if i not in aliases]
    for b, i in enumerate(bound):
        lines.append(storage(b, f"in{i}", inputs[i][1]))
    for k, (_, t) in enumerate(outs):
        lines.append(storage(len(bound) + k, out_name(k), t, write=True))
    wg = (64 if n <= 4096 else WORKGROUP) if sizes.generic else workgroup_size(n, WORKGROUP)
    body = [f"let idx = {LINEAR_ID.format(wg=wg)};", f"if (idx >= {sizes(n)}) {{ return; }}"]
    body += render_coords(shape, "idx", sizes=sizes)
    names = []
    for i, (v, t) in enumerate(zip(views, [t for _, t in inputs])):
        buf = out_name(aliases[i]) if i in aliases else f"in{i}"
        body.append(f"let v{i} = {load_text(buf, offset_expr(v, sizes=sizes), t, value_type(t))};")
        names.append(f"v{i}")
    lets, values = render_body(exprs, names)
    body += lets
    for k, (value, e, (_, t), v) in enumerate(zip(values, exprs, outs, views[len(inputs):])):
        body.append(f"{out_name(k)}[{offset_expr(v, sizes=sizes)}] = {store_value(value, e.type, t)};")
    lines.append(sizes.declaration(len(bound) + len(outs)))
    lines += _main(wg, body)
    return Kernel(name, "\n".join(lines), grid(n, wg), len(bound), len(outs))


def elementwise_launch(name: str, expr: "Expr | list[Expr]", inputs: list[tuple[View, str]],
                       out: "tuple[View, str] | list[tuple[View, str]]", aliases: dict | None = None) -> Launch:
    """``elementwise_kernel`` as a launch over 'in<i>' (those not aliased), 'out<k>' and 'dims'
    (its sizes): up to ``GENERIC_MAX`` elements, and for larger kernels that read every input
    whole or as one element (rank 1 once collapsed), the source has no size in it, so one
    pipeline serves every shape of the same ranks and a new layer width compiles nothing. Other
    large kernels bake their sizes, where constant index math pays.

        >>> from .expr import load
        >>> add = lambda n: elementwise_launch("add", load(0, "f32") + load(1, "f32"),
        ...                                    [(View.contiguous((n, 4)), "f32"), (View((n, 4), (0, 1)), "f32")],
        ...                                    (View.contiguous((n, 4)), "f32"))
        >>> add(3).kernel.source == add(50).kernel.source, add(3).args
        (True, ['in0', 'in1', 'out0', 'dims'])
    """
    outs = [out] if isinstance(out, tuple) else list(out)
    if outs[0][0].size > GENERIC_MAX:
        shape, views = collapse(outs[0][0].shape, [v for v, _ in inputs] + [v for v, _ in outs])
        if len(shape) <= 1:         # read whole or broadcast: as generic as a small kernel, collapsed
            inputs = [(v, t) for v, (_, t) in zip(views, inputs)]
            outs = [(v, t) for v, (_, t) in zip(views[len(inputs):], outs)]
    sizes = Sizes(generic=outs[0][0].size <= GENERIC_MAX or len(outs[0][0].shape) <= 1)
    kernel = elementwise_kernel(name, expr, inputs, outs, aliases, sizes)
    bound = [f"in{i}" for i in range(len(inputs)) if i not in (aliases or {})]
    return Launch(kernel, bound + [f"out{k}" for k in range(len(outs))] + sizes.args, consts=sizes.consts)
