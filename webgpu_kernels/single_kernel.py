"""One WGSL kernel that runs a whole traced step, K steps per dispatch (see core/graph/single_kernel.py).

The program is data: bindings, and units grouped in phases. A unit is a loop over its output
elements (elementwise expressions, a matmul, a reduction, a gather ...), read and written through
``Loc``s: a binding, a strided view and, for stacked arguments and outputs, the distance between
one step's copy and the next. Units of one phase do not depend on each other; phases are
separated by a barrier. Two shapes of kernel come from one program:

* ``workgroup``: one workgroup of 64 invocations; each unit's elements are striped over the
  invocations, and a ``storageBarrier()`` separates phases (and steps);
* ``small_workgroup``: the same with 4 invocations, one SIMD group of a CPU adapter;
* ``invocation``: one invocation runs every unit in order, with no barrier at all.

    for (var k = 0; k < 100; k++) {                      // the steps of this dispatch
        for (var b = 0; b < 80; b += 64) {               // a unit of 80 elements
            let e = b + (lid + 0) % 64;
            if (e < 80) { ... arena[208 + e] = tanh(...); }
        }
        storageBarrier();                                // the next phase reads what this one wrote
        ...
    }

Every tensor of the step but the arguments and the outputs lives in one ``arena`` binding of
vec4<f32>: int32 and bool values are stored there by bit pattern (``bitcast``), so a step binds
few buffers whatever its size (browsers allow 8 storage buffers per shader stage).

What sets the speed on lavapipe, measured: every storage load or store is a loop over the SIMD
lanes, 5-10 ns each whatever its width, while arithmetic is nearly free. So elementwise work goes
four elements at a time where the layout allows (vec4 loads, ``render_value`` with lanes=4), a matmul
invocation computes an 8x8 block of outputs from vec4 loads (8 multiply-adds per value loaded),
and the elementwise ops after a matmul or a reduction run on its result in registers (an
``Epilogue``) instead of through memory.

lavapipe also stops every loop of a shader, silently, after 65535 iterations counted over all of
its loops together (Mesa's LP_MAX_TGSI_LOOP_ITERATIONS): ``trips_per_step`` counts them, and a
call whose steps would pass that budget runs as several dispatches of the same kernel, each
advancing a step counter kept in the arena.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from .expr import load, render_body
from .kernel import Kernel
from .reduce import _INIT, _UPDATE, _acc_type
from .view import View, collapse, offset_expr, render_coords

# Invocations per workgroup of each variant. CPU adapters run a workgroup's invocations a SIMD
# group at a time (SwiftShader: 4 lanes), one group after another, and every group walks the whole
# program, its idle lanes masked: on SwiftShader a 2-8-8-1 step took 447 us at 64 invocations and
# 40 us at 4; lavapipe's loop limit and barriers favour one invocation for steps that small.
VARIANTS = {"workgroup": 64, "small_workgroup": 4, "invocation": 1}


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


@dataclass(frozen=True)
class Binding:
    name: str
    stored: str                # WGSL element type: 'f32', 'i32' or 'u32' (bool)
    write: bool = False


@dataclass
class Map:
    """Elementwise expressions over inputs broadcast to ``shape`` (``load(i)`` reads ``inputs[i]``);
    the value of ``exprs[j]`` is stored at each Loc of ``outputs[j]`` (contiguous views)."""
    shape: tuple
    exprs: list
    inputs: list
    outputs: list
    name: str = "map"


@dataclass
class Epilogue:
    """Elementwise work done on a unit's result in registers, instead of storing it: the result is
    ``inputs[slot]`` (None there), seen in ``shape`` (as many elements, row-major)."""
    shape: tuple
    exprs: list
    inputs: list
    slot: int
    outputs: list


# The units below store their result at each Loc of ``outputs`` (contiguous views), or hand it
# to their ``epilogue``.

@dataclass
class Matmul:
    """(..., M, K) @ (..., K, N): ``a`` and ``b`` already broadcast to the output's batch shape."""
    a: Loc
    b: Loc
    outputs: list
    epilogue: Epilogue | None = None
    name: str = "matmul"


@dataclass
class Reduce:
    """``kind`` (sum, max, min, argmax) over the trailing axes of ``x`` after its first ``n_kept``."""
    kind: str
    x: Loc
    n_kept: int
    out_type: str
    outputs: list
    epilogue: Epilogue | None = None
    name: str = "reduce"


@dataclass
class Gather:
    """out[p, i, q] = x[p, index[i], q] along ``axis`` of x (negative indices count from the end)."""
    x: Loc
    index: Loc
    axis: int
    outputs: list
    epilogue: Epilogue | None = None
    name: str = "gather"


@dataclass
class ScatterAdd:
    """out[p, n, q] = sum of g[p, i, q] over the i where index[i] == n (n < size)."""
    g: Loc
    index: Loc
    axis: int
    size: int
    outputs: list
    epilogue: Epilogue | None = None
    name: str = "scatter_add"


@dataclass
class Program:
    bindings: list
    phases: list               # list of lists of units
    steps: int
    name: str = "single_kernel"
    notes: dict = field(default_factory=dict)


def units_of(program: Program):
    return [u for phase in program.phases for u in phase]


def elements(unit) -> int:
    """How many output elements ``unit`` loops over."""
    if isinstance(unit, Map):
        return prod(unit.shape)
    if isinstance(unit, Matmul):
        return prod(unit.a.view.shape[:-1]) * unit.b.view.shape[-1]
    if isinstance(unit, Reduce):
        return prod(unit.x.view.shape[:unit.n_kept])
    if isinstance(unit, Gather):
        v = unit.x.view.shape
        return prod(v[:unit.axis]) * prod(unit.index.view.shape) * prod(v[unit.axis + 1:])
    return prod(unit.g.view.shape[:unit.axis]) * unit.size * prod(unit.g.view.shape[unit.axis + 1:])


# ---- reading and writing through a Loc --------------------------------------------------------

class _Emit:
    def __init__(self, program: Program, workgroup: int):
        self.stored = {b.name: b.stored for b in program.bindings}
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

    def store_all(self, locs, flat: str, value: str) -> list[str]:
        out = []
        for loc in locs:
            assert loc.view.is_contiguous, loc
            out.append(self.write(loc, f"{loc.view.offset} + {flat}" if loc.view.offset else flat, value))
        return out

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


# ---- units ------------------------------------------------------------------------------------

_VEC = {"f32": "vec4<f32>", "i32": "vec4<i32>", "bool": "vec4<bool>", "u32": "vec4<u32>"}


def _aligned4(view: View) -> bool:
    """Element offsets of ``view`` at coordinates whose last one 4 divides are multiples of 4."""
    return view.offset % 4 == 0 and all(st % 4 == 0 for st in view.strides[:-1])


def _read4(em: _Emit, loc: Loc, view: View, offset: str) -> str:
    """Four neighbours along the last axis of ``view`` from element ``offset``, as a vec4 value."""
    st = view.strides[-1] if view.strides else 0
    if st == 0:
        return f"{_VEC[loc.type]}({em.read(loc, offset)})"
    if st == 1 and em.can_vec4(loc) and _aligned4(view):
        return em.vec4(loc, offset)
    return f"{_VEC[loc.type]}({', '.join(em.read(loc, f'{offset} + {j * st}') for j in range(4))})"


def _write4(em: _Emit, loc: Loc, offset: str, value: str) -> list[str]:
    if em.can_vec4(Loc(loc.buffer, None, "f32", loc.step)) and loc.view.offset % 4 == 0:
        text = {"f32": value, "i32": f"bitcast<vec4<f32>>({value})",
                "bool": f"bitcast<vec4<f32>>(select(vec4<u32>(0u), vec4<u32>(1u), {value}))"}[loc.type]
        return [f"{em.vec4(loc, offset)} = {text};"]
    return [em.write(loc, f"{offset} + {j}", f"{value}[{j}]") for j in range(4)]


def width_of(shape, views) -> int:
    """4 when elements can go four at a time: the last axis after collapsing is a multiple of 4."""
    dims, _ = collapse(shape, list(views))
    return 4 if dims and dims[-1] % 4 == 0 else 1


def _elementwise(em: _Emit, shape, exprs, inputs, outputs, given: dict, flat: str = "e", width: int = 1) -> list[str]:
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
            names.append(l.literal if width == 1 else f"{_VEC[l.type]}({l.literal})")
        else:
            v = next(views)
            text = em.read(l, offset_expr(v)) if width == 1 else _read4(em, l, v, offset_expr(v))
            body.append(f"let v{i} = {text};")
            names.append(f"v{i}")
    lets, values = render_body(list(exprs), names, lanes=width)
    body += lets
    for value, locs in zip(values, outputs):
        for loc in locs:
            assert loc.view.is_contiguous, loc
            off = f"{loc.view.offset} + {flat}" if loc.view.offset else flat
            body += [em.write(loc, off, value)] if width == 1 else _write4(em, loc, off, value)
    return body


def _epilogue(u) -> Epilogue:
    """A unit's epilogue, or storing its value as it is."""
    if u.epilogue is not None:
        return u.epilogue
    loc = u.outputs[0]
    return Epilogue(loc.view.shape, [load(0, loc.type)], [None], 0, [u.outputs])


def _finish(u, em: _Emit, value: str, flat: str = "e", width: int = 1) -> list[str]:
    """Store a unit's value at element ``flat``, or run its epilogue on it."""
    ep = _epilogue(u)
    return _elementwise(em, ep.shape, ep.exprs, ep.inputs, ep.outputs, {ep.slot: value}, flat, width)


def _epilogue_width(u) -> int:
    ep = _epilogue(u)
    views = [l.view for i, l in enumerate(ep.inputs) if i != ep.slot and l.literal is None]
    return width_of(ep.shape, views + [loc.view for locs in ep.outputs for loc in locs])


def _map_width(u: Map) -> int:
    views = [l.view for l in u.inputs if l.literal is None] + [loc.view for locs in u.outputs for loc in locs]
    return width_of(u.shape, views)


def _map(u: Map, em: _Emit, rotate: int) -> list[str]:
    if _map_width(u) == 4:
        body = ["let f = e * 4;"] + _elementwise(em, u.shape, u.exprs, u.inputs, u.outputs, {}, "f", 4)
        return em.loop(prod(u.shape) // 4, rotate, body)
    return em.loop(prod(u.shape), rotate, _elementwise(em, u.shape, u.exprs, u.inputs, u.outputs, {}))


BLOCK_ROWS, BLOCK_COLS = 8, 8   # outputs per invocation of a matmul: each value loaded feeds several multiply-adds
# Matmul blocks shrink until each lane of one SIMD group has one (lavapipe: 8 lanes, SwiftShader 4):
# past that, smaller blocks only cost more loads (2-64-64-1 on lavapipe: 3,600 steps/s with 4x8
# blocks for all 64 invocations, 3,950 with 8x8 blocks for half of them).
SIMD_LANES = 8


def _matmul_shape(u: Matmul, lanes: int):
    """Batch, m, k, n, the block's rows and columns, and the number of blocks. Blocks shrink
    (rows first, then columns down to 4) until there is one for each of ``lanes``."""
    *batch, m, kk = u.a.view.shape
    n = u.b.view.shape[-1]
    r, c = min(BLOCK_ROWS, m), min(BLOCK_COLS, n)
    if c > 4:
        c -= c % 4                     # whole vec4 groups of columns
    count = lambda r, c: prod(batch) * -(-m // r) * -(-n // c)
    while count(r, c) < lanes and (r > 1 or c >= 8):
        r, c = (r // 2, c) if r > 1 else (r, c // 2)
    return tuple(batch), m, kk, n, r, c, count(r, c)


def _vec4_axis(em: _Emit, loc: Loc) -> int | None:
    """The inner axis (-1 or -2) along which ``loc`` can be read as aligned vec4s, or None."""
    v = loc.view
    if not em.can_vec4(loc) or v.offset % 4 or any(st % 4 for st in v.strides[:-2]):
        return None
    for axis in (-1, -2):
        other = -3 - axis
        if v.strides[axis] == 1 and v.strides[other] % 4 == 0:
            return axis
    return None


def _matmul(u: Matmul, em: _Emit, rotate: int) -> list[str]:
    """Each element of the loop is a block of up to R x C outputs (rows row0.., columns col0..,
    held as vec4s of four columns); the k loop goes 4 at a time, reading vec4s from the arena
    where a layout allows (each load is a loop over SIMD lanes on lavapipe, so loads, not
    multiply-adds, set the speed)."""
    a, b = u.a, u.b
    batch, m, kk, n, R, C, nblocks = _matmul_shape(u, min(em.wg, SIMD_LANES))
    G = -(-C // 4)                                       # vec4 groups of columns
    nbr, nbc = -(-m // R), -(-n // C)
    nb = len(batch)
    sam, sak = a.view.strides[-2:]
    sbk, sbn = b.view.strides[-2:]
    body = [f"let col0 = (e % {nbc}) * {C};", f"let row0 = ((e / {nbc}) % {nbr}) * {R};"]
    if nb:
        body.append(f"let z = e / {nbr * nbc};")
        body += render_coords(batch, "z", "bz")
    body.append(f"let a_base = {offset_expr(View(batch, a.view.strides[:nb], a.view.offset), 'bz')};")
    body.append(f"let b_base = {offset_expr(View(batch, b.view.strides[:nb], b.view.offset), 'bz')};")
    # Rows and columns past the edge read the last one (in bounds); their results are not stored.
    rows = [f"a_base + min(row0 + {r}, {m - 1}) * {sam}" if m % R else f"a_base + (row0 + {r}) * {sam}"
            for r in range(R)]
    cols = [f"b_base + min(col0 + {c}, {n - 1}) * {sbn}" if n % C else f"b_base + (col0 + {c}) * {sbn}"
            for c in range(C)]
    body += [f"let ar{r} = {x};" for r, x in enumerate(rows)] + [f"let bc{c} = {x};" for c, x in enumerate(cols)]
    body += [f"var acc{r}_{g} = vec4<f32>();" for r in range(R) for g in range(G)]
    a_axis, b_axis = _vec4_axis(em, a), _vec4_axis(em, b)
    if a_axis == -2 and (R % 4 or m % 4):
        a_axis = None
    if b_axis == -1 and (C % 4 or n % 4):
        b_axis = None
    pad = lambda xs: xs + ["0.0"] * (4 - len(xs))

    def step(kx: str, width: int) -> list[str]:
        """Multiply-adds for k = kx .. kx + width - 1 (vec4 loads only when width is 4)."""
        lines, a_val, b_vec = [], {}, {}
        if width == 4 and a_axis == -1:                 # a[r][k .. k+3]
            lines += [f"let ak{r} = {em.vec4(a, f'ar{r} + {kx}')};" for r in range(R)]
            a_val = {(r, j): f"ak{r}[{j}]" for r in range(R) for j in range(4)}
        elif width == 4 and a_axis == -2:               # a[row0 + 4h .. row0 + 4h + 3][k]
            lines += [f"let ak{h}_{j} = {em.vec4(a, f'a_base + row0 + {4 * h} + ({kx} + {j}) * {sak}')};"
                      for h in range(R // 4) for j in range(4)]
            a_val = {(r, j): f"ak{r // 4}_{j}[{r % 4}]" for r in range(R) for j in range(4)}
        else:
            for r in range(R):
                for j in range(width):
                    lines.append(f"let ak{r}_{j} = {em.read(a, f'ar{r} + ({kx} + {j}) * {sak}')};")
                    a_val[r, j] = f"ak{r}_{j}"
        if width == 4 and b_axis == -1:                 # b[k][col0 + 4g .. col0 + 4g + 3]
            lines += [f"let bk{j}_{g} = {em.vec4(b, f'b_base + col0 + {4 * g} + ({kx} + {j}) * {sbk}')};"
                      for j in range(4) for g in range(G)]
            b_vec = {(j, g): f"bk{j}_{g}" for j in range(4) for g in range(G)}
        elif width == 4 and b_axis == -2:               # b[k .. k+3][c]
            lines += [f"let bk{c} = {em.vec4(b, f'bc{c} + {kx}')};" for c in range(C)]
            b_vec = {(j, g): f"vec4<f32>({', '.join(pad([f'bk{c}[{j}]' for c in range(4 * g, min(C, 4 * g + 4))]))})"
                     for j in range(4) for g in range(G)}
        else:
            for j in range(width):
                for g in range(G):
                    vals = [em.read(b, f"bc{c} + ({kx} + {j}) * {sbk}") for c in range(4 * g, min(C, 4 * g + 4))]
                    b_vec[j, g] = f"vec4<f32>({', '.join(pad(vals))})"
        for j in range(width):
            lines += [f"acc{r}_{g} = acc{r}_{g} + {a_val[r, j]} * {b_vec[j, g]};" for r in range(R) for g in range(G)]
        return lines

    k4 = kk - kk % 4
    if k4 == 4:
        body += ["{ let k4 = 0;", *("    " + ln for ln in step("k4", 4)), "}"]
    elif k4:
        body += [f"for (var k4 = 0; k4 < {k4}; k4 += 4) {{", *("    " + ln for ln in step("k4", 4)), "}"]
    if kk % 4:
        body += ["{", *("    " + ln for ln in step(str(k4), kk % 4)), "}"]
    wide = C % 4 == 0 and n % 4 == 0 and _epilogue_width(u) == 4
    for r in range(R):
        for c in range(0, C, 4) if wide else range(C):
            guard = " && ".join(x for x in ((f"row0 + {r} < {m}" if m % R else ""),
                                            (f"col0 + {c} < {n}" if n % C else "")) if x)
            flat = f"(row0 + {r}) * {n} + col0 + {c}" + (f" + z * {m * n}" if nb else "")
            inner = [f"let f = {flat};"] + (_finish(u, em, f"acc{r}_{c // 4}", "f", 4) if wide else
                                            _finish(u, em, f"acc{r}_{c // 4}[{c % 4}]", "f"))
            if guard:
                body += [f"if ({guard}) {{", *("    " + ln for ln in inner), "}"]
            else:
                body += ["{", *("    " + ln for ln in inner), "}"]
    return em.loop(nblocks, rotate, body)


def _matmul_trips(u: Matmul, em: _Emit) -> int:
    *_, kk, _, _, _, nblocks = _matmul_shape(u, min(em.wg, SIMD_LANES))
    return em.trips(nblocks, kk // 4 if kk >= 8 else 0)


def _reduce_parts(u: Reduce):
    x = u.x.view
    outer_shape, inner_shape = x.shape[:u.n_kept], x.shape[u.n_kept:]
    outer, [ov] = collapse(outer_shape, [View(outer_shape, x.strides[:u.n_kept], x.offset)])
    inner, [iv] = collapse(inner_shape, [View(inner_shape, x.strides[u.n_kept:], 0)])
    return outer_shape, inner_shape, outer, ov, inner, iv


def _reduce_width(u: Reduce) -> int:
    outer_shape, _, outer, *_ = _reduce_parts(u)
    if u.kind == "argmax" or not outer or outer[-1] % 4:
        return 1
    return _epilogue_width(u)


def _reduce(u: Reduce, em: _Emit, rotate: int) -> list[str]:
    """One output per element of the loop (four neighbouring outputs, read as vec4s where the
    layout allows, when the kept axes end in a multiple of 4)."""
    outer_shape, inner_shape, outer, ov, inner, iv = _reduce_parts(u)
    acc = _acc_type(u.x.type if u.x.type != "bool" else "i32")
    width = _reduce_width(u)
    offset = f"base + {offset_expr(iv, 'q')}"
    if width == 1:
        read = em.read(u.x, offset)
        if u.x.type == "bool":
            read = f"select(0, 1, {read})"
        init, update = _INIT[u.kind, acc], _UPDATE[u.kind, acc]
        result = "arg" if u.kind == "argmax" else ("acc" if u.out_type == acc else f"{u.out_type}(acc)")
        flat, lead, n = "e", [], prod(outer_shape)
    else:
        # Read as a view whose last axis is the last kept one, so four outputs are four lanes.
        v = View(tuple(outer[:-1]) + tuple(inner) + (outer[-1],),
                 tuple(ov.strides[:-1]) + tuple(iv.strides) + (ov.strides[-1],), ov.offset)
        read = _read4(em, u.x, v, offset)
        if u.x.type == "bool":
            read = f"select(vec4<i32>(0), vec4<i32>(1), {read})"
        init = f"{_VEC[acc]}({_INIT[u.kind, acc]})"
        nan = "((bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u))"
        update = {("sum", "f32"): "acc = acc + v;", ("sum", "i32"): "acc = acc + v;",
                  ("max", "f32"): f"acc = select(acc, v, (v > acc) | {nan});",
                  ("min", "f32"): f"acc = select(acc, v, (v < acc) | {nan});",
                  ("max", "i32"): "acc = max(acc, v);", ("min", "i32"): "acc = min(acc, v);"}[u.kind, acc]
        result = "acc" if u.out_type == acc else f"{_VEC[u.out_type]}(acc)"
        flat, lead, n = "f", ["let f = e * 4;"], prod(outer_shape) // 4
    body = lead + render_coords(outer, flat, "p") + [
        f"let base = {offset_expr(ov, 'p')};", f"var acc = {init};", "var arg = 0;",
        f"for (var j = 0; j < {prod(inner_shape)}; j++) {{",
        *("    " + ln for ln in render_coords(inner, "j", "q")),
        f"    let v = {read};", f"    {update}", "}"]
    body += _finish(u, em, result, flat, width)
    return em.loop(n, rotate, body)


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


def _index_at(em: _Emit, index: Loc, i: str, n: int) -> list[str]:
    """Lines binding ``j``: the index at flat position ``i``, negative counted from the end, clamped."""
    lines = render_coords(index.view.shape, i, "gi")
    return lines + [f"var j = {em.read(index, offset_expr(index.view, 'gi'))};",
                    f"j = clamp(select(j, j + {n}, j < 0), 0, {n - 1});"]


def _gather(u: Gather, em: _Emit, rotate: int) -> list[str]:
    p_, n, q_ = _split(u.x.view.shape, u.axis)
    n_index = prod(u.index.view.shape)
    body = [f"let q = e % {q_};", f"let i = (e / {q_}) % {n_index};", f"let p = e / {q_ * n_index};"]
    body += _index_at(em, u.index, "i", n)
    lines, off = _at_pq(u.x, u.axis, "p", "j", "q")
    body += lines + [f"let value = {em.read(u.x, off)};"]
    body += _finish(u, em, "value")
    return em.loop(p_ * n_index * q_, rotate, body)


def _scatter_add(u: ScatterAdd, em: _Emit, rotate: int) -> list[str]:
    p_, n_index, q_ = _split(u.g.view.shape, u.axis)
    n = u.size
    t = u.g.type
    body = [f"let q = e % {q_};", f"let slot = (e / {q_}) % {n};", f"let p = e / {q_ * n};", f"var acc = {t}(0);",
            f"for (var i = 0; i < {n_index}; i++) {{"]
    inner = _index_at(em, u.index, "i", n)
    lines, off = _at_pq(u.g, u.axis, "p", "i", "q")
    inner += lines + [f"if (j == slot) {{ acc = acc + {em.read(u.g, off)}; }}"]
    body += ["    " + ln for ln in inner] + ["}"]
    body += _finish(u, em, "acc")
    return em.loop(p_ * n * q_, rotate, body)


_RENDER = {Map: _map, Matmul: _matmul, Reduce: _reduce, Gather: _gather, ScatterAdd: _scatter_add}

# Back edges one invocation may take per dispatch, by adapter: Mesa's gallivm (lavapipe) counts the
# iterations of all loops of a shader together and leaves every loop after 65535 of them, silently
# (LP_MAX_TGSI_LOOP_ITERATIONS in lp_bld_limits.h); results are then wrong with no error raised.
LOOP_BUDGETS = {"llvmpipe": 65535 - 512}


def loop_budget(adapter_name: str) -> int | None:
    return next((v for k, v in LOOP_BUDGETS.items() if k in adapter_name.lower()), None)


def trips_per_step(program: Program, variant: str) -> int:
    """Loop iterations one invocation runs per step of ``program`` rendered as ``variant``."""
    em = _Emit(program, VARIANTS[variant])
    total = 1                                        # the step loop itself
    for u in units_of(program):
        if isinstance(u, Matmul):
            total += _matmul_trips(u, em)
        elif isinstance(u, Reduce):
            total += em.trips(elements(u) // _reduce_width(u), prod(u.x.view.shape[u.n_kept:]))
        elif isinstance(u, Map):
            total += em.trips(elements(u) // _map_width(u))
        elif isinstance(u, ScatterAdd):
            total += em.trips(elements(u), prod(u.index.view.shape))
        else:
            total += em.trips(elements(u))
    return total


def steps_per_dispatch(program: Program, variant: str, adapter_name: str) -> int:
    """How many steps one dispatch may run on this adapter (0: not even one)."""
    budget = loop_budget(adapter_name)
    if budget is None:
        return program.steps
    return min(program.steps, budget // trips_per_step(program, variant))


COUNTER = 0     # arena element holding the first step of the next dispatch, when a call takes several


def render(program: Program, variant: str = "workgroup", per_dispatch: int | None = None) -> tuple[Kernel, list[str]]:
    """The WGSL of ``program`` as one kernel of the given shape (see the module docstring). With
    ``per_dispatch`` below ``program.steps``, a dispatch runs that many steps from the one the
    counter in arena element COUNTER names, and advances it: a call dispatches it several times.
    Returns the kernel and the names of the bindings it takes, in order."""
    if variant not in VARIANTS:
        raise ValueError(f"single kernel: unknown variant {variant!r}; there are {', '.join(VARIANTS)}")
    wg = VARIANTS[variant]
    steps = program.steps
    chunked = per_dispatch is not None and per_dispatch < steps
    em = _Emit(program, wg)
    lines = [f"// {program.name}: {steps} step(s) a call, {per_dispatch if chunked else steps} a dispatch, "
             f"{len(program.phases)} phases a step, variant {variant}"]
    for i, b in enumerate(program.bindings):
        access = "read_write" if b.write else "read"
        lines.append(f"@group(0) @binding({i}) var<storage, {access}> {b.name}: array<{b.stored}>;")
    body = []
    for p, phase in enumerate(program.phases):
        rotate = 0
        for u in phase:
            body.append(f"// phase {p}: {u.name}")
            body += _RENDER[type(u)](u, em, rotate % wg)
            rotate += elements(u)
        last = p == len(program.phases) - 1
        if wg > 1 and (not last or steps > 1):
            body.append("storageBarrier();")
    counter = em.element(Loc("arena", None, "i32"), str(COUNTER))
    if chunked and wg > 1:
        lines.append("var<workgroup> first_step: i32;")
    lines.append(f"@compute @workgroup_size({wg})")
    lines.append("fn main(@builtin(local_invocation_index) local: u32) {")
    lines.append("    let lid = i32(local);")
    if chunked:
        if wg > 1:   # a value every invocation provably shares, so the barriers below stay in uniform control flow
            lines += [f"    if (lid == 0) {{ first_step = bitcast<i32>({counter}); }}",
                      "    let k0 = workgroupUniformLoad(&first_step);"]
        else:
            lines.append(f"    let k0 = bitcast<i32>({counter});")
        lines.append(f"    for (var k = k0; k < min(k0 + {per_dispatch}, {steps}); k++) {{")
    else:
        lines.append(f"    for (var k = 0; k < {steps}; k++) {{")
    lines += ["        " + b for b in body]
    lines.append("    }")
    if chunked:   # every invocation read k0 before the last barrier of its steps
        lines.append(f"    if (lid == 0) {{ {counter} = bitcast<f32>(k0 + {per_dispatch}); }}")
    lines.append("}")
    # Bind only what the code uses: a pipeline's automatic layout leaves unused bindings out.
    text = "\n".join(lines)
    used = [b for b in program.bindings if f"{b.name}[" in text]
    head = [lines[0]] + [f"@group(0) @binding({i}) var<storage, {'read_write' if b.write else 'read'}> "
                         f"{b.name}: array<{b.stored}>;" for i, b in enumerate(used)]
    source = "\n".join(head + lines[1 + len(program.bindings):])
    n_in = sum(1 for b in used if not b.write)
    return Kernel(f"{program.name}_{variant}", source, (1, 1, 1), n_in, len(used) - n_in), [b.name for b in used]
