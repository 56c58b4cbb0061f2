"""Kernels that move elements by index: gather and its gradient, one_hot, pad, cat."""
from __future__ import annotations

from math import prod

from .elementwise import elementwise_kernel
from .expr import load
from .kernel import Kernel, Launch, header, template
from .view import View, grid, render_coords


def gather_launches(x_shape, axis: int, n_index: int, type: str) -> list[Launch]:
    p, n, q = prod(x_shape[:axis]), x_shape[axis], prod(x_shape[axis + 1:])
    src = template("gather.wgsl", HEADER=header(type), T=type, P=p, N=n, Q=q, I=n_index)
    return [Launch(Kernel("gather", src, grid(p * n_index * q, 64), 2), ["in0", "in1", "out0"])]


def scatter_add_launches(out_shape, axis: int, n_index: int, type: str) -> list[Launch]:
    p, n, q = prod(out_shape[:axis]), out_shape[axis], prod(out_shape[axis + 1:])
    src = template("scatter_add.wgsl", HEADER=header(type), T=type, P=p, N=n, Q=q, I=n_index)
    return [Launch(Kernel("scatter_add", src, grid(p * n * q, 64), 2), ["in0", "in1", "out0"])]


def one_hot_launches(n_index: int, classes: int) -> list[Launch]:
    src = template("one_hot.wgsl", I=n_index, C=classes)
    return [Launch(Kernel("one_hot", src, grid(n_index * classes, 64), 1), ["in0", "out0"])]


def pad_launches(x_shape, widths, value_text: str, type: str) -> list[Launch]:
    out_shape = tuple(d + lo + hi for d, (lo, hi) in zip(x_shape, widths))
    n = prod(out_shape)
    inside = " && ".join(f"c{d} >= {lo} && c{d} < {lo + s}" for d, (s, (lo, _)) in enumerate(zip(x_shape, widths)))
    strides = View.contiguous(x_shape).strides
    source = " + ".join(f"(c{d} - {lo}) * {st}" for d, ((lo, _), st) in enumerate(zip(widths, strides)) if st) or "0"
    src = template("pad.wgsl", HEADER=header(type), T=type, N=n, COORDS="\n    ".join(render_coords(out_shape, "t")),
                   INSIDE=inside or "true", SOURCE=source, VALUE=value_text)
    return [Launch(Kernel("pad", src, grid(n, 64), 1), ["in0", "out0"])]


def cat_launches(views: list[View], out_shape, axis: int, type: str) -> list[Launch]:
    """One copy per input into its slab of the output."""
    out = View.contiguous(out_shape)
    launches, start = [], 0
    for i, v in enumerate(views):
        n = v.shape[axis]
        starts = [0] * len(out_shape)
        starts[axis] = start
        stops = list(out_shape)
        stops[axis] = start + n
        dest = out.slice(starts, stops, [1] * len(out_shape))
        if dest.size:
            k = elementwise_kernel("cat", load(0, "bool" if type == "u32" else type), [(v, type)], (dest, type))
            launches.append(Launch(k, [f"in{i}", "out0"]))
        start += n
    return launches

