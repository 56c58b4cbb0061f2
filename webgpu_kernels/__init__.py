"""WGSL kernels and the Python that specializes them: elementwise kernels rendered from an
expression IR (expr.py, elementwise.py), and templated sources (*.wgsl) for reductions, matmul,
indexing and random numbers. A kernel is data (kernel.py): its source is its cache key."""
from .kernel import Kernel, Launch

__all__ = ["Kernel", "Launch"]
