"""Algebraic simplification: x*1, x+0, x-0, x/1, --x, reshape of reshape, permute of permute."""
from ..ir import CONST, Graph
from .values import scalar_value


def _same(n, x) -> bool:
    return x.shape == n.shape and x.dtype == n.dtype


def _rule(n):
    ins = n.inputs
    if n.op in ("mul", "add", "sub", "div") and len(ins) == 2:
        a, b = ins
        va, vb = scalar_value(a), scalar_value(b)
        if n.op == "mul" and vb == 1 and _same(n, a):
            return a
        if n.op == "mul" and va == 1 and _same(n, b):
            return b
        if n.op == "add" and vb == 0 and _same(n, a):
            return a
        if n.op == "add" and va == 0 and _same(n, b):
            return b
        if n.op in ("sub", "div") and vb == (0 if n.op == "sub" else 1) and _same(n, a):
            return a
    if n.op == "neg" and ins[0].op == "neg":
        return ins[0].inputs[0]
    if n.op == "reshape":
        x = ins[0]
        if x.shape == n.shape:
            return x
        if x.op == "reshape":
            return _rebuild(n, (x.inputs[0],), n.attrs)
    if n.op == "permute" and ins[0].op == "permute":
        inner = ins[0].attrs["order"]
        order = tuple(inner[i] for i in n.attrs["order"])
        if order == tuple(range(len(order))):
            return ins[0].inputs[0]
        return _rebuild(n, (ins[0].inputs[0],), {"order": order})
    if n.op in ("sum", "max", "min") and n.inputs[0].shape == n.shape:   # reducing size-1 axes only
        return ins[0]
    if n.op == "cast" and ins[0].dtype == n.dtype:
        return ins[0]
    return None


def _rebuild(n, inputs, attrs):
    n.inputs, n.attrs = inputs, dict(attrs)
    return None


def simplify(graph: Graph) -> Graph:
    mapping = {}
    for n in graph.nodes:
        n.inputs = tuple(mapping.get(i.id, i) for i in n.inputs)
        if n.op == CONST:
            continue
        to = _rule(n)
        if to is not None and to is not n:
            mapping[n.id] = to
    return graph.replace(mapping)

