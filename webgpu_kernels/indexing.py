"""Kernels that move elements by index: gather and its gradient, one_hot, pad, cat."""
from __future__ import annotations

from math import prod

from .elementwise import elementwise_launch
from .expr import load
from .kernel import Kernel, Launch, header, template
from .view import Sizes, View, grid, render_coords


def _any_size(name: str, file: str, args: list[str], threads: int, type: str = "", **sizes) -> Launch:
    """A kernel of ``file`` whose ``sizes`` come from its ``dims`` uniform: one pipeline for every shape."""
    s = Sizes(generic=True)
    subs = {key: s(value) for key, value in sizes.items()}
    src = template(file, HEADER=header(type) if type else "", T=type, SIZES=s.declaration(len(args)), **subs)
    return Launch(Kernel(name, src, grid(threads, 64), len(args) - 1), args + s.args, consts=s.consts)


def gather_launches(x_shape, axis: int, n_index: int, type: str) -> list[Launch]:
    p, n, q = prod(x_shape[:axis]), x_shape[axis], prod(x_shape[axis + 1:])
    return [_any_size("gather", "gather.wgsl", ["in0", "in1", "out0"], p * n_index * q, type,
                      P=p, N=n, Q=q, I=n_index)]


def scatter_add_launches(out_shape, axis: int, n_index: int, type: str) -> list[Launch]:
    p, n, q = prod(out_shape[:axis]), out_shape[axis], prod(out_shape[axis + 1:])
    return [_any_size("scatter_add", "scatter_add.wgsl", ["in0", "in1", "out0"], p * n * q, type,
                      P=p, N=n, Q=q, I=n_index)]


def one_hot_launches(n_index: int, classes: int) -> list[Launch]:
    return [_any_size("one_hot", "one_hot.wgsl", ["in0", "out0"], n_index * classes, I=n_index, C=classes)]


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
        if dest.size:      # shape-generic: the slab's offset is a size, so every slab shares one pipeline
            launch = elementwise_launch("cat", load(0, "bool" if type == "u32" else type), [(v, type)], (dest, type))
            launch.args = [f"in{i}" if a == "in0" else a for a in launch.args]
            launches.append(launch)
        start += n
    return launches

