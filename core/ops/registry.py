"""The op registry: everything about a primitive in one place.

A primitive declares
  * ``infer``: output shape and dtype from the inputs' (raising ``ShapeError`` naming the op),
  * how it runs on WebGPU: an elementwise ``expr`` (composable, so graph mode can fuse it),
    a ``view`` (no kernel: a new window on the same buffer), or a ``kernel`` (a list of launches),
  * its single-kernel form (``loop``, see webgpu_kernels/loop.py): how it runs as one loop of a
    whole traced step compiled to one kernel (elementwise and view ops have theirs from ``expr``
    and ``view``),
  * ``grad``: its vector-Jacobian product written with other ops,
  * ``reference``: the same math in NumPy, which tests compare against and the NumPy device runs,
  * ``sample``: inputs tests draw from (domain, shapes), so a new op is tested without new test code.

Ops are registered once, in the modules of this package, and looked up by name:

    >>> from webgrad.ops import OPS
    >>> OPS["exp"].reference([0.0])
    array([1.])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..dtypes import DType


class ShapeError(ValueError):
    """Inputs whose shapes or dtypes an op cannot take; raised before anything is dispatched.

    Example:
        >>> import webgrad as wg
        >>> wg.ones(2, 3) + wg.ones(4)
        Traceback (most recent call last):
        ...
        webgrad.ops.registry.ShapeError: add: shapes (2, 3) and (4,) cannot broadcast: axis -1 has sizes 3 vs 4
    """


def numpy():
    """NumPy, imported when a reference first runs: references are for tests and the NumPy device,
    and the browser, which has no NumPy, runs only the kernels."""
    import numpy as np
    return np


@dataclass(frozen=True)
class Meta:
    shape: tuple[int, ...]
    dtype: DType


@dataclass
class Op:
    name: str
    infer: Callable[..., Meta]          # (*input Metas, **attrs) -> Meta
    reference: Callable                 # (*numpy arrays, **attrs) -> numpy array
    grad: Callable | None = None        # (g, out, *inputs, **attrs) -> one gradient (or None) per input
    expr: Callable | None = None        # elementwise: (*input Exprs, **attrs) -> Expr
    view: Callable | None = None        # movement: (View, **attrs) -> View, or None when a copy is needed
    kernel: Callable | None = None      # (in_views, out_meta, **attrs) -> list[Launch]
    loop: Callable | None = None        # single-kernel form: (in Views, out_meta, **attrs) -> loop.Form
    sample: Callable | None = None      # (rng) -> (list of numpy inputs, attrs) for tests
    variadic: bool = False              # takes any number of inputs (cat)
    variants: tuple = ()                # kernel variants the device times once per adapter (matmul)
    variant_for: Callable | None = None  # (input shapes, out shape) -> a variant this size takes, or None: the timed one
    stand_in: str | None = None         # the variant that runs while the chosen one compiles in the background
    strided: bool = False               # its kernel reads inputs through their views; else they are made contiguous
    tolerance: float = 1e-4             # relative error allowed against the reference in float32
    doc: str = ""

    def __repr__(self) -> str:
        return f"<op {self.name}>"


OPS: dict[str, Op] = {}


def register(op: Op) -> Op:
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is registered twice")
    OPS[op.name] = op
    return op


# ---- shape inference helpers shared by the op modules ---------------------------------------

def fmt(shape) -> str:
    """A shape as errors print it, as Python prints a tuple.

    Example:
        >>> fmt((None, 3)), fmt((4,)), fmt(())
        ('(None, 3)', '(4,)', '()')
    """
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def broadcast_shapes(opname: str, *shapes) -> tuple[int, ...]:
    """NumPy broadcasting, with an error that names the op, the shapes and the axis at fault."""
    rank = max(len(s) for s in shapes)
    out = []
    for ax in range(-rank, 0):
        dims = {s[ax] for s in shapes if len(s) >= -ax} - {1}
        if len(dims) > 1:
            raise ShapeError(f"{opname}: shapes {' and '.join(fmt(s) for s in shapes)} cannot broadcast: "
                             f"axis {ax} has sizes {' vs '.join(str(d) for d in sorted(dims))}")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def normalize_axes(opname: str, axes, rank: int) -> tuple[int, ...]:
    if axes is None:
        return tuple(range(rank))
    if isinstance(axes, int):
        axes = (axes,)
    out = []
    for a in axes:
        if not -rank <= a < max(rank, 1):
            raise ShapeError(f"{opname}: axis {a} is out of range for a tensor of rank {rank}")
        out.append(a % rank if rank else 0)
    if len(set(out)) != len(out):
        raise ShapeError(f"{opname}: repeated axis in {tuple(axes)}")
    return tuple(sorted(out))


def unbroadcast_axes(shape, target) -> tuple[tuple[int, ...], int]:
    """Axes of ``shape`` to sum so a gradient of a broadcast result fits ``target`` again."""
    lead = len(shape) - len(target)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target) if d == 1 and shape[lead + i] != 1)
    return axes, lead
