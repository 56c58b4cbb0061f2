"""Batched matmul over strided inputs: (..., M, K) @ (..., K, N) -> contiguous (..., M, N).

Three variants of one contract (see the .wgsl files): ``naive`` (one thread per output: short
source, so small matmuls take it, where compiling is all their cost; see core/ops/matmul.py),
``blocked`` (registers only) and ``tiled`` (workgroup memory). The device measures blocked and
tiled once per adapter and keeps the faster for the rest.

``blocked`` reads four neighbours of an input as vec4s wherever its view has stride 1 along one
of the two inner axes (see ``_operand``): on lavapipe each load is a loop over the SIMD lanes, so
a vec4 costs little more than one scalar, and loads, not multiply-adds, set the speed there. The
choice is baked into the source, which is also the pipeline's cache key.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod

from .epilogue import Epilogue, n_bindings, render_store, tail_args
from .kernel import Kernel, Launch, header, storage, template
from .loop import Emit, Loc, Loop, LoopEpilogue, epilogue_width, finish
from .view import Sizes, View, grid, offset_expr, render_coords, workgroup_size

VARIANTS = ("blocked", "tiled")
_OUTPUTS_PER_GROUP = {"tiled": (64, 64)}
_BLOCK_ROWS, _BLOCK_COLS = 8, 16   # outputs per thread of `blocked`, fixed by matmul_blocked.wgsl
_BLOCKED_WG = 16                   # threads per workgroup of `blocked`; lavapipe runs 8 as one SIMD vector


def matmul_launches(a: View, b: View, type: str, variant: str = "blocked",
                    epilogue: Epilogue | None = None) -> list[Launch]:
    """``a`` and ``b`` are already broadcast to the output's batch shape (stride 0 where shared).
    With an ``epilogue`` (graph mode's bias add and activation after the matmul), each output
    goes through it in registers, and the launch writes the epilogue's outputs instead."""
    *batch, m, k = a.shape
    n = b.shape[-1]
    nb = len(batch)
    sizes = Sizes(generic=variant == "naive")     # naive serves small matmuls: one pipeline for all their shapes
    s = sizes
    if nb:
        batch_lines = render_coords(tuple(batch), "z", "bz", s)
        a_base = offset_expr(View(tuple(batch), a.strides[:nb], a.offset), "bz", s)
        b_base = offset_expr(View(tuple(batch), b.strides[:nb], b.offset), "bz", s)
    else:
        batch_lines, a_base, b_base = [], s(a.offset) if a.offset else "0", s(b.offset) if b.offset else "0"
    batch_text = "\n    ".join(batch_lines + [f"let a_base = {a_base};", f"let b_base = {b_base};"])
    extra = [t for _, t in epilogue.inputs + epilogue.outputs] if epilogue else []
    nbatch = max(1, prod(batch))
    subs = dict(HEADER=header(type, *extra), T=type, M=s(m), N=s(n), K=s(k), SAM=s(a.strides[-2]),
                SAK=s(a.strides[-1]), SBK=s(b.strides[-2]), SBN=s(b.strides[-1]), BATCH=batch_text,
                THREADS=s(nbatch * m * n))
    subs["STORE"] = render_store(2, type, type, (*batch, m, n), epilogue, s) + "\n" + s.declaration(
        2 + n_bindings(epilogue))       # last: it counts the sizes read
    if variant == "blocked":
        threads = -(-m // _BLOCK_ROWS) * -(-n // _BLOCK_COLS)
        wg = workgroup_size(threads, _BLOCKED_WG)
        loads = _blocked_loads(a, b, type, n, epilogue is not None)
        if epilogue is None:      # vec4 stores where rows start on a vec4
            loads["STORE"] = storage(2, "out", loads.pop("OUT_ELEM"), write=True)
        else:
            del loads["OUT_ELEM"]
        src = template("matmul_blocked.wgsl", **{**subs, **loads, "THREADS": threads}, K4=k - k % 4,
                       WG=wg, COL_BLOCKS=-(-n // _BLOCK_COLS))
        groups = (-(-threads // wg), 1, nbatch)
    elif variant == "naive":
        threads = nbatch * m * n
        wg = 64 if threads <= 4096 else 256         # a few sizes only: each is a pipeline
        src = template("matmul_naive.wgsl", **subs, WG=wg)
        groups = grid(threads, wg)
    else:
        src = template(f"matmul_{variant}.wgsl", **subs)
        rows, cols = _OUTPUTS_PER_GROUP[variant]
        groups = (-(-n // cols), -(-m // rows), nbatch)
    name = f"matmul_{variant}" + ("_fused" if epilogue else "")
    return [Launch(Kernel(name, src, groups, 2, n_bindings(epilogue)),
                   ["in0", "in1"] + tail_args(epilogue, 2) + s.args, consts=s.consts)]


def vec4_axis(v: View) -> int | None:
    """The inner axis (-1 or -2) along which ``v`` reads four neighbours as vec4s, or None.

    It needs stride 1 there and batch strides that 4 divides: the rest of an element's offset
    modulo 4 is then known when the shader is generated (see ``_operand``).
    """
    if any(s % 4 for s in v.strides[:-2]):
        return None
    return next((axis for axis in (-1, -2) if v.strides[axis] == 1), None)


def _blocked_loads(a: View, b: View, type: str, n: int, through_store: bool) -> dict[str, str]:
    """The element types, lane clamps and load/store bodies that specialize matmul_blocked.wgsl."""
    a_elem, a_last, a_lane, _, a_one = _operand("a", a, -1, _BLOCK_ROWS, type)
    b_elem, b_last, _, b_k, b_one = _operand("b", b, -2, _BLOCK_COLS, type)
    if through_store:
        put = " ".join(f"if (c + {j} < {n}) {{ store(i + {j}, {type}(v.{x})); }}" for j, x in enumerate("xyzw"))
    elif n % 4 == 0:   # rows start on a vec4 and a group of four columns is all in or all out
        put = f"if (c < {n}) {{ out[i >> 2u] = vec4<{type}>(v); }}"
    else:
        put = " ".join(f"if (c + {j} < {n}) {{ out[i + {j}] = {type}(v.{x}); }}" for j, x in enumerate("xyzw"))
    return dict(A_ELEM=a_elem, B_ELEM=b_elem, OUT_ELEM=f"vec4<{type}>" if n % 4 == 0 else type,
                A_LAST=a_last, B_LAST=b_last, A_BLOCK=f"return {a_lane};", B_BLOCK=f"return {b_k};",
                A_COL=f"return {a_one};", B_ROW=f"return {b_one};", PUT4=put)


def _operand(name: str, v: View, k_axis: int, block: int, type: str) -> tuple[str, ...]:
    """How matmul_blocked.wgsl reads operand ``name`` (a: k_axis -1, b: k_axis -2).

    A thread reads it at four offsets ``o`` (vec4<i32>: four rows of a, or four columns of b,
    called lanes here, at k = 0) and steps k .. k+3, k a multiple of 4. Returns the element type
    of the binding, the last lane index to clamp to, and three WGSL expressions: the 4x4 matrix
    whose column i is ``name[o[i]][k .. k+3]`` (by lane), the one whose column j is
    ``name[o[0 .. 3]][k+j]`` (by k), and the vec4 ``name[o[0 .. 3]][k]`` for the last K % 4 steps.

    Where the operand has stride 1 along k or along the lanes, four neighbours are read as vec4s
    from a vec4 binding. Lanes start on multiples of 4 (rows 8 apart, columns 16 apart), so the
    position of each read within its vec4 is known here; an unaligned read takes two vec4s. Those
    lanes are not clamped to the edge, which would change that position: reads past the end of a
    binding are defined in WebGPU (zero or an element of the binding), and a row of a or a column
    of b past the edge only feeds outputs that are not written. Scalar reads clamp.
    """
    lane_axis = -3 - k_axis
    sk, sl, lanes = v.strides[k_axis], v.strides[lane_axis], v.shape[lane_axis]
    along = {k_axis: "k", lane_axis: "lanes", None: None}[vec4_axis(v)]
    o = [f"o.{x}" for x in "xyzw"]
    unclamped = str(-(-lanes // block) * block - 1)   # the last lane any thread reads

    def rest(i, j):   # (offset of lane i at step k + j) % 4
        return (v.offset + i * sl + j * sk) % 4

    def read4(e, r):  # four neighbours from element e, where e % 4 == r
        if r == 0:
            return f"vec4<f32>({name}[({e}) >> 2u])"
        q = f"({e}) >> 2u"
        return f"vec4<f32>(vec4<{type}>({name}[{q}].{'xyzw'[r:]}, {name}[({q}) + 1].{'xyzw'[:r]}))"

    def one(e):
        return f"f32({name}[({e}) >> 2u][({e}) & 3])" if along else f"f32({name}[{e}])"

    def mat(cols):
        return f"mat4x4<f32>({', '.join(cols)})"

    def vec4(parts):
        return f"vec4<f32>({', '.join(parts)})"

    scalars_by_k = mat([vec4([one(f"{o[i]} + (k + {j}) * {sk}") for i in range(4)]) for j in range(4)])
    scalars_by_lane = mat([vec4([one(f"{o[i]} + (k + {j}) * {sk}") for j in range(4)]) for i in range(4)])
    tail = vec4([one(f"{o[i]} + k * {sk}") for i in range(4)])
    if along == "k":
        by_lane = mat([read4(f"{o[i]} + k", rest(i, 0)) for i in range(4)])
        return f"vec4<{type}>", unclamped, by_lane, f"transpose({by_lane})", tail
    if along == "lanes":
        by_k = mat([read4(f"o.x + (k + {j}) * {sk}", rest(0, j)) for j in range(4)])
        if rest(0, 0) == 0 and sk % 4 == 0:   # every step k is aligned: the last K % 4 steps too
            tail = read4(f"o.x + k * {sk}", 0)
        return f"vec4<{type}>", unclamped, f"transpose({by_k})", by_k, tail
    return type, str(lanes - 1), scalars_by_lane, scalars_by_k, tail


# ---- the single-kernel form: a loop over blocks of outputs inside a step's kernel (see loop.py) ----

BLOCK_ROWS, BLOCK_COLS = 8, 8   # outputs per invocation of a matmul: each value loaded feeds several multiply-adds
# Matmul blocks shrink until each lane of one SIMD group has one (lavapipe: 8 lanes, SwiftShader 4):
# past that, smaller blocks only cost more loads (2-64-64-1 on lavapipe: 3,600 steps/s with 4x8
# blocks for all 64 invocations, 3,950 with 8x8 blocks for half of them).
SIMD_LANES = 8


def _divisor(n: int, most: int) -> int:
    """The largest divisor of ``n`` that is at most ``most``."""
    return next(d for d in range(min(n, most), 0, -1) if n % d == 0)


def _matmul_shape(u: MatmulLoop, lanes: int):
    """Batch, m, k, n, the block's rows and columns, and the number of blocks. A block's rows divide m
    and its columns n (so no block has a ragged edge; columns a multiple of 4 where n is one); blocks
    shrink (rows first, then columns down to 4) until there is one for each of ``lanes``.

    Whole blocks because edges cost more than they save: a block that guards each of its stores
    (``if (row0 + r < m && ...)``) made SwiftShader's compile hang. In headless Chromium 156 a
    2-6-4-1 step's kernel (68,913 characters, 64 guarded stores) had not compiled after 170 s, when the
    GPU process lost the device; its first matmul alone, 32 guards, hung too, and compiled in 0.4 s
    with the guards taken out. With whole blocks the step's kernel (43,299 characters) compiles in 0.7 s.

        >>> from webgpu_kernels.view import View
        >>> from webgpu_kernels.loop import Loc
        >>> mm = lambda m, k, n: MatmulLoop(Loc("arena", View.contiguous((m, k)), "f32"),
        ...                                 Loc("arena", View.contiguous((k, n)), "f32"), [])
        >>> _matmul_shape(mm(10, 2, 6), 4)[4:], _matmul_shape(mm(64, 64, 64), 64)[4:]
        ((2, 6, 5), (8, 8, 64))
    """
    *batch, m, kk = u.a.view.shape
    n = u.b.view.shape[-1]
    r = _divisor(m, BLOCK_ROWS)
    c = (8 if n % 8 == 0 else 4) if n % 4 == 0 else _divisor(n, BLOCK_COLS)
    count = lambda r, c: prod(batch) * (m // r) * (n // c)
    while count(r, c) < lanes and (r > 1 or c >= 8):
        r, c = (_divisor(m, r - 1), c) if r > 1 else (r, c // 2)
    return tuple(batch), m, kk, n, r, c, count(r, c)


def _vec4_axis(em: Emit, loc: Loc) -> int | None:
    """The inner axis (-1 or -2) along which ``loc`` can be read as aligned vec4s, or None."""
    v = loc.view
    if not em.can_vec4(loc) or v.offset % 4 or any(st % 4 for st in v.strides[:-2]):
        return None
    for axis in (-1, -2):
        other = -3 - axis
        if v.strides[axis] == 1 and v.strides[other] % 4 == 0:
            return axis
    return None


def _render_loop(u: MatmulLoop, em: Emit, rotate: int) -> list[str]:
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
    rows = [f"a_base + (row0 + {r}) * {sam}" for r in range(R)]
    cols = [f"b_base + (col0 + {c}) * {sbn}" for c in range(C)]
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
    wide = C % 4 == 0 and n % 4 == 0 and epilogue_width(u) == 4
    for r in range(R):
        for c in range(0, C, 4) if wide else range(C):
            flat = f"(row0 + {r}) * {n} + col0 + {c}" + (f" + z * {m * n}" if nb else "")
            inner = [f"let f = {flat};"] + (finish(u, em, f"acc{r}_{c // 4}", "f", 4) if wide else
                                            finish(u, em, f"acc{r}_{c // 4}[{c % 4}]", "f"))
            body += ["{", *("    " + ln for ln in inner), "}"]
    return em.loop(nblocks, rotate, body)


def _loop_trips(u: MatmulLoop, em: Emit) -> int:
    *_, kk, _, _, _, nblocks = _matmul_shape(u, min(em.wg, SIMD_LANES))
    return em.trips(nblocks, kk // 4 if kk >= 8 else 0)


@dataclass
class MatmulLoop(Loop):
    """(..., M, K) @ (..., K, N): ``a`` and ``b`` already broadcast to the output's batch shape."""
    a: Loc
    b: Loc
    outputs: list
    epilogue: LoopEpilogue | None = None
    name: str = "matmul"

    def elements(self) -> int:
        return prod(self.a.view.shape[:-1]) * self.b.view.shape[-1]

    render = _render_loop
    trips = _loop_trips
