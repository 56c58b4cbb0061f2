"""Dead-code removal: keep only nodes that an output or a write-back depends on."""
from ..ir import Graph


def eliminate_dead_code(graph: Graph) -> Graph:
    return Graph(graph.name, graph.inputs, graph.captures, graph.outputs, graph.writes, graph.grads,
                 randoms=graph.randoms)
