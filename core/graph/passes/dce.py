"""Dead-code removal: keep only nodes that an output or a write-back depends on."""
from ..ir import Graph


def eliminate_dead_code(graph: Graph) -> Graph:
    g = Graph(graph.name, graph.inputs, graph.captures, graph.outputs, graph.writes, graph.grads)
    g.randoms = [n for n in getattr(graph, "randoms", []) if n in g.nodes]
    return g
