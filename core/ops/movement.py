"""Movement primitives: reshape, permute, expand and slice are views (no kernel, no copy);
pad and cat are kernels."""
from __future__ import annotations

from math import prod

from webgpu_kernels.indexing import CatLoop, cat_launches, pad_launches
from webgpu_kernels.kernel import literal
from webgpu_kernels.loop import Form

from ..dtypes import promote
from .registry import Meta, Op, ShapeError, fmt, register
from .registry import numpy as _np


def _rand(rng, rank_lo=1, rank_hi=4):
    shape = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(rank_lo, rank_hi + 1))))
    return rng.uniform(-3, 3, size=shape).astype("float32")


# reshape --------------------------------------------------------------------------------------

def _reshape_infer(x: Meta, shape=()):
    if prod(shape) != prod(x.shape):
        raise ShapeError(f"reshape: cannot reshape {fmt(x.shape)} ({prod(x.shape)} elements) "
                         f"into {fmt(shape)} ({prod(shape)} elements)")
    return Meta(tuple(shape), x.dtype)


def _reshape_sample(rng):
    x = _rand(rng)
    return [x], {"shape": (x.size,) if rng.random() < 0.5 else tuple(reversed(x.shape))}


register(Op("reshape", _reshape_infer, lambda x, shape=(): _np().reshape(x, shape),
            grad=lambda g, out, x, shape=(): (g.reshape(x.shape),),
            view=lambda v, shape=(): v.reshape(shape), sample=_reshape_sample))


# permute --------------------------------------------------------------------------------------

def _permute_infer(x: Meta, order=()):
    if sorted(order) != list(range(len(x.shape))):
        raise ShapeError(f"permute: order {tuple(order)} is not a permutation of the axes of a rank-{len(x.shape)} tensor")
    return Meta(tuple(x.shape[i] for i in order), x.dtype)


def _permute_sample(rng):
    x = _rand(rng)
    return [x], {"order": tuple(int(i) for i in rng.permutation(x.ndim))}


def _inverse(order):
    inv = [0] * len(order)
    for i, o in enumerate(order):
        inv[o] = i
    return tuple(inv)


register(Op("permute", _permute_infer, lambda x, order=(): _np().transpose(x, order),
            grad=lambda g, out, x, order=(): (g.permute(_inverse(order)),),
            view=lambda v, order=(): v.permute(order), sample=_permute_sample))


# expand ---------------------------------------------------------------------------------------

def _expand_infer(x: Meta, shape=()):
    shape = tuple(shape)
    lead = len(shape) - len(x.shape)
    if lead < 0 or any(s not in (1, n) for s, n in zip(x.shape, shape[lead:])):
        raise ShapeError(f"expand: cannot broadcast {fmt(x.shape)} to {fmt(shape)} "
                         f"(only size-1 axes and new leading axes can grow)")
    return Meta(shape, x.dtype)


def _expand_grad(g, out, x, shape=()):
    lead = len(shape) - len(x.shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(x.shape) if d == 1 and shape[lead + i] != 1)
    return (g.sum(axes, keepdims=True).reshape(x.shape) if axes else g,)


def _expand_sample(rng):
    x = _rand(rng)
    shape = tuple(d if d != 1 else 3 for d in x.shape)
    x = x[tuple(slice(0, 1) if rng.random() < 0.5 else slice(None) for _ in x.shape)]
    return [x], {"shape": (2,) + tuple(d if d != 1 else s for d, s in zip(x.shape, shape))}


register(Op("expand", _expand_infer, lambda x, shape=(): _np().broadcast_to(x, shape),
            grad=_expand_grad, view=lambda v, shape=(): v.expand(shape), sample=_expand_sample))


# slice ----------------------------------------------------------------------------------------

def _slice_infer(x: Meta, starts=(), stops=(), steps=()):
    if not len(starts) == len(stops) == len(steps) == len(x.shape):
        raise ShapeError(f"slice: needs a start, stop and step for each of the {len(x.shape)} axes")
    for ax, (b, e, s, d) in enumerate(zip(starts, stops, steps, x.shape)):
        if s == 0:
            raise ShapeError(f"slice: step 0 on axis {ax}")
        if s > 0 and not (0 <= b <= d and b <= e <= d) and e > b:
            raise ShapeError(f"slice: [{b}:{e}] is out of range for axis {ax} of size {d}")
    shape = tuple(max(0, -(-(e - b) // s)) for b, e, s in zip(starts, stops, steps))
    return Meta(shape, x.dtype)


def _slice_reference(x, starts=(), stops=(), steps=()):
    return _np().asarray(x)[tuple(slice(b, e if e >= 0 else None, s) for b, e, s in zip(starts, stops, steps))]


def _slice_grad(g, out, x, starts=(), stops=(), steps=()):
    # Unit steps pad the gradient back out; other steps scatter it to the positions they read.
    widths = []
    for ax, (b, e, s, d) in enumerate(zip(starts, stops, steps, x.shape)):
        if s == 1:
            widths.append((b, d - b - g.shape[ax]))
        else:
            g = g.scatter_add(g.new_tensor(list(range(b, e, s)), dtype="int32"), ax, d)
            widths.append((0, 0))
    return (g.pad(widths) if any(w != (0, 0) for w in widths) else g,)


def _slice_sample(rng):
    x = _rand(rng)
    starts = tuple(int(rng.integers(0, d)) for d in x.shape)
    stops = tuple(int(rng.integers(b + 1, d + 1)) for b, d in zip(starts, x.shape))
    return [x], {"starts": starts, "stops": stops, "steps": tuple(1 for _ in x.shape)}


register(Op("slice", _slice_infer, _slice_reference, grad=_slice_grad,
            view=lambda v, starts=(), stops=(), steps=(): v.slice(starts, stops, steps), sample=_slice_sample))


# pad ------------------------------------------------------------------------------------------

def _pad_infer(x: Meta, widths=(), value=0.0):
    if len(widths) != len(x.shape) or any(lo < 0 or hi < 0 for lo, hi in widths):
        raise ShapeError(f"pad: needs a (before, after) pair of non-negative widths for each of the "
                         f"{len(x.shape)} axes of {fmt(x.shape)}, got {tuple(widths)}")
    return Meta(tuple(d + lo + hi for d, (lo, hi) in zip(x.shape, widths)), x.dtype)


def _pad_kernel(ins, out: Meta, widths=(), value=0.0):
    (view, dtype), = ins
    t = dtype.value_type
    text = literal(value, t) if t != "bool" else ("1u" if value else "0u")
    return pad_launches(view.shape, widths, text, dtype.wgsl)


def _pad_sample(rng):
    x = _rand(rng)
    return [x], {"widths": tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in x.shape), "value": 0.5}


register(Op("pad", _pad_infer, lambda x, widths=(), value=0.0: _np().pad(x, widths, constant_values=value),
            grad=lambda g, out, x, widths=(), value=0.0: (g[tuple(slice(lo, lo + d) for (lo, _), d in zip(widths, x.shape))],),
            kernel=_pad_kernel, sample=_pad_sample))


# cat ------------------------------------------------------------------------------------------

def _cat_infer(*xs: Meta, axis=0):
    first = xs[0].shape
    if not -len(first) <= axis < len(first):
        raise ShapeError(f"cat: axis {axis} is out of range for tensors of rank {len(first)}")
    axis %= len(first)
    for x in xs[1:]:
        if len(x.shape) != len(first) or any(a != b for i, (a, b) in enumerate(zip(x.shape, first)) if i != axis):
            raise ShapeError(f"cat: shapes {', '.join(fmt(x.shape) for x in xs)} differ outside axis {axis}")
    shape = list(first)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return Meta(tuple(shape), promote(*(x.dtype for x in xs)))


def _cat_kernel(ins, out: Meta, axis=0):
    axis %= len(out.shape)
    return cat_launches([v for v, _ in ins], out.shape, axis, out.dtype.wgsl)


def _cat_loop(ins, out: Meta, axis=0):
    return Form(CatLoop, tuple(ins), {"axis": axis % len(out.shape), "out_type": out.dtype.value_type},
                work=2 * prod(out.shape))


def _cat_grad(g, out, *xs, axis=0):
    axis %= len(out.shape)
    grads, start = [], 0
    for x in xs:
        idx = [slice(None)] * len(out.shape)
        idx[axis] = slice(start, start + x.shape[axis])
        grads.append(g[tuple(idx)])
        start += x.shape[axis]
    return tuple(grads)


def _cat_sample(rng):
    x = _rand(rng)
    axis = int(rng.integers(0, x.ndim))
    others = []
    for _ in range(int(rng.integers(1, 3))):
        shape = list(x.shape)
        shape[axis] = int(rng.integers(1, 4))
        others.append(rng.uniform(-3, 3, size=shape).astype("float32"))
    return [x, *others], {"axis": axis}


register(Op("cat", _cat_infer, lambda *xs, axis=0: _np().concatenate(xs, axis=axis), grad=_cat_grad,
            kernel=_cat_kernel, loop=_cat_loop, sample=_cat_sample, variadic=True, strided=True))
