"""Graph passes, each a function from graph to graph, run in this order by ``optimize``."""
from .cse import eliminate_common_subexpressions
from .dce import eliminate_dead_code
from .fold import fold_constants
from .fuse import fuse_elementwise
from .simplify import simplify

PIPELINE = (eliminate_dead_code, eliminate_common_subexpressions, simplify, fold_constants,
            eliminate_common_subexpressions, eliminate_dead_code, fuse_elementwise)


def optimize(graph, device, passes=PIPELINE):
    for p in passes:
        graph = p(graph, device) if p is fold_constants else p(graph)
    return graph


__all__ = ["optimize", "PIPELINE", "eliminate_dead_code", "eliminate_common_subexpressions", "simplify",
           "fold_constants", "fuse_elementwise"]
