"""A graph as the graph viewer draws it (``/graph``): ops grouped by phase and layer, and the kernels that run them.

The format (JSON, ``"format": "webgrad.graph"``, ``"version": 1``), which other tools may write too:

    name        the function's name
    lowering    "plan" (a kernel a group of ops), "single_kernel" (the whole step in one) or null (not run)
    dispatches  dispatches a call makes (null: not run)
    steps       the steps a call runs (a training step traced with ``steps_per_execution``; 1 otherwise)
    note        why a many-steps call does not run as one kernel (null: it does, or there is one step)
    nodes       [{id, op, kind, label, shape, dtype, attrs, scope, role, site, code, called_from, kernel}]
                  id: a string; kind: matmul | elementwise | reduction | movement | parameter | constant
                  | input | random | other; scope: the groups it sits in, outermost first (["backward",
                  "dense_1"]); role: input | capture | const | output | op; site: "file:line" of the code
                  that made it, code: that line; called_from: the user's line that called it when that is
                  another; kernel: the index in kernels of the kernel that computes it, or null (a view,
                  a source: no kernel of its own)
    edges       [{from, to}]: node ids, the value of ``from`` read by ``to`` (its shape and dtype are from's)
    kernels     [{id, name, dispatches, nodes, wgsl, writes}]: in the order they run; ``dispatches`` of
                  it a call, ``nodes`` the ids it computes, ``wgsl`` its sources, ``writes`` the capture it
                  copies a new value into (a write-back of its own, when it could not be done in place)
    writes      [{capture, value}]: a captured tensor (a parameter, optimizer state) updated by the call

    >>> f = wg.function(lambda x: (x * 2 + 1).sum())
    >>> _ = f(wg.ones(3))
    >>> view = graph_view(f)
    >>> view["format"], view["version"], view["dispatches"], len(view["kernels"])     # one kernel does it all
    ('webgrad.graph', 1, 1, 1)
    >>> [(n["op"], n["kind"], n["kernel"]) for n in view["nodes"] if n["role"] in ("op", "output")]
    [('mul', 'elementwise', 0), ('add', 'elementwise', 0), ('sum', 'reduction', 0)]
"""
from __future__ import annotations

import linecache
import math
import os

from ..ops import OPS
from .ir import CAPTURE, CONST, INPUT, RANDOM, Graph

FORMAT, VERSION = "webgrad.graph", 1
_CORE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_REDUCTIONS = ("sum", "max", "min", "argmax")
_MOVEMENT = ("cat", "gather", "scatter_add", "pad", "fold", "unfold", "copy", "one_hot")


def kind_of(op: str) -> str:
    """What the viewer colours a node by.

    Example:
        >>> kind_of("matmul"), kind_of("tanh"), kind_of("sum"), kind_of("reshape"), kind_of("capture")
        ('matmul', 'elementwise', 'reduction', 'movement', 'parameter')
    """
    fixed = {CAPTURE: "parameter", CONST: "constant", INPUT: "input", RANDOM: "random", "matmul": "matmul"}
    if op in fixed:
        return fixed[op]
    if op in _REDUCTIONS:
        return "reduction"
    spec = OPS.get(op)
    if op in _MOVEMENT or (spec is not None and spec.view is not None):
        return "movement"
    if spec is not None and spec.expr is not None:
        return "elementwise"
    return "other"


def _where(site) -> tuple[str | None, str | None]:
    if site is None:
        return None, None
    file, line = site
    shown = "webgrad" + file[len(_CORE):] if file.startswith(_CORE) else file
    return f"{shown}:{line}", (linecache.getline(file, line).strip() or None)


def _plan_of(plan):
    """The plan that runs now (a tiered plan's current one, a stepped plan's single step)."""
    plan = getattr(plan, "current", plan)
    return getattr(plan, "plan", plan)


def _kernels(graph: Graph, plan) -> tuple[list[dict], dict]:
    """The kernels a call runs, in order, and the view's ``lowering``, ``dispatches``, ``steps`` and ``note``."""
    if plan is None:
        return [], {"lowering": None, "dispatches": None, "steps": None, "note": None}
    summary = plan.summary()
    inner = _plan_of(plan)
    steps = summary.get("steps_per_call", 1)
    why = summary.get("single_kernel"), summary.get("tiered")
    info = {"lowering": summary["lowering"], "dispatches": summary["dispatches"], "steps": steps,
            "note": next((w for w in why if isinstance(w, str)), None)}
    if summary["lowering"] == "single_kernel":
        kernel, n, _ = inner.kernel(inner.variant or inner.candidates[0])
        ops = [f"v{m.id}" for m in graph.nodes if m.op not in (INPUT, CAPTURE, CONST, RANDOM)]
        return [{"id": 0, "name": kernel.name, "dispatches": n, "nodes": ops, "wgsl": [kernel.source], "writes": None}], info
    captures = graph.captures
    out: list[dict] = []
    previous = None
    for k, ((kernel, slots, _), made) in enumerate(zip(inner.steps, inner.made_by)):
        if made and made == previous:           # the launches of one op (a split matmul): one box
            box = out[-1]
            box["dispatches"] += steps
            if kernel.source not in box["wgsl"]:
                box["wgsl"].append(kernel.source)
            continue
        written = None if made else next((f"v{captures[c].id}" for c in range(len(captures)) if f"cap{c}" in slots), None)
        out.append({"id": len(out), "name": kernel.name, "dispatches": steps, "nodes": [f"v{i}" for i in made],
                    "wgsl": [kernel.source], "writes": written})     # once a step: the plan runs once per step
        previous = made
    return out, info


def graph_view(source, names: dict | None = None) -> dict:
    """The viewer's JSON (as a dict) of a traced function (called once: its last signature), a Keras model
    (its traced training step once it has been fit, else its forward pass on one example) or a ``Graph``.
    ``names``: id(tensor) -> the label of a captured tensor (a model's weights are named by themselves).

    Example:
        >>> model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(3, activation="tanh", name="hidden"),
        ...                        wg.layers.Dense(1, name="out")])
        >>> view = graph_view(model)                            # not fit yet: the forward pass
        >>> sorted({tuple(n["scope"]) for n in view["nodes"] if n["role"] == "op"})
        [('hidden',), ('out',)]
        >>> [n["label"] for n in view["nodes"] if n["role"] == "capture"]
        ['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias']
    """
    plan = None
    if hasattr(source, "_graph_source"):        # a Keras model: its traced step and its weights' names
        source, labels = source._graph_source()
        names = {**labels, **(names or {})}
    if isinstance(source, Graph):
        graph = source
    else:
        graph, plan = source.graph, source.plan
    names = names or {}
    kernels, info = _kernels(graph, plan)
    owner: dict[str, int] = {}
    for box in kernels:
        for nid in box["nodes"]:
            owner.setdefault(nid, box["id"])
    outputs = {n.id for n in graph.outputs}
    nodes = []
    for n in graph.nodes:
        nid = f"v{n.id}"
        made, called = n.site if n.site else (None, None)
        site, code = _where(made)
        role = ("input" if n.op == INPUT else "capture" if n.op == CAPTURE else "const" if n.op == CONST else
                "output" if n.id in outputs else "op")
        label = n.op
        if n.op == CAPTURE:
            label = names.get(id(n.payload)) or getattr(n.payload, "name", None) or "captured"
        elif n.op == INPUT:
            label = f"input {n.payload}"
        nodes.append({"id": nid, "op": n.op, "kind": kind_of(n.op), "label": label, "shape": list(n.shape),
                      "dtype": n.dtype.name, "attrs": {k: _plain(v) for k, v in n.attrs.items()},
                      "scope": list(n.scope), "role": role, "site": site, "code": code,
                      "called_from": _where(called)[0], "kernel": owner.get(nid)})
    edges = [{"from": f"v{i.id}", "to": f"v{n.id}"} for n in graph.nodes for i in n.inputs]
    writes = [{"capture": f"v{c.id}", "value": f"v{v.id}"} for c, v in graph.writes]
    return {"format": FORMAT, "version": VERSION, "name": graph.name, **info,
            "nodes": nodes, "edges": edges, "kernels": kernels, "writes": writes}


def from_graph_def(name: str, nodes) -> dict:
    """The viewer's JSON of a TensorFlow ``GraphDef``'s ``(name, op, inputs)`` nodes (a graph that another
    tool logged, or our callback's layer graph): scopes from the names' slashes, no kernels.

    Example:
        >>> view = from_graph_def("model", [("input", "InputLayer", []), ("seq/dense", "Dense", ["input"])])
        >>> [(n["id"], n["label"], n["scope"]) for n in view["nodes"]], view["edges"]
        ([('input', 'input', []), ('seq/dense', 'dense', ['seq'])], [{'from': 'input', 'to': 'seq/dense'}])
    """
    nodes = list(nodes)
    known = {n for n, _, _ in nodes}
    out = [{"id": n, "op": op, "kind": "other", "label": n.rsplit("/", 1)[-1], "shape": None, "dtype": None,
            "attrs": {}, "scope": n.split("/")[:-1], "role": "op", "site": None, "code": None, "called_from": None,
            "kernel": None} for n, op, _ in nodes]
    edges = []
    for n, _, inputs in nodes:
        for i in inputs:
            i = i.lstrip("^").split(":")[0]        # a control input, an output index
            if i in known:
                edges.append({"from": i, "to": n})
    return {"format": FORMAT, "version": VERSION, "name": name, "lowering": None, "dispatches": None,
            "nodes": out, "edges": edges, "kernels": [], "writes": []}


def _plain(v):
    """An attribute as JSON has it: a number that JSON cannot write (max pooling's -inf) as its name, "-inf"."""
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return v
    return str(v)
