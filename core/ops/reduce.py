"""Reductions over any axes, with keepdims: sum, max, min, argmax.

mean, var, logsumexp and friends are composites over these (core/functional.py).
"""
from __future__ import annotations

from math import prod

from webgpu_kernels.loop import Form
from webgpu_kernels.reduce import ReduceLoop, reduce_launches

from ..dtypes import bool_, int32
from .registry import Meta, Op, ShapeError, normalize_axes, register
from .registry import numpy as _np


def _infer(name):
    def infer(x: Meta, axes=None, keepdims=False):
        ax = normalize_axes(name, axes, len(x.shape))
        if name != "sum" and any(x.shape[a] == 0 for a in ax):
            raise ShapeError(f"{name}: cannot reduce an empty axis of shape {x.shape} (it has no identity)")
        if name != "sum" and x.dtype == bool_:
            raise ShapeError(f"{name}: does not take bool tensors (cast first: x.int())")
        shape = tuple(1 if i in ax else d for i, d in enumerate(x.shape)) if keepdims else \
            tuple(d for i, d in enumerate(x.shape) if i not in ax)
        dtype = int32 if name == "argmax" or x.dtype == bool_ else x.dtype
        return Meta(shape, dtype)
    return infer


def _kernel(kind):
    def kernel(ins, out: Meta, axes=None, keepdims=False, epilogue=None, prologue=None):
        """``prologue``: graph mode's elementwise expression of ``ins`` (views of the reduced
        tensor's shape) whose value is reduced; without it, the one input is."""
        ax = normalize_axes(kind, axes, len(ins[0][0].shape))
        return reduce_launches(kind, [(v, d.wgsl) for v, d in ins], ax, out.dtype.wgsl, epilogue, prologue)
    return kernel


def _loop(kind):
    def loop(ins, out: Meta, axes=None, keepdims=False):
        """The kept axes first: each element of the loop reduces the trailing ones."""
        (x,) = ins
        ax = normalize_axes(kind, axes, len(x.shape))
        kept = [i for i in range(len(x.shape)) if i not in ax]
        return Form(ReduceLoop, (x.permute(kept + list(ax)),),
                    {"kind": kind, "n_kept": len(kept), "out_type": out.dtype.value_type}, work=prod(x.shape))
    return loop


def _reference(fn):
    def reference(x, axes=None, keepdims=False):
        x = _np().asarray(x)
        ax = normalize_axes(fn, axes, x.ndim)
        if fn == "argmax":
            # NumPy's argmax takes one axis; flatten the reduced axes to the end and take it there.
            kept = [i for i in range(x.ndim) if i not in ax]
            y = x.transpose(kept + list(ax)).reshape([x.shape[i] for i in kept] + [-1]).argmax(-1).astype("int32")
            return y.reshape([1 if i in ax else d for i, d in enumerate(x.shape)]) if keepdims else y
        r = getattr(_np(), fn)(x, axis=ax, keepdims=keepdims)
        return r.astype("int32") if x.dtype == bool else r
    return reference


def _sample(rng):
    rank = int(rng.integers(1, 5))
    shape = tuple(int(d) for d in rng.integers(1, 6, size=rank))
    axes = tuple(int(a) for a in rng.choice(rank, size=int(rng.integers(1, rank + 1)), replace=False))
    return [rng.uniform(-3, 3, size=shape).astype("float32")], {"axes": axes, "keepdims": bool(rng.random() < 0.5)}


def _restore(g, x, axes, keepdims):
    """Give a reduced gradient back the input's rank, so it broadcasts over the reduced axes."""
    if keepdims:
        return g
    ax = normalize_axes("sum", axes, x.ndim)
    return g.reshape(tuple(1 if i in ax else d for i, d in enumerate(x.shape)))


def _sum_grad(g, out, x, axes=None, keepdims=False):
    return (_restore(g, x, axes, keepdims).expand(x.shape),)


def _chooser_grad(g, out, x, axes=None, keepdims=False):
    # Ties share the gradient equally, as in JAX.
    hit = (x == _restore(out, x, axes, keepdims)).float()
    return (hit * _restore(g, x, axes, keepdims) / hit.sum(axes, keepdims=True),)


for _name, _grad in (("sum", _sum_grad), ("max", _chooser_grad), ("min", _chooser_grad), ("argmax", None)):
    register(Op(_name, _infer(_name), _reference(_name), grad=_grad, kernel=_kernel(_name), loop=_loop(_name), sample=_sample, strided=True,
                tolerance=1e-4))

