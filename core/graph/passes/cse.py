"""Common-subexpression elimination: one node for each distinct (op, inputs, attrs)."""
from ..ir import CONST, RANDOM, SOURCES, Graph


def _key(n):
    if n.op == CONST:
        payload = n.payload if isinstance(n.payload, bytes) else id(n.payload)
        return (CONST, payload, n.shape, n.dtype)
    if n.op in SOURCES or n.op == RANDOM:
        return None
    attrs = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in n.attrs.items()))
    return (n.op, tuple(i.id for i in n.inputs), attrs)


def eliminate_common_subexpressions(graph: Graph) -> Graph:
    seen, mapping = {}, {}
    for n in graph.nodes:
        n.inputs = tuple(mapping.get(i.id, i) for i in n.inputs)
        try:
            key = _key(n)
        except TypeError:      # an unhashable attribute: leave the node alone
            key = None
        if key is None:
            continue
        if key in seen:
            mapping[n.id] = seen[key]
        else:
            seen[key] = n
    return graph.replace(mapping)
