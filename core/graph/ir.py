"""The graph a traced function becomes: nodes of registered ops over inputs, captures and constants.

A graph prints as a short listing, as a jaxpr does:

    { lambda x:f32[4,2] y:f32[4,1] ; W1:f32[2,8] b1:f32[8] .
      let v3:f32[4,8] = matmul x W1
          v4:f32[4,8] = add v3 b1
          ...
      in (v12) ; W1 <- v20 }

and exports JSON (nodes with op, shape, dtype, attrs, fused group; edges) for the graph viewer.
"""
from __future__ import annotations

import itertools
import json
import math
import struct

from webgpu_kernels.expr import render_value

_ids = itertools.count()

# Node kinds that are not registry ops.
INPUT, CAPTURE, CONST, RANDOM, FUSED = "input", "capture", "const", "random_params", "fused"
SOURCES = (INPUT, CAPTURE, CONST, RANDOM)


def scalar_value(n: "Node"):
    """The value of a one-element float32, int32 or bool constant node (a literal in generated
    code, not a buffer), or None."""
    if n.op != CONST or math.prod(n.shape) != 1 or n.dtype.name not in ("float32", "int32", "bool"):
        return None
    data = n.payload
    if hasattr(data, "data"):           # a folded constant: a concrete tensor
        data = data.device.to_bytes(data.data)
    value = struct.unpack("<" + n.dtype.fmt, bytes(data)[:n.dtype.itemsize])[0]
    return bool(value) if n.dtype.kind == "b" else value


class Node:
    """One value of the graph: ``op`` applied to ``inputs`` with ``attrs``."""
    __slots__ = ("id", "op", "inputs", "attrs", "shape", "dtype", "payload", "group", "scope", "site")

    def __init__(self, op: str, inputs, attrs: dict, shape, dtype, payload=None, scope=(), site=None):
        self.id = next(_ids)
        self.op, self.inputs, self.attrs = op, tuple(inputs), dict(attrs)
        self.shape, self.dtype = tuple(shape), dtype
        self.payload = payload   # const: bytes; capture: the tensor; fused: the expression; input: position
        self.group = None        # id of the fused kernel this node ended up in, for the viewer
        self.scope = scope       # the layer or phase that made it (autograd.scope), for the viewer
        self.site = site         # ((file, line) of the code that made it, (file, line) of the user's call or None)

    @property
    def type_text(self) -> str:
        short = {"float32": "f32", "float16": "f16", "int32": "i32", "bool": "bool"}[self.dtype.name]
        return f"{short}[{','.join(map(str, self.shape))}]"

    def __repr__(self) -> str:
        return f"<node v{self.id} {self.op} {self.type_text}>"


class Graph:
    """Nodes in topological order, with the values the function returns and writes back."""

    def __init__(self, name: str, inputs, captures, outputs, writes, grads, nodes=None, randoms=(),
                 schedule=None):
        self.name = name
        self.inputs: list[Node] = list(inputs)          # the function's tensor arguments, in order
        self.captures: list[Node] = list(captures)      # tensors read from outside (parameters, state)
        self.outputs: list[Node] = list(outputs)        # returned tensors, in order
        self.writes: list[tuple[Node, Node]] = list(writes)   # (capture, new value): in-place updates
        self.grads: list[tuple[Node, Node | None]] = list(grads)  # (capture, value of .grad after the call)
        self.nodes: list[Node] = nodes if nodes is not None else self.toposort()
        live = {n.id for n in self.nodes}
        self.randoms: list[Node] = [n for n in randoms if n.id in live]   # fresh Philox params each call
        self.schedule = schedule       # after fusion: nodes and fused groups in the order they run

    def units(self) -> list:
        """What lowering walks: the fused schedule, or every node before fusion."""
        return self.schedule if self.schedule is not None else self.nodes

    def roots(self) -> list[Node]:
        return self.outputs + [v for _, v in self.writes] + [v for _, v in self.grads if v is not None]

    def toposort(self) -> list[Node]:
        order, seen = [], set()
        for root in self.roots():
            stack = [(root, False)]
            while stack:
                n, done = stack.pop()
                if done:
                    order.append(n)
                    continue
                if n.id in seen:
                    continue
                seen.add(n.id)
                stack.append((n, True))
                stack.extend((i, False) for i in reversed(n.inputs) if i.id not in seen)
        return order

    def replace(self, mapping: dict) -> "Graph":
        """The same graph with nodes substituted (``mapping``: node id -> node); re-sorted."""
        def sub(n):
            while n.id in mapping:
                n = mapping[n.id]
            return n
        for n in self.nodes:
            n.inputs = tuple(sub(i) for i in n.inputs)
        return Graph(self.name, self.inputs, self.captures, [sub(o) for o in self.outputs],
                     [(c, sub(v)) for c, v in self.writes], [(c, sub(v) if v is not None else None) for c, v in self.grads],
                     randoms=self.randoms)

    def users(self) -> dict[int, list[Node]]:
        out: dict[int, list[Node]] = {n.id: [] for n in self.nodes}
        for n in self.nodes:
            for i in n.inputs:
                out.setdefault(i.id, []).append(n)
        return out

    def op_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.op not in SOURCES]

    # ---- reading ---------------------------------------------------------------------------------

    def __str__(self) -> str:
        names = {}
        for i, n in enumerate(self.inputs):
            names[n.id] = f"in{i}"
        for n in self.captures:
            names[n.id] = getattr(n.payload, "name", None) or f"c{n.id}"
        name = lambda n: names.get(n.id, f"v{n.id}")
        head = " ".join(f"{name(n)}:{n.type_text}" for n in self.inputs)
        caps = " ".join(f"{name(n)}:{n.type_text}" for n in self.captures if n in self.nodes)
        lines = [f"{{ lambda {head} ; {caps} ."]
        body = [n for n in self.nodes if n.op not in (INPUT, CAPTURE)]
        for k, n in enumerate(body):
            lead = "  let " if k == 0 else "      "
            attrs = " ".join(f"{a}={_short(v)}" for a, v in n.attrs.items())
            args = " ".join(name(i) for i in n.inputs)
            what = "fused{" + _expr_text(n.payload, [name(i) for i in n.inputs]) + "}" if n.op == FUSED else n.op
            kernel = f"   # k{n.group}" if n.group is not None else ""
            lines.append(f"{lead}{name(n)}:{n.type_text} = {what} {args}{' ' + attrs if attrs else ''}".rstrip() + kernel)
        outs = " ".join(name(o) for o in self.outputs)
        writes = ", ".join(f"{name(c)} <- {name(v)}" for c, v in self.writes)
        grads = ", ".join(f"{name(c)}.grad <- {name(v) if v is not None else 'None'}" for c, v in self.grads)
        tail = " ; ".join(x for x in (writes, grads) if x)
        lines.append(f"  in ({outs}){' ; ' + tail if tail else ''} }}")
        return "\n".join(lines)

    def to_json(self) -> str:
        """Nodes (op, shape, dtype, attrs, fused group) and edges, for the graph viewer."""
        nodes = [{"id": n.id, "op": n.op, "shape": list(n.shape), "dtype": n.dtype.name,
                  "attrs": {k: _short(v) for k, v in n.attrs.items()}, "group": n.group,
                  "role": ("input" if n.op == INPUT else "capture" if n.op == CAPTURE else
                           "output" if n in self.outputs else "op")} for n in self.nodes]
        edges = [{"from": i.id, "to": n.id} for n in self.nodes for i in n.inputs]
        writes = [{"capture": c.id, "value": v.id} for c, v in self.writes]
        return json.dumps({"name": self.name, "nodes": nodes, "edges": edges, "writes": writes})


def _short(v):
    if isinstance(v, (tuple, list)):
        return list(v)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)


def _expr_text(expr, names) -> str:
    return render_value(expr, names) if expr is not None else ""
