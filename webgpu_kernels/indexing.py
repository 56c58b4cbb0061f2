"""Kernels that move elements by index: gather and its gradient, one_hot, pad, cat."""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from string import Template

from .elementwise import elementwise_launch
from .epilogue import Epilogue, n_bindings, render_store, tail_args
from .expr import load
from .kernel import Kernel, Launch, header, template
from .loop import Emit, Loc, Loop, LoopEpilogue, finish
from .view import Sizes, View, grid, offset_expr, render_coords


def _any_size(name: str, file: str, args: list[str], threads: int, type: str = "", **sizes) -> Launch:
    """A kernel of ``file`` whose ``sizes`` come from its ``dims`` uniform: one pipeline for every shape."""
    s = Sizes(generic=True)
    subs = {key: s(value) for key, value in sizes.items()}
    src = template(file, HEADER=header(type) if type else "", T=type, SIZES=s.declaration(len(args)), **subs)
    return Launch(Kernel(name, src, grid(threads, 64), len(args) - 1), args + s.args, consts=s.consts)


def _storing(name: str, file: str, n_inputs: int, value: str, type: str, out_shape, threads: int,
             epilogue: Epilogue | None, load: str = "", **sizes) -> Launch:
    """A shape-generic kernel of ``file`` that hands its value (WGSL type ``value``) to ``store(t, v)``:
    its output, or graph mode's epilogue (the ops fused after it)."""
    s = Sizes(generic=True)
    subs = {key: s(v) for key, v in sizes.items()}
    store = render_store(n_inputs, value, type, out_shape, epilogue, s)
    args = [f"in{k}" for k in range(n_inputs)] + tail_args(epilogue, n_inputs)
    types = [type] + ([t for _, t in epilogue.inputs + epilogue.outputs] if epilogue else [])
    src = template(file, HEADER=header(*types), T=type, STORE=store, LOAD=Template(load).substitute(subs), **subs,
                   SIZES=s.declaration(n_inputs + n_bindings(epilogue)))
    return Launch(Kernel(name + ("_fused" if epilogue else ""), src, grid(threads, 64), n_inputs, n_bindings(epilogue)),
                  args + s.args, consts=s.consts)


def gather_launches(x_shape, axis: int, n_index: int, type: str, epilogue: Epilogue | None = None) -> list[Launch]:
    p, n, q = prod(x_shape[:axis]), x_shape[axis], prod(x_shape[axis + 1:])
    value, load = ("bool", "(x[(p * ${N} + j) * ${Q} + q] != 0u)") if type == "u32" else \
        (type, "x[(p * ${N} + j) * ${Q} + q]")
    return [_storing("gather", "gather.wgsl", 2, value, type, x_shape[:axis] + (n_index,) + x_shape[axis + 1:],
                     p * n_index * q, epilogue, load, P=p, N=n, Q=q, I=n_index)]


def scatter_add_launches(out_shape, axis: int, n_index: int, type: str, epilogue: Epilogue | None = None) -> list[Launch]:
    p, n, q = prod(out_shape[:axis]), out_shape[axis], prod(out_shape[axis + 1:])
    return [_storing("scatter_add", "scatter_add.wgsl", 2, type, type, out_shape, p * n * q, epilogue,
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



# ---- the single-kernel form: a loop over outputs inside a step's kernel (see loop.py) ----

def _split(shape, axis):
    return prod(shape[:axis]), shape[axis], prod(shape[axis + 1:])


def _at_pq(loc: Loc, axis: int, p: str, mid: str, q: str) -> tuple[list[str], str]:
    """Element offset of ``loc`` at flat outer position p, position ``mid`` along axis, flat inner q."""
    v = loc.view
    outer = View(v.shape[:axis], v.strides[:axis], 0)
    inner = View(v.shape[axis + 1:], v.strides[axis + 1:], 0)
    lines_p = render_coords(outer.shape, p, "gp")
    lines_q = render_coords(inner.shape, q, "gq")
    offset = f"{v.offset} + {offset_expr(outer, 'gp')} + {mid} * {v.strides[axis]} + {offset_expr(inner, 'gq')}"
    return lines_p + lines_q, offset


def _index_at(em: Emit, index: Loc, i: str, n: int) -> list[str]:
    """Lines binding ``j``: the index at flat position ``i``, negative counted from the end, clamped."""
    lines = render_coords(index.view.shape, i, "gi")
    return lines + [f"var j = {em.read(index, offset_expr(index.view, 'gi'))};",
                    f"j = clamp(select(j, j + {n}, j < 0), 0, {n - 1});"]


def _render_gather(u: GatherLoop, em: Emit, rotate: int) -> list[str]:
    p_, n, q_ = _split(u.x.view.shape, u.axis)
    n_index = prod(u.index.view.shape)
    body = [f"let q = e % {q_};", f"let i = (e / {q_}) % {n_index};", f"let p = e / {q_ * n_index};"]
    body += _index_at(em, u.index, "i", n)
    lines, off = _at_pq(u.x, u.axis, "p", "j", "q")
    body += lines + [f"let value = {em.read(u.x, off)};"]
    body += finish(u, em, "value")
    return em.loop(p_ * n_index * q_, rotate, body)


def _render_scatter_add(u: ScatterAddLoop, em: Emit, rotate: int) -> list[str]:
    p_, n_index, q_ = _split(u.g.view.shape, u.axis)
    n = u.size
    t = u.g.type
    body = [f"let q = e % {q_};", f"let slot = (e / {q_}) % {n};", f"let p = e / {q_ * n};", f"var acc = {t}(0);",
            f"for (var i = 0; i < {n_index}; i++) {{"]
    inner = _index_at(em, u.index, "i", n)
    lines, off = _at_pq(u.g, u.axis, "p", "i", "q")
    inner += lines + [f"if (j == slot) {{ acc = acc + {em.read(u.g, off)}; }}"]
    body += ["    " + ln for ln in inner] + ["}"]
    body += finish(u, em, "acc")
    return em.loop(p_ * n * q_, rotate, body)


class CatLoop(Loop):
    """The inputs side by side along ``axis``: one loop per input over its slab of the output."""

    def __init__(self, *inputs: Loc, axis: int, out_type: str, outputs: list, epilogue: LoopEpilogue | None = None,
                 name: str = "cat"):
        self.inputs, self.axis, self.out_type = inputs, axis, out_type
        self.outputs, self.epilogue, self.name = outputs, epilogue, name

    def _slabs(self):
        """(input, its size along the axis, where its slab starts), and the outer and inner sizes."""
        first = self.inputs[0].view.shape
        starts, at = [], 0
        for x in self.inputs:
            starts.append((x, x.view.shape[self.axis], at))
            at += x.view.shape[self.axis]
        return starts, prod(first[:self.axis]), at, prod(first[self.axis + 1:])

    def elements(self) -> int:
        _, p, total, q = self._slabs()
        return p * total * q

    def trips(self, em: Emit) -> int:
        slabs, p, _, q = self._slabs()
        return sum(em.trips(p * n * q) for _, n, _ in slabs)

    def render(self, em: Emit, rotate: int) -> list[str]:
        slabs, p, total, q = self._slabs()
        lines = []
        for x, n, start in slabs:
            body = [f"let q = e % {q};", f"let a = (e / {q}) % {n};", f"let p = e / {q * n};"]
            coords, off = _at_pq(x, self.axis, "p", "a", "q")
            value = em.read(x, off)
            body += coords + [f"let value = {value if x.type == self.out_type else f'{self.out_type}({value})'};",
                              f"let f = (p * {total} + {start} + a) * {q} + q;"]
            body += finish(self, em, "value", "f")
            lines += em.loop(p * n * q, rotate, body)
            rotate += p * n * q
        return lines


@dataclass
class GatherLoop(Loop):
    """out[p, i, q] = x[p, index[i], q] along ``axis`` of x (negative indices count from the end)."""
    x: Loc
    index: Loc
    axis: int
    outputs: list
    epilogue: LoopEpilogue | None = None
    name: str = "gather"

    def elements(self) -> int:
        p, _, q = _split(self.x.view.shape, self.axis)
        return p * prod(self.index.view.shape) * q

    render = _render_gather


@dataclass
class ScatterAddLoop(Loop):
    """out[p, n, q] = sum of g[p, i, q] over the i where index[i] == n (n < size)."""
    g: Loc
    index: Loc
    axis: int
    size: int
    outputs: list
    epilogue: LoopEpilogue | None = None
    name: str = "scatter_add"

    def elements(self) -> int:
        p, _, q = _split(self.g.view.shape, self.axis)
        return p * self.size * q

    def trips(self, em: Emit) -> int:
        return em.trips(self.elements(), prod(self.index.view.shape))

    render = _render_scatter_add
