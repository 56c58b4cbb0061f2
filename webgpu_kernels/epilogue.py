"""Where a kernel writes its result: ``fn store(i, v)``, plain or with an elementwise tail.

Templated kernels (reduce.wgsl, ...) never write their output buffer themselves; they call
``store(i, v)`` with the flat output position and the value. Plain, that writes ``out[i]``.
With an epilogue (graph mode fused the elementwise ops that consume the result, such as the
scaling of a mean or an optimizer's update of a bias) it evaluates those expressions with the
value as ``load(0)`` and writes each of their outputs, so the result never makes a round trip
through memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .elementwise import load_text, store_value, value_type
from .expr import Expr, render_body
from .kernel import storage
from .view import BAKED, Sizes, View, collapse, offset_expr, render_coords


@dataclass(frozen=True)
class Epilogue:
    exprs: tuple[Expr, ...]                  # load(0) is the kernel's value, load(k) extra input k - 1
    inputs: tuple[tuple[View, str], ...]     # extra inputs (views broadcast to the output shape, storage type)
    outputs: tuple[tuple[View, str], ...]    # where each expression goes
    aliases: dict = field(default_factory=dict, hash=False, compare=False)   # extra input -> output it is


def render_store(first_binding: int, value: str, out_type: str, out_shape, epilogue: Epilogue | None = None,
                 sizes: Sizes = BAKED) -> str:
    """WGSL declarations and ``fn store(i: i32, v: <value>)`` for outputs bound from ``first_binding``
    (the epilogue's index math spelled by ``sizes``)."""
    if epilogue is None:
        write = store_value("v", value_type(value) if value == "u32" else value, out_type)
        return "\n".join([storage(first_binding, "out", out_type, write=True),
                          f"fn store(i: i32, v: {value}) {{ out[i] = {write}; }}"])
    ep = epilogue     # its outputs have the kernel's number of elements, in their own shape
    shape, views = collapse(ep.outputs[0][0].shape, [v for v, _ in ep.inputs] + [v for v, _ in ep.outputs], sizes)
    lines, b = [], first_binding
    bound = [k for k in range(len(ep.inputs)) if k not in ep.aliases]
    for k in bound:
        lines.append(storage(b, f"e{k}", ep.inputs[k][1]))
        b += 1
    for j, (_, t) in enumerate(ep.outputs):
        lines.append(storage(b, f"out{j}", t, write=True))
        b += 1
    body = render_coords(shape, "i", sizes=sizes)
    names = ["v"]
    for k, ((_, t), view) in enumerate(zip(ep.inputs, views)):
        buf = f"out{ep.aliases[k]}" if k in ep.aliases else f"e{k}"
        body.append(f"let v{k + 1} = {load_text(buf, offset_expr(view, sizes=sizes), t, value_type(t))};")
        names.append(f"v{k + 1}")
    lets, texts = render_body(list(ep.exprs), names)
    body += lets
    for j, (text, e, (_, t), view) in enumerate(zip(texts, ep.exprs, ep.outputs, views[len(ep.inputs):])):
        body.append(f"out{j}[{offset_expr(view, sizes=sizes)}] = {store_value(text, e.type, t)};")
    lines.append(f"fn store(i: i32, v: {value}) {{")
    lines += ["    " + ln for ln in body]
    lines.append("}")
    return "\n".join(lines)


def n_bindings(epilogue: Epilogue | None) -> int:
    if epilogue is None:
        return 1
    return len(epilogue.inputs) - len(epilogue.aliases) + len(epilogue.outputs)


def tail_args(epilogue: Epilogue | None, n_inputs: int) -> list[str]:
    """The launch arguments after a kernel's own ``n_inputs`` inputs: its output, or the
    epilogue's extra inputs ('in<n_inputs>', ...; those it writes in place are left out) and outputs."""
    if epilogue is None:
        return ["out0"]
    extra = [f"in{n_inputs + k}" for k in range(len(epilogue.inputs)) if k not in epilogue.aliases]
    return extra + [f"out{j}" for j in range(len(epilogue.outputs))]
