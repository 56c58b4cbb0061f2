"""Tracing: run a Python function once on symbolic tensors and record the graph of its ops.

Tracing is a device: while a trace is active, ``apply`` sends every op to ``TraceDevice``, which
returns graph nodes instead of computing. Tensors the function reads from outside (parameters,
optimizer state) are captured: for the length of the trace they become symbolic in place, so
autodiff, ``assign`` and ``p.grad = None`` work on them as usual; afterwards each one gets its
concrete storage back, and whatever the function did to it becomes a write-back of the graph.
"""
from __future__ import annotations

import os
import sys
import traceback

from .. import autograd
from ..dtypes import int32
from ..tensor import Tensor
from .ir import CAPTURE, CONST, INPUT, RANDOM, Graph, Node


class TraceError(RuntimeError):
    """The function does something a graph cannot hold, e.g. reads a value back in the middle.

    Example:
        >>> @wg.function
        ... def scale(x):
        ...     return x * x.sum().item()
        >>> scale(wg.ones(2))
        Traceback (most recent call last):
        ...
        webgrad.graph.trace.TraceError: a traced function cannot read a value back (.item(), ...
    """


def _user_line() -> str:
    """File and line of the innermost frame outside webgrad: where the user's code did it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(root):
            return f"{frame.filename}, line {frame.lineno}: {frame.line}"
    return "unknown line"


_CORE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# where ops are made, not where they are written: a frame in these is passed over to find the line that made it
_MACHINERY = tuple(os.path.join(_CORE, p) for p in ("tensor.py", "functional.py", "autograd.py", "random.py",
                                                   "convolution.py", "ops", "graph", "devices"))


def _site() -> tuple:
    """(file, line) of the code that made the op being traced (a layer's line, or the user's), and
    (file, line) of the user's code that called it when that is another (a ``model.fit``), or None."""
    frame, made = sys._getframe(2), None
    while frame is not None:
        name = frame.f_code.co_filename
        if made is None and not name.startswith(_MACHINERY):
            made = (name, frame.f_lineno)
        if not name.startswith(_CORE):
            return (made, None if made[0] == name else (name, frame.f_lineno))
        frame = frame.f_back
    return (made, None)


def _node(op: str, inputs, attrs, shape, dtype, payload=None) -> Node:
    return Node(op, inputs, attrs, shape, dtype, payload, autograd.current_scope(), _site())


class TraceDevice:
    kind = "trace"
    name = "trace"

    def __repr__(self) -> str:
        return "<webgrad device trace>"

    def run(self, op, inputs, attrs, shape, dtype) -> Node:
        return _node(op.name, inputs, attrs, shape, dtype)

    def from_bytes(self, data, shape, dtype) -> Node:
        return _node(CONST, (), {}, shape, dtype, payload=bytes(data))

    def to_bytes(self, x):
        raise TraceError(
            f"a traced function cannot read a value back (.item(), .numpy(), .tolist(), bool(), print of a "
            f"tensor) while it is being traced, at {_user_line()}. A traced function runs on the device as one "
            f"graph: return the value and read it after the call, or run this function eagerly (without "
            f"@wg.function) to debug it.")

    def submit(self):
        pass

    def synchronize(self):
        pass

    def stats(self):
        return {}


class Tracer:
    def __init__(self):
        self.device = TraceDevice()
        self.captured: dict[int, tuple] = {}     # id(tensor) -> (tensor, data, device, grad, node)
        self.order: list[int] = []
        self.randoms: list[Node] = []

    # Called by tensor.apply for every input of every op while tracing.
    def symbolic(self, x):
        if x.device is self.device:
            return x
        node = _node(CAPTURE, (), {}, x.shape, x.dtype, payload=x)
        self.captured[id(x)] = (x, x.data, x.device, x.grad, node)
        self.order.append(id(x))
        x.data, x.device = node, self.device
        return x

    def random_params(self, generator, n_values: int):
        """Random numbers inside a trace: fresh key/counter params for each call, not a constant."""
        node = _node(RANDOM, (), {"n_values": n_values}, (5,), int32, payload=generator)
        self.randoms.append(node)
        return Tensor._make(node, (5,), int32, self.device)

    def finish(self, name, inputs, outputs) -> Graph:
        """Restore every captured tensor and describe what the function did to it."""
        writes, grads, captures = [], [], []
        for key in self.order:
            x, data, device, grad, node = self.captured[key]
            captures.append(node)
            if x.data is not node:
                writes.append((node, x.data))
            final_grad = x.grad
            if final_grad is not grad:
                if final_grad is None:
                    grads.append((node, None))
                else:
                    grads.append((node, self.symbolic(final_grad).data))
        return Graph(name, inputs, captures, outputs, writes, grads, randoms=self.randoms)

    def restore(self) -> None:
        for key in reversed(self.order):
            x, data, device, grad, _ = self.captured[key]
            x.data, x.device, x.grad = data, device, grad


def trace(fn, args, name=None):
    """Trace ``fn(*args)``: returns (graph, output structure, symbolic inputs)."""
    if autograd.current_tracer() is not None:
        raise TraceError("a traced function was called while tracing another; call the inner function "
                         "without @wg.function, or trace only the outer one")
    tracer = Tracer()
    inputs: list[Node] = []

    def symbolic_arg(a):
        if isinstance(a, Tensor):
            node = Node(INPUT, (), {}, a.shape, a.dtype, payload=len(inputs))
            inputs.append(node)
            t = Tensor._make(node, a.shape, a.dtype, tracer.device)
            t.requires_grad = a.requires_grad
            return t
        if isinstance(a, (list, tuple)):
            return type(a)(symbolic_arg(b) for b in a)
        return a

    try:
        with autograd.tracing(tracer):
            sym_args = [symbolic_arg(a) for a in args]
            result = fn(*sym_args)
            outputs: list[Node] = []

            def structure(r):
                if isinstance(r, Tensor):
                    tracer.symbolic(r)
                    outputs.append(r.data)
                    return ("tensor", len(outputs) - 1)
                if isinstance(r, (list, tuple)):
                    return (type(r), [structure(x) for x in r])
                if isinstance(r, dict):
                    return (dict, {k: structure(v) for k, v in r.items()})
                return ("value", r)
            shape = structure(result)
            graph = tracer.finish(name or getattr(fn, "__name__", "function"), inputs, outputs)
    finally:
        tracer.restore()
    return graph, shape


def rebuild(structure, tensors):
    kind, value = structure
    if kind == "tensor":
        return tensors[value]
    if kind == "value":
        return value
    if kind is dict:
        return {k: rebuild(v, tensors) for k, v in value.items()}
    return kind(rebuild(v, tensors) for v in value)
