r"""A loop: one unit of a single-kernel step, looping over its output elements inside the step's kernel.

An op that has a single-kernel form declares it in its registration (``Op.loop``: see
core/ops/registry.py) as a ``Form``: the views its inputs are read through and the ``Loop`` class
that renders it; matmul, the reductions and the indexing ops keep that class beside their own
kernels (matmul.py, reduce.py, indexing.py). This module holds what every loop shares: ``Loc``
(where a loop reads or writes a tensor), ``Emit`` (the WGSL of those reads and writes, the loop
over elements striped across a workgroup's invocations, and its iteration count), the elementwise
body every loop ends in (``finish``: store the value, or run the ``LoopEpilogue`` fused after it) and
``Map``, the loop of a fused elementwise group.

    >>> from webgpu_kernels.expr import call
    >>> from webgpu_kernels.view import View
    >>> x = Loc("arena", View.contiguous((8,)), "f32")
    >>> y = Loc("arena", View((8,), (1,), 8), "f32")
    >>> u = Map((8,), [call("tanh", load(0, "f32"))], [x], [[y]])
    >>> print("\n".join(u.render(Emit({"arena": "vec4<f32>"}, 1), 0)))
    for (var e = 0; e < 2; e++) {
        let f = e * 4;
        let idx = f;
        let c0 = f;
        let v0 = arena[(c0) >> 2u];
        arena[(8 + f) >> 2u] = tanh(v0);
    }
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .expr import load, render_body
from .view import View, collapse, offset_expr, render_coords


@dataclass(frozen=True)
class Loc:
    """Where a unit reads or writes a tensor. ``view`` is in elements of ``buffer`` (offset included);
    ``step`` is how many elements apart step k and step k + 1 keep their copies (0: one copy, the
    state every step shares). A scalar constant is a ``literal`` instead, with no buffer."""
    buffer: str | None
    view: View | None
    type: str                  # value type: 'f32', 'i32' or 'bool'
    step: int = 0
    literal: str | None = None

    def with_view(self, view: View) -> "Loc":
        return self if self.literal is not None else Loc(self.buffer, view, self.type, self.step)


@dataclass
class LoopEpilogue:
    """Elementwise work done on a unit's result in registers, instead of storing it: the result is
    ``inputs[slot]`` (None there), seen in ``shape`` (as many elements, row-major)."""
    shape: tuple
    exprs: list
    inputs: list
    slot: int
    outputs: list


class Emit:
    """WGSL text of reads, writes and element loops for bindings of the given element types
    (``stored``: binding name -> WGSL type) in a workgroup of ``workgroup`` invocations."""

    def __init__(self, stored: dict, workgroup: int):
        self.stored = dict(stored)
        self.wg = workgroup

    def at(self, loc: Loc, offset: str) -> str:
        """The element index of ``loc`` for view offset text ``offset`` in step k."""
        return f"{offset} + k * {loc.step}" if loc.step else offset

    def element(self, loc: Loc, offset: str) -> str:
        x = self.at(loc, offset)
        if self.stored[loc.buffer] == "vec4<f32>":
            return f"{loc.buffer}[({x}) >> 2u][({x}) & 3]"
        return f"{loc.buffer}[{x}]"

    def read(self, loc: Loc, offset: str) -> str:
        if loc.literal is not None:
            return loc.literal
        x = self.element(loc, offset)
        stored = self.stored[loc.buffer]
        if stored in ("f32", "vec4<f32>"):
            return {"f32": x, "i32": f"bitcast<i32>({x})", "bool": f"(bitcast<u32>({x}) != 0u)"}[loc.type]
        return f"({x} != 0u)" if stored == "u32" else x

    def vec4(self, loc: Loc, offset: str) -> str:
        """Four neighbours from an element offset that 4 divides (f32 in the arena only)."""
        return f"{loc.buffer}[({offset}) >> 2u]"

    def can_vec4(self, loc: Loc) -> bool:
        return loc.literal is None and self.stored[loc.buffer] == "vec4<f32>" and loc.type == "f32" and not loc.step

    def write(self, loc: Loc, offset: str, value: str) -> str:
        text = {"f32": value, "i32": f"bitcast<f32>({value})",
                "bool": f"bitcast<f32>(select(0u, 1u, {value}))"}[loc.type]
        return f"{self.element(loc, offset)} = {text};"

    def loop(self, n: int, rotate: int, body: list[str]) -> list[str]:
        """``body`` for every element ``e`` < n, striped over the invocations."""
        if n == 0:
            return []
        if self.wg == 1:
            if n == 1:
                return ["{ let e = 0;", *("    " + b for b in body), "}"]
            return [f"for (var e = 0; e < {n}; e++) {{", *("    " + b for b in body), "}"]
        # The loop bound is uniform (barriers must be reached by every invocation); small units
        # start on different invocations, so that several of them in one phase run side by side.
        start = f"(lid + {rotate}) % {self.wg}" if rotate else "lid"
        if n <= self.wg:
            return [f"{{ let e = {start};", f"    if (e < {n}) {{", *("        " + b for b in body), "    }", "}"]
        return [f"for (var b = 0; b < {n}; b += {self.wg}) {{", f"    let e = b + {start};",
                f"    if (e < {n}) {{", *("        " + b for b in body), "    }", "}"]

    def trips(self, n: int, inner: int = 0) -> int:
        """Loop iterations (back edges) one invocation runs for a unit of ``n`` elements whose
        body loops ``inner`` times: lavapipe stops every loop after 65535 of them per dispatch."""
        if n == 0:
            return 0
        outer = n if self.wg == 1 else -(-n // self.wg)
        loops = outer + 1 if outer > 1 else 0
        return loops + outer * (inner + 1 if inner else 0)



VEC = {"f32": "vec4<f32>", "i32": "vec4<i32>", "bool": "vec4<bool>", "u32": "vec4<u32>"}


def aligned4(view: View) -> bool:
    """Element offsets of ``view`` at coordinates whose last one 4 divides are multiples of 4."""
    return view.offset % 4 == 0 and all(st % 4 == 0 for st in view.strides[:-1])


def read4(em: Emit, loc: Loc, view: View, offset: str) -> str:
    """Four neighbours along the last axis of ``view`` from element ``offset``, as a vec4 value."""
    st = view.strides[-1] if view.strides else 0
    if st == 0:
        return f"{VEC[loc.type]}({em.read(loc, offset)})"
    if st == 1 and em.can_vec4(loc) and aligned4(view):
        return em.vec4(loc, offset)
    return f"{VEC[loc.type]}({', '.join(em.read(loc, f'{offset} + {j * st}') for j in range(4))})"


def write4(em: Emit, loc: Loc, offset: str, value: str) -> list[str]:
    if em.can_vec4(Loc(loc.buffer, None, "f32", loc.step)) and loc.view.offset % 4 == 0:
        text = {"f32": value, "i32": f"bitcast<vec4<f32>>({value})",
                "bool": f"bitcast<vec4<f32>>(select(vec4<u32>(0u), vec4<u32>(1u), {value}))"}[loc.type]
        return [f"{em.vec4(loc, offset)} = {text};"]
    return [em.write(loc, f"{offset} + {j}", f"{value}[{j}]") for j in range(4)]


def width_of(shape, views) -> int:
    """4 when elements can go four at a time: the last axis after collapsing is a multiple of 4."""
    dims, _ = collapse(shape, list(views))
    return 4 if dims and dims[-1] % 4 == 0 else 1


def elementwise(em: Emit, shape, exprs, inputs, outputs, given: dict, flat: str = "e", width: int = 1) -> list[str]:
    """Evaluate ``exprs`` at element ``flat`` of ``shape`` (and the next three when ``width`` is 4;
    input i is ``given[i]`` when there) and store the values."""
    strided = [l for i, l in enumerate(inputs) if i not in given and l.literal is None]
    outs = [loc for locs in outputs for loc in locs]
    shape, views = collapse(shape, [l.view for l in strided] + [l.view for l in outs])
    views = iter(views)
    body = [f"let idx = {flat};"] + render_coords(shape, flat)
    names = []
    for i, l in enumerate(inputs):
        if i in given:
            names.append(given[i])
        elif l.literal is not None:
            names.append(l.literal if width == 1 else f"{VEC[l.type]}({l.literal})")
        else:
            v = next(views)
            text = em.read(l, offset_expr(v)) if width == 1 else read4(em, l, v, offset_expr(v))
            body.append(f"let v{i} = {text};")
            names.append(f"v{i}")
    lets, values = render_body(list(exprs), names, lanes=width)
    body += lets
    for value, locs in zip(values, outputs):
        for loc in locs:
            assert loc.view.is_contiguous, loc
            off = f"{loc.view.offset} + {flat}" if loc.view.offset else flat
            body += [em.write(loc, off, value)] if width == 1 else write4(em, loc, off, value)
    return body


def epilogue_of(u) -> LoopEpilogue:
    """A unit's epilogue, or storing its value as it is."""
    if u.epilogue is not None:
        return u.epilogue
    loc = u.outputs[0]
    return LoopEpilogue(loc.view.shape, [load(0, loc.type)], [None], 0, [u.outputs])


def finish(u, em: Emit, value: str, flat: str = "e", width: int = 1) -> list[str]:
    """Store a unit's value at element ``flat``, or run its epilogue on it."""
    ep = epilogue_of(u)
    return elementwise(em, ep.shape, ep.exprs, ep.inputs, ep.outputs, {ep.slot: value}, flat, width)


def epilogue_width(u) -> int:
    ep = epilogue_of(u)
    views = [l.view for i, l in enumerate(ep.inputs) if i != ep.slot and l.literal is None]
    return width_of(ep.shape, views + [loc.view for locs in ep.outputs for loc in locs])


@dataclass(frozen=True)
class Form:
    """How an op runs as a loop of a single-kernel step: its inputs read through ``views`` (its input
    views rearranged as the loop reads them: a reduction's kept axes first, a matmul's batch
    broadcast), and ``loop(*input Locs, **attrs, outputs=..., epilogue=..., name=...)`` the unit;
    ``work`` counts multiply-adds and element visits per step (the planner weighs it)."""
    loop: type
    views: tuple
    attrs: dict
    work: int


class Loop:
    """A unit of a single-kernel step. Subclasses are dataclasses holding their input ``Loc``s, their
    ``outputs`` (the Locs each result element is stored at) and an ``epilogue``."""
    epilogue: "LoopEpilogue | None" = None

    def elements(self) -> int:
        """How many output elements the loop runs over."""
        raise NotImplementedError

    def render(self, em: Emit, rotate: int) -> list[str]:
        """The loop's WGSL (its first invocation ``rotate`` lanes along, so small loops of one phase
        run side by side)."""
        raise NotImplementedError

    def trips(self, em: Emit) -> int:
        """Loop iterations one invocation runs per step (lavapipe's budget, see single_kernel.py)."""
        return em.trips(self.elements())


@dataclass
class Map(Loop):
    """Elementwise expressions over inputs broadcast to ``shape`` (``load(i)`` reads ``inputs[i]``);
    the value of ``exprs[j]`` is stored at each Loc of ``outputs[j]`` (contiguous views)."""
    shape: tuple
    exprs: list
    inputs: list
    outputs: list
    name: str = "map"

    def width(self) -> int:
        views = [l.view for l in self.inputs if l.literal is None] + [loc.view for locs in self.outputs for loc in locs]
        return width_of(self.shape, views)

    def elements(self) -> int:
        return prod(self.shape)

    def render(self, em: Emit, rotate: int) -> list[str]:
        if self.width() == 4:
            body = ["let f = e * 4;"] + elementwise(em, self.shape, self.exprs, self.inputs, self.outputs, {}, "f", 4)
            return em.loop(prod(self.shape) // 4, rotate, body)
        return em.loop(prod(self.shape), rotate, elementwise(em, self.shape, self.exprs, self.inputs, self.outputs, {}))

    def trips(self, em: Emit) -> int:
        return em.trips(self.elements() // self.width())
