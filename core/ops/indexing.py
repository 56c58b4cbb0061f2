"""Indexing primitives: gather (index_select along an axis), scatter_add (its gradient), one_hot."""
from __future__ import annotations

from math import prod

from webgpu_kernels.expr import Expr, cast, const, index, infix, load
from webgpu_kernels.indexing import GatherLoop, ScatterAddLoop, gather_launches, one_hot_launches, scatter_add_launches
from webgpu_kernels.loop import Form, Map
from webgpu_kernels.view import View

from ..dtypes import float32, int32
from .registry import Meta, Op, ShapeError, fmt, register
from .registry import numpy as _np


def _check_index(opname, index: Meta):
    if index.dtype != int32:
        raise ShapeError(f"{opname}: indices must be int32, got {index.dtype.name} (use idx.int())")


def _gather_infer(x: Meta, index: Meta, axis=0):
    _check_index("gather", index)
    if not -len(x.shape) <= axis < len(x.shape):
        raise ShapeError(f"gather: axis {axis} is out of range for {fmt(x.shape)}")
    axis %= len(x.shape)
    return Meta(x.shape[:axis] + index.shape + x.shape[axis + 1:], x.dtype)


def _gather_kernel(ins, out: Meta, axis=0, epilogue=None):
    (x, dtype), (index, _) = ins
    return gather_launches(x.shape, axis % len(x.shape), index.size, dtype.wgsl, epilogue)


def _gather_loop(ins, out: Meta, axis=0):
    x, _ = ins
    return Form(GatherLoop, ins, {"axis": axis % len(x.shape)}, work=prod(out.shape))


def _gather_grad(g, out, x, index, axis=0):
    axis %= x.ndim
    flat = g.reshape(x.shape[:axis] + (index.numel(),) + x.shape[axis + 1:])
    return (flat.scatter_add(index.reshape((index.numel(),)), axis, x.shape[axis]), None)


def _gather_reference(x, index, axis=0):
    return _np().take(x, index, axis=axis)


def _gather_sample(rng):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(1, 4))))
    axis = int(rng.integers(0, len(shape)))
    index = rng.integers(-shape[axis], shape[axis], size=tuple(int(d) for d in rng.integers(1, 4, size=int(rng.integers(1, 3)))))
    return [rng.uniform(-3, 3, size=shape).astype("float32"), index.astype("int32")], {"axis": axis}


register(Op("gather", _gather_infer, _gather_reference, grad=_gather_grad, kernel=_gather_kernel, loop=_gather_loop,
            sample=_gather_sample))


def _scatter_infer(g: Meta, index: Meta, axis=0, size=1):
    _check_index("scatter_add", index)
    if len(index.shape) != 1 or g.shape[axis] != index.shape[0]:
        raise ShapeError(f"scatter_add: needs one index per position of axis {axis} of {fmt(g.shape)}, got {fmt(index.shape)}")
    return Meta(g.shape[:axis] + (size,) + g.shape[axis + 1:], g.dtype)


def _scatter_kernel(ins, out: Meta, axis=0, size=1, epilogue=None):
    (g, dtype), (index, _) = ins
    return scatter_add_launches(out.shape, axis, index.size, dtype.wgsl, epilogue)


def _scatter_loop(ins, out: Meta, axis=0, size=1):
    _, index = ins
    return Form(ScatterAddLoop, ins, {"axis": axis, "size": size}, work=prod(out.shape) * index.shape[0])


def _scatter_reference(g, index, axis=0, size=1):
    np = _np()
    g = np.moveaxis(np.asarray(g), axis, 0)
    out = np.zeros((size,) + g.shape[1:], dtype=g.dtype)
    np.add.at(out, np.asarray(index) % size, g)
    return np.moveaxis(out, 0, axis)


def _scatter_sample(rng):
    (x, index), attrs = _gather_sample(rng)
    index = index.reshape(-1)
    shape = list(x.shape)
    size = shape[attrs["axis"]]
    shape[attrs["axis"]] = index.size
    return [rng.uniform(-3, 3, size=shape).astype("float32"), index], {"axis": attrs["axis"], "size": size}


register(Op("scatter_add", _scatter_infer, _scatter_reference,
            grad=lambda g, out, x, index, axis=0, size=1: (g.gather(index, axis), None),
            kernel=_scatter_kernel, loop=_scatter_loop, sample=_scatter_sample))


def _one_hot_infer(index: Meta, num_classes=2):
    _check_index("one_hot", index)
    return Meta(index.shape + (num_classes,), float32)


def _one_hot_loop(ins, out: Meta, num_classes=2):
    """An elementwise loop: element (..., c) is index[...] == c, the index read with stride 0 along c."""
    (v,) = ins
    last = Expr("infix", "i32", (index(), const(num_classes, "i32")), "%")
    return Form(Map, (View(v.shape + (num_classes,), v.strides + (0,), v.offset),),
                {"exprs": [cast(infix("==", load(0, "i32"), last), "f32")], "shape": out.shape}, work=2 * prod(out.shape))


register(Op("one_hot", _one_hot_infer,
            lambda index, num_classes=2: (_np().asarray(index)[..., None] == _np().arange(num_classes)).astype("float32"),
            kernel=lambda ins, out, num_classes=2: one_hot_launches(prod(ins[0][0].shape), num_classes),
            loop=_one_hot_loop,
            sample=lambda rng: ([rng.integers(0, 5, size=(int(rng.integers(1, 9)),)).astype("int32")], {"num_classes": 5})))
