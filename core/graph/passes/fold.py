"""Constant folding: ops whose inputs are all constants run once, when the graph is lowered,
and become constants (kept on the device) instead of kernels launched on every call."""
from ...autograd import no_grad
from ...ops import OPS
from ...tensor import Tensor, apply
from ..ir import CONST, Graph, Node


def _tensor(n, device):
    if isinstance(n.payload, Tensor):
        return n.payload
    return Tensor._make(device.from_bytes(n.payload, n.shape, n.dtype), n.shape, n.dtype, device)


def fold_constants(graph: Graph, device) -> Graph:
    mapping = {}
    for n in graph.nodes:
        n.inputs = tuple(mapping.get(i.id, i) for i in n.inputs)
        op = OPS.get(n.op)
        if op is None or op.name.startswith("random_") or not all(i.op == CONST for i in n.inputs):
            continue
        with no_grad():
            value = apply(op, *(_tensor(i, device) for i in n.inputs), device=device, **n.attrs)
        assert isinstance(value, Tensor)
        mapping[n.id] = Node(CONST, (), {}, n.shape, n.dtype, payload=value, scope=n.scope, site=n.site)
    return graph.replace(mapping)
