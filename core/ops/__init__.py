"""The primitives, by name. Importing this package registers all of them."""
from . import elementwise, indexing, matmul, movement, random, reduce  # noqa: F401  (registration)
from . import conv  # noqa: F401  (registration: unfold, fold)
from .registry import OPS, Meta, Op, ShapeError

__all__ = ["OPS", "Meta", "Op", "ShapeError"]
