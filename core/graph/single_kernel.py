"""Single-kernel lowering: a whole traced step, or K of them, as ONE dispatch of one generated kernel.

Where a step is small (a Playground-size network), the ~25 dispatches of a plan cost far more than
their arithmetic. This lowering walks the optimized graph's schedule and makes each unit (a fused
elementwise group, a matmul, a reduction ...) a loop over its output elements inside one kernel
(webgpu_kernels/single_kernel.py renders it), and repeats the step K times per dispatch, as Keras'
``steps_per_execution``:

    >>> step = wg.function(train_step, steps_per_execution=100)    # doctest: +SKIP
    >>> losses = step(xs, ys)          # xs: (100, batch, 2): 100 steps in one dispatch -> (100,)
    >>> step.plan.summary()["lowering"], step.plan.summary()["dispatches"]
    ('single_kernel', 1)

Memory: one read-write ``arena`` buffer holds every captured tensor (parameters, optimizer state),
every constant and every intermediate; captured tensors live there for real (their storage is
rebound to a view of the arena), so eager code keeps working on them and nothing is copied per
call. Intermediates share arena space by liveness, counted in phases (units between two
barriers). Each argument is bound as it comes, stacked along a leading axis of K; the outputs of
all K steps go to one fresh buffer, and come back as views of it.

Ordering: a unit runs in a phase after the units whose results it reads; a captured tensor is
updated in place by the unit that computes its new value when every reader of the old value runs
in an earlier phase (else its new value is computed aside and copied in at the end).

Kernel shape: one workgroup of 64 or of 4 invocations with barriers between phases, or one
invocation with none. Which is faster depends on the adapter and the step's size, so the first
call of a plan times the two workgroup shapes on a copy of its arena, keeps the faster if it
agrees with the 64-wide one, and caches the choice with the device's other kernel choices.
Measured (steps/s, 100 steps a call): 2-8-8-1 b10 on SwiftShader 24,700 with 4 invocations,
11,800 with 64, 7,700 with one; on lavapipe 75,600 / 30,400 / 51,600. 2-64-64-1 b32: SwiftShader
1,700 with 4 invocations, 1,500 with 64, 490 with one; lavapipe 3,400 / 4,100 / 2,300. One
invocation never won, so it runs only when forced (``device.force_variant``).

Graphs with ops this lowering has no loop for (random numbers, convolution, pad, cat, float16)
are not eligible: ``NotEligible`` says why, and the caller falls back to the normal plan, once
per step. So do steps above ``MAX_AUTO_WORK`` unless ``single_kernel=True`` asks for one kernel.
"""
from __future__ import annotations

import heapq
import math
import time
import warnings

from webgpu_kernels import single_kernel as sk
from webgpu_kernels.elementwise import elementwise_kernel
from webgpu_kernels.expr import Expr, cast, const, index, infix, load
from webgpu_kernels.kernel import literal
from webgpu_kernels.view import View

from ..devices.gpu import GPUArray, PooledBuffer
from ..ops import OPS
from ..ops.registry import normalize_axes
from .ir import CAPTURE, CONST, INPUT, RANDOM, Graph, scalar_value
from .lower import Plan, StalePlan
from .passes.fuse import FusedGroup

# Above this much work per step (multiply-adds and element visits), one workgroup loses to the
# normal plan's many: on lavapipe (2 cores), 2-H-H-1 MLPs ran 1.03x the plan's steps/s at 7.1M
# (H 64, batch 512) and 0.87x at 14M (batch 1024); 1.5x at 0.5-4M.
MAX_AUTO_WORK = 8_000_000
MAX_BINDINGS = 8            # WebGPU's default maxStorageBuffersPerShaderStage, the browser's limit
MEASURED = ("workgroup", "small_workgroup")     # the kernel shapes a first call times (see SingleKernelPlan)
ALIGN = 4                   # elements: every tensor in the arena starts on 16 bytes


class NotEligible(Exception):
    """This graph has no single-kernel form; the message says why (the normal plan runs it)."""


class ArenaBuffer(PooledBuffer):
    """The arena of a single-kernel plan: captured tensors that live there are views of it."""
    __slots__ = ()


def leave_arena(t, device) -> None:
    """Give tensor ``t`` its own buffer again if it lives in an arena (a plan that writes captures
    in place cannot bind one buffer both read-only and writable in one dispatch)."""
    if isinstance(t.data.buffer, ArenaBuffer) and t.device is device:
        t.data = device.contiguous(t.data)


# ---- analysis: units over stores --------------------------------------------------------------

def _vt(dtype) -> str:
    return "bool" if dtype.kind == "b" else dtype.wgsl


class _Store:
    """A tensor with storage of its own: an argument, a capture, a constant, or a unit's result."""
    __slots__ = ("shape", "dtype", "kind", "producer", "readers", "locs", "index", "offset", "payload")

    def __init__(self, shape, dtype, kind, index=None, payload=None):
        self.shape, self.dtype, self.kind = tuple(shape), dtype, kind
        self.producer, self.readers, self.locs = None, [], []
        self.index, self.offset, self.payload = index, None, payload

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class _Ref:
    """How a graph value is read: a view of a store (offset relative to the store's start), or a literal."""
    __slots__ = ("store", "view", "literal", "type")

    def __init__(self, store, view, literal_text=None, type=None):
        self.store, self.view, self.literal, self.type = store, view, literal_text, type

    def viewed(self, view) -> "_Ref":
        return _Ref(self.store, view, self.literal, self.type)

    @property
    def identity(self) -> bool:
        return self.literal is None and self.view == View.contiguous(self.store.shape)


class _Unit:
    __slots__ = ("kind", "reads", "outs", "attrs", "order", "phase", "name", "work")

    def __init__(self, kind, reads, outs, attrs, name, work):
        self.kind, self.reads, self.outs, self.attrs, self.name, self.work = kind, reads, outs, attrs, name, work
        self.order, self.phase = 0, 0


class _Analysis:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.refs: dict[int, _Ref] = {}
        self.units: list[_Unit] = []
        self.stores: list[_Store] = []
        g = graph
        if getattr(g, "randoms", None):
            raise NotEligible("it draws random numbers (each of the K steps needs its own)")
        for n in g.nodes:
            if n.dtype.name == "float16":
                raise NotEligible(f"{n.op} works in float16 (the arena holds 32-bit values)")
        self.caps = []
        for k, n in enumerate(g.captures):
            s = self._store(n.shape, n.dtype, "cap", index=k)
            self.caps.append(s)
            self.refs[n.id] = _Ref(s, View.contiguous(n.shape), type=_vt(n.dtype))
        for unit in getattr(g, "schedule", g.nodes):
            if isinstance(unit, FusedGroup):
                head = getattr(unit, "head", None)
                ins = [self.refs[i.id] for i in unit.inputs[1:]] if head is not None else None
                pro = getattr(unit, "prologue", None)
                if pro is not None:             # the group a reduction head reduces: a map before it
                    self._map([self.refs[i.id] for i in pro.inputs], pro.exprs, pro.outputs, pro.shape,
                              "fused_" + "_".join(dict.fromkeys(m.op for m in pro.members))[:40])
                if head is not None:            # a reduction whose result the group reads (as load 0)
                    self._node(head)
                    ins = [self.refs[head.id].viewed(View.contiguous(unit.shape))] + ins
                if unit.members:
                    self._map(ins or [self.refs[i.id] for i in unit.inputs], unit.exprs, unit.outputs, unit.shape,
                              "fused_" + "_".join(dict.fromkeys(m.op for m in unit.members))[:40])
            else:
                self._node(unit)
        self._outputs()
        self._fuse_epilogues()

    def _store(self, shape, dtype, kind, **kw) -> _Store:
        s = _Store(shape, dtype, kind, **kw)
        self.stores.append(s)
        return s

    def _unit(self, kind, reads, out_nodes_or_stores, attrs, name, work) -> _Unit:
        outs = []
        for o in out_nodes_or_stores:
            if isinstance(o, _Store):
                outs.append(o)
                continue
            s = self._store(o.shape, o.dtype, "value")
            self.refs[o.id] = _Ref(s, View.contiguous(o.shape), type=_vt(o.dtype))
            outs.append(s)
        u = _Unit(kind, reads, outs, attrs, name, work)
        u.order = len(self.units)
        self.units.append(u)
        for s in outs:
            s.producer = u
        for r in reads:
            if r.store is not None and u not in r.store.readers:
                r.store.readers.append(u)
        return u

    def _map(self, refs, exprs, out_nodes, shape, name):
        reads = [r if r.literal is not None else r.viewed(r.view.expand(shape)) for r in refs]
        size = math.prod(shape)
        self._unit("map", reads, out_nodes, {"exprs": list(exprs), "shape": tuple(shape)}, name,
                   size * (len(exprs) + len(reads)))

    def _copy(self, ref: _Ref, into: _Store | None = None, shape=None, dtype=None, name="copy") -> _Store:
        shape = shape if shape is not None else (ref.view.shape if ref.view is not None else into.shape)
        out = into or self._store(shape, dtype, "value")
        self._unit("map", [ref if ref.literal is not None else ref.viewed(ref.view.expand(shape))], [out],
                   {"exprs": [load(0, ref.type)], "shape": tuple(shape)}, name, 2 * math.prod(shape))
        return out

    def _node(self, n):
        if n.op == INPUT:
            s = self._store(n.shape, n.dtype, "arg", index=n.payload)
            self.refs[n.id] = _Ref(s, View.contiguous(n.shape), type=_vt(n.dtype))
            return
        if n.op == CAPTURE:
            return
        if n.op == RANDOM:
            raise NotEligible("it draws random numbers")
        if n.op == CONST:
            self.refs[n.id] = self._const(n)
            return
        op = OPS.get(n.op)
        if op is None:
            raise NotEligible(f"op {n.op!r} is not a registered primitive")
        ins = [self.refs[i.id] for i in n.inputs]
        if op.view is not None:
            r = ins[0]
            if r.literal is not None:
                self.refs[n.id] = _Ref(None, None, r.literal, r.type)
                return
            v = op.view(r.view, **n.attrs)
            if v is None:
                s = self._copy(r, dtype=n.inputs[0].dtype)
                r = _Ref(s, View.contiguous(s.shape), type=r.type)
                v = op.view(r.view, **n.attrs)
            self.refs[n.id] = r.viewed(v)
            return
        if op.expr is not None:
            expr = op.expr(*(load(k, _vt(i.dtype)) for k, i in enumerate(n.inputs)), **n.attrs)
            self._map(ins, [expr], [n], n.shape, n.op)
            return
        if n.op == "matmul":
            a, b = n.inputs
            batch = n.shape[:-2]
            ra, rb = (r if r.literal is not None else r.viewed(r.view.expand(batch + x.shape[-2:]))
                      for r, x in zip(ins, (a, b)))
            if ra.literal is not None or rb.literal is not None:
                raise NotEligible("matmul of a constant 1x1 matrix")
            self._unit("matmul", [ra, rb], [n], {}, "matmul", math.prod(n.shape) * a.shape[-1])
            return
        if n.op in ("sum", "max", "min", "argmax"):
            x = n.inputs[0]
            r = ins[0]
            if r.literal is not None:
                s = self._copy(r, shape=x.shape, dtype=x.dtype)
                r = _Ref(s, View.contiguous(x.shape), type=r.type)
            axes = normalize_axes(n.op, n.attrs.get("axes"), len(x.shape))
            kept = [i for i in range(len(x.shape)) if i not in axes]
            self._unit("reduce", [r.viewed(r.view.permute(kept + list(axes)))], [n],
                       {"kind": n.op, "n_kept": len(kept), "dtype": n.dtype}, n.op, math.prod(x.shape))
            return
        if n.op == "one_hot":
            c = n.attrs.get("num_classes", 2)
            r = ins[0]
            if r.literal is None:
                r = r.viewed(View(r.view.shape + (c,), r.view.strides + (0,), r.view.offset))
            last = Expr("infix", "i32", (index(), const(c, "i32")), "%")
            expr = cast(infix("==", load(0, "i32"), last), "f32")
            self._map([r], [expr], [n], n.shape, "one_hot")
            return
        if n.op in ("gather", "scatter_add"):
            if any(r.literal is not None for r in ins):
                raise NotEligible(f"{n.op} of a constant scalar")
            axis = n.attrs.get("axis", 0) % len(n.inputs[0].shape)
            attrs = {"axis": axis}
            if n.op == "scatter_add":
                attrs["size"] = n.attrs.get("size", 1)
            self._unit(n.op, ins, [n], attrs, n.op, math.prod(n.shape) * (
                n.inputs[1].shape[0] if n.op == "scatter_add" else 1))
            return
        raise NotEligible(f"op {n.op!r} has no single-kernel form yet")

    def _const(self, n) -> _Ref:
        t = _vt(n.dtype)
        value = scalar_value(n)
        if value is not None:
            return _Ref(None, None, literal(value, t), t)
        data = n.payload
        if hasattr(data, "data"):       # a folded constant: a concrete tensor
            data = data.device.to_bytes(data.data) if math.prod(n.shape) else b""
        s = self._store(n.shape, n.dtype, "const", payload=bytes(data))
        return _Ref(s, View.contiguous(n.shape), type=t)

    def _fuse_epilogues(self):
        """A map that alone reads a matmul's (reduction's, gather's) result, element for element,
        runs inside that unit's loop on the value in a register: one phase and one store fewer."""
        for m in list(self.units):
            if m.kind != "map":
                continue
            shape = m.attrs["shape"]
            for slot, r in enumerate(m.reads):
                s = r.store
                if s is None or s.kind != "value" or s.locs or s.readers != [m] or s.producer is None:
                    continue
                p = s.producer
                if p.kind == "map" or "epilogue" in p.attrs or len(p.outs) != 1:
                    continue
                if s.size != math.prod(shape) or r.view != View.contiguous(shape):
                    continue
                p.attrs["epilogue"] = {"shape": shape, "exprs": m.attrs["exprs"], "slot": slot, "reads": m.reads}
                p.attrs["n_main"] = len(p.reads)
                for i, x in enumerate(m.reads):
                    if i == slot or x.store is None:
                        continue
                    p.reads.append(x)
                    x.store.readers = [p if u is m else u for u in x.store.readers]
                    if x.store.readers.count(p) > 1:
                        x.store.readers.remove(p)
                p.outs = m.outs
                for o in m.outs:
                    o.producer = p
                p.work += m.work
                p.name = f"{p.name}+{m.name}"
                self.units.remove(m)
                self.stores.remove(s)
                break

    def _outputs(self):
        g = self.graph
        taken = set()

        def place(node, kind, index):
            r = self.refs[node.id]
            s = r.store
            if r.identity and s.kind == "value" and id(s) not in taken:
                taken.add(id(s))
                s.locs.append((kind, index))
                return
            out = self._copy(r, shape=node.shape, dtype=node.dtype, name=f"{kind}_copy")
            taken.add(id(out))
            out.locs.append((kind, index))
        self.rets = list(g.outputs)
        for j, node in enumerate(g.outputs):
            place(node, "ret", j)
        self.grads = [(c, v) for c, v in g.grads if v is not None]
        for j, (_, v) in enumerate(self.grads):
            place(v, "grad", j)
        # Writes: in place where legal, else a copy at the end (decided with the phases).
        self.writes = []
        for cap, value in g.writes:
            self.writes.append((self.caps[g.captures.index(cap)], self.refs[value.id]))


# ---- phases and memory ------------------------------------------------------------------------

def _schedule(a: _Analysis):
    """Phases for every unit (longest path over read-after-write and write-after-read edges), deciding
    which captured tensors are updated in place."""
    in_place = {}
    copies = []
    for cap, ref in a.writes:
        s = ref.store
        ok = (ref.identity and s.kind == "value" and s.producer is not None and id(cap) not in in_place and
              not any(loc[0] == "cap" for loc in s.locs))
        if ok:
            p = s.producer
            elementwise_from = 0 if p.kind == "map" else p.attrs.get("n_main", len(p.reads))
            for i, r in enumerate(p.reads):
                if r.store is cap and not (i >= elementwise_from and r.view == View.contiguous(cap.shape)):
                    ok = False      # reads the old value at other elements than it writes
        if ok:
            in_place[id(cap)] = (cap, s)
            s.locs.append(("cap", cap.index))
        else:
            copies.append((cap, ref))
    for cap, ref in copies:
        if ref.store is cap or (ref.store is not None and ref.store.kind == "cap" and id(ref.store) in in_place):
            # Reading a captured tensor's region while writing it: go through a temporary.
            tmp = a._copy(ref, shape=cap.shape, dtype=cap.dtype)
            ref = _Ref(tmp, View.contiguous(cap.shape), type=ref.type)
        a._copy(ref, into=_Store(cap.shape, cap.dtype, "value"), shape=cap.shape, name="write_back")
        a.units[-1].outs[0].locs.append(("cap", cap.index))
        a.units[-1].attrs["writes_cap"] = cap
    while True:
        if _phases(a, in_place) is not None:
            return
        # A cycle: some in-place update must wait for a reader that needs its result. Demote one.
        key = next(reversed(in_place))
        cap, s = in_place.pop(key)
        s.locs.remove(("cap", cap.index))
        a._copy(_Ref(s, View.contiguous(s.shape), type=_vt(s.dtype)), into=_Store(cap.shape, cap.dtype, "value"),
                shape=cap.shape, name="write_back")
        a.units[-1].outs[0].locs.append(("cap", cap.index))
        a.units[-1].attrs["writes_cap"] = cap


def _phases(a: _Analysis, in_place) -> list | None:
    preds = {id(u): set() for u in a.units}
    by_id = {id(u): u for u in a.units}
    for u in a.units:
        for r in u.reads:
            if r.store is not None and r.store.producer is not None and r.store.producer is not u:
                preds[id(u)].add(id(r.store.producer))
    writers = {}
    for cap, s in in_place.values():
        writers[id(cap)] = s.producer
    for u in a.units:
        cap = u.attrs.get("writes_cap")
        if cap is not None:
            writers[id(cap)] = u
    for cap in a.caps:
        w = writers.get(id(cap))
        if w is None:
            continue
        for r in cap.readers:
            if r is not w:
                preds[id(w)].add(id(r))
    # Kahn's algorithm, in schedule order among ready units.
    indeg = {k: len(v) for k, v in preds.items()}
    succs = {id(u): [] for u in a.units}
    for k, ps in preds.items():
        for p in ps:
            succs[p].append(k)
    ready = [(u.order, id(u)) for u in a.units if indeg[id(u)] == 0]
    heapq.heapify(ready)
    done = []
    while ready:
        _, k = heapq.heappop(ready)
        u = by_id[k]
        u.phase = max((by_id[p].phase + 1 for p in preds[k]), default=0)
        done.append(u)
        for s in succs[k]:
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(ready, (by_id[s].order, s))
    if len(done) != len(a.units):
        return None
    return done


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _plan_memory(a: _Analysis, steps: int):
    """Arena offsets: captures, then constants, then intermediates sharing space by phase liveness;
    and out-buffer offsets of the stacked outputs and the gradients."""
    top = ALIGN                 # element 0: the step counter of a call that takes several dispatches
    for s in a.caps:
        s.offset = top
        top += _aligned(s.size)
    for s in a.stores:
        if s.kind == "const":
            s.offset = top
            top += _aligned(s.size)
    base = top
    # Intervals [first phase written, last phase read]; first fit over freed blocks.
    temps = [s for s in a.stores if s.kind == "value" and not s.locs and s.producer is not None]
    temps.sort(key=lambda s: (s.producer.phase, s.producer.order))
    live = []         # (last phase, offset, size)
    free = []         # (offset, size)
    end = base
    for s in temps:
        start = s.producer.phase
        last = max((r.phase for r in s.readers), default=start)
        for item in [x for x in live if x[0] < start]:
            live.remove(item)
            free.append((item[1], item[2]))
        free.sort()
        size = _aligned(max(1, s.size))
        for i, (off, sz) in enumerate(free):
            if sz >= size:
                s.offset = off
                free[i] = (off + size, sz - size)
                break
        else:
            s.offset = end
            end += size
        live.append((last, s.offset, size))
    arena = max(end, ALIGN)
    out_top = 0
    ret_offsets, grad_offsets = {}, {}
    for j, node in enumerate(a.rets):
        ret_offsets[j] = out_top
        out_top += _aligned(math.prod(node.shape) * steps)
    for j, (_, v) in enumerate(a.grads):
        grad_offsets[j] = out_top
        out_top += _aligned(math.prod(v.shape))
    return arena, max(out_top, ALIGN), ret_offsets, grad_offsets, end - base


# ---- the plan ---------------------------------------------------------------------------------

class SingleKernelPlan:
    """A graph lowered to one kernel that runs ``steps`` steps per dispatch (``stacked``: arguments
    and outputs carry a leading axis of that length)."""

    lowering = "single_kernel"

    def __init__(self, graph: Graph, device, steps: int = 1, stacked: bool | None = None, variant: str | None = None,
                 max_work: int | None = None):
        self.graph, self.device, self.steps = graph, device, int(steps)
        self.stacked = steps > 1 if stacked is None else stacked
        a = self.analysis = _Analysis(graph)
        self.work = sum(u.work for u in a.units)
        if max_work is not None and self.work > max_work:
            raise NotEligible(f"too big: {self.work:,} units of work per step, above {max_work:,}, where one "
                              f"workgroup loses to the normal plan (pass single_kernel=True to force it)")
        limit = min(MAX_BINDINGS, device.backend.limits.get("max_storage_buffers_per_shader_stage", 8))
        if len(graph.inputs) + 2 > limit:
            raise NotEligible(f"it takes {len(graph.inputs)} tensor arguments; one kernel binds at most "
                              f"{MAX_BINDINGS - 2} (pass fewer, e.g. stack them)")
        _schedule(a)
        arena_n, out_n, ret_off, grad_off, temp_n = _plan_memory(a, self.steps)
        self.arena_elements, self.out_elements, self.temp_elements = arena_n, out_n, temp_n
        if 4 * max(arena_n, out_n) > device.max_binding:
            raise NotEligible(f"it needs {4 * max(arena_n, out_n):,} bytes in one buffer, more than this "
                              f"adapter binds ({device.max_binding:,})")
        self.work = sum(u.work for u in a.units)   # with the copies scheduling added
        self.cap_views = [View(s.shape, View.contiguous(s.shape).strides, s.offset) for s in a.caps]
        self.ret_views = []
        for j, node in enumerate(a.rets):
            v = View.contiguous(node.shape)
            self.ret_views.append(View((self.steps,) + v.shape, (math.prod(node.shape),) + v.strides,
                                       ret_off[j]) if self.stacked else View(v.shape, v.strides, ret_off[j]))
        self.grad_views = [View(v.shape, View.contiguous(v.shape).strides, grad_off[j])
                           for j, (_, v) in enumerate(a.grads)]
        self.program = self._program(ret_off, grad_off)
        # The arena: consts written once; captured tensors are moved in on the first call.
        pooled = device.pool.alloc(4 * arena_n)
        self.arena = ArenaBuffer(pooled.handle, pooled.nbytes, device.pool)
        pooled.pool = None          # the arena owns the handle now
        for s in a.stores:
            if s.kind == "const" and s.payload:
                data = s.payload + b"\0" * ((-len(s.payload)) % 4)
                device.backend.write_buffer(self.arena.handle, data, 4 * s.offset)
        self.kernels = {}
        self.adapter = device.backend.name
        self.usable = [v for v in sk.VARIANTS if sk.steps_per_dispatch(self.program, v, self.adapter) >= 1]
        # The variants a first call times: those that can win. Compiling a variant costs seconds in
        # Chromium (about 25 us per character of WGSL on SwiftShader), and one invocation lost to
        # four on both CPU adapters at every size measured, so it runs only when asked for.
        self.candidates = [v for v in self.usable if v in MEASURED] or self.usable
        if not self.usable:
            raise NotEligible(f"one step loops more often than {self.adapter} allows in one dispatch")
        if variant is not None and variant not in self.usable:
            raise NotEligible(f"variant {variant!r}: one step loops more often than {self.adapter} allows "
                              f"in one dispatch")
        self.variant = variant or known_variant(self)       # None: measured on the first call
        if self.variant is not None:
            self.use_variant(self.variant)

    # ---- building the program -----------------------------------------------------------------

    def _loc(self, ref: _Ref) -> sk.Loc:
        if ref.literal is not None:
            return sk.Loc(None, None, ref.type, literal=ref.literal)
        s = ref.store
        v = ref.view
        buf, base, step = self._where(s, s.locs[0] if s.locs else None)
        return sk.Loc(buf, View(v.shape, v.strides, v.offset + base), ref.type, step)

    def _where(self, s: _Store, loc):
        if s.kind == "arg":
            return f"arg{s.index}", 0, s.size if self.stacked else 0
        if s.kind in ("cap", "const"):
            return "arena", s.offset, 0
        if loc is None:
            return "arena", s.offset, 0
        kind, j = loc
        if kind == "cap":
            return "arena", self.analysis.caps[j].offset, 0
        if kind == "ret":
            return "out", self._ret_off[j], s.size      # the steps' copies side by side: one read
        return "out", self._grad_off[j], 0

    def _out_locs(self, s: _Store) -> list:
        """Every place a unit stores result ``s``: its arena block, or its output and capture slots."""
        out = []
        for loc in s.locs or [None]:
            buf, base, step = self._where(s, loc)
            out.append(sk.Loc(buf, View(s.shape, View.contiguous(s.shape).strides, base), _vt(s.dtype), step))
        return out

    def _program(self, ret_off, grad_off) -> sk.Program:
        self._ret_off, self._grad_off = ret_off, grad_off
        a = self.analysis
        g = self.graph
        bindings = [sk.Binding("arena", "vec4<f32>", True)]
        bindings += [sk.Binding(f"arg{k}", n.dtype.wgsl) for k, n in enumerate(g.inputs)]
        bindings.append(sk.Binding("out", "f32", True))
        phases: dict[int, list] = {}
        for u in sorted(a.units, key=lambda u: (u.phase, u.order)):
            outs = [self._out_locs(s) for s in u.outs]
            if u.kind == "map":
                phases.setdefault(u.phase, []).append(
                    sk.Map(u.attrs["shape"], u.attrs["exprs"], [self._loc(r) for r in u.reads], outs, u.name))
                continue
            ep = u.attrs.get("epilogue")
            reads = [self._loc(r) for r in u.reads[:u.attrs.get("n_main", len(u.reads))]]
            epilogue = None
            if ep is not None:
                epilogue = sk.Epilogue(ep["shape"], ep["exprs"], [None if i == ep["slot"] else self._loc(r)
                                                                  for i, r in enumerate(ep["reads"])], ep["slot"], outs)
                outs = [[]]
            if u.kind == "matmul":
                unit = sk.Matmul(reads[0], reads[1], outs[0], epilogue, u.name)
            elif u.kind == "reduce":
                out_type = _vt(u.attrs["dtype"])
                unit = sk.Reduce(u.attrs["kind"], reads[0], u.attrs["n_kept"], out_type, outs[0], epilogue, u.name)
            elif u.kind == "gather":
                unit = sk.Gather(reads[0], reads[1], u.attrs["axis"], outs[0], epilogue, u.name)
            else:
                unit = sk.ScatterAdd(reads[0], reads[1], u.attrs["axis"], u.attrs["size"], outs[0], epilogue, u.name)
            phases.setdefault(u.phase, []).append(unit)
        return sk.Program(bindings, [phases[p] for p in sorted(phases)], self.steps,
                          name=f"single_kernel_{g.name}"[:60])

    def kernel(self, variant: str):
        """The kernel of ``variant`` and how many dispatches a call makes of it."""
        if variant not in self.kernels:
            per = sk.steps_per_dispatch(self.program, variant, self.adapter)
            kernel, names = sk.render(self.program, variant, per)
            self.kernels[variant] = (kernel, -(-self.steps // per), names)
        return self.kernels[variant]

    def use_variant(self, variant: str) -> None:
        kernel, self.n_dispatches, self.binding_names = self.kernel(variant)
        self.variant = variant
        self.program_handle = self.device.program(kernel)

    def _dispatch(self, program, named: dict, names: list, n: int) -> None:
        if n > 1:      # the dispatches advance a step counter kept in the arena; start it at 0
            self.device.backend.write_buffer(named["arena"], bytes(4), 4 * sk.COUNTER)
        self.device.replay([(program, [named[b] for b in names], (1, 1, 1))] * n)

    # ---- running ------------------------------------------------------------------------------

    def _adopt(self, k: int, t) -> None:
        """Move captured tensor ``t`` into its arena region and make its storage a view of it."""
        device = self.device
        src = t.data
        if isinstance(src.buffer, ArenaBuffer):
            src = device.contiguous(src)        # a copy within one buffer would bind it twice
        st = t.dtype.wgsl
        if src.view.size:
            kern = elementwise_kernel("adopt", load(0, _vt(t.dtype)), [(src.view, st)], (self.cap_views[k], st))
            # The arena binding is typed like the tensor here; the bits are what the kernel reads.
            device._dispatch(kern, [src.buffer.handle, self.arena.handle])
        t.data = GPUArray(self.arena, self.cap_views[k], t.dtype)

    def bind(self, args: list, out_handle, arena_handle=None) -> tuple[dict, list]:
        from ..tensor import Tensor
        device, g = self.device, self.graph
        for k, node in enumerate(g.captures):
            t = node.payload
            if t.device is not device:
                raise StalePlan()
            if t.data.buffer is not self.arena or t.data.view != self.cap_views[k]:
                self._adopt(k, t)
        handles, keep = {"arena": arena_handle or self.arena.handle}, []
        for k, node in enumerate(g.inputs):
            a = args[k]
            if not isinstance(a, Tensor):
                raise TypeError(f"argument {k} of a single-kernel function must be a tensor")
            if a.device is not device:
                a = a.to(device)
            if a.dtype != node.dtype:
                a = a.cast(node.dtype)
            want = (self.steps,) + node.shape if self.stacked else node.shape
            if a.shape != want:
                raise ValueError(f"argument {k} has shape {a.shape}; this function runs {self.steps} steps per call "
                                 f"and was traced for {want}")
            v = a.data.view
            if not v.is_contiguous or v.offset or isinstance(a.data.buffer, ArenaBuffer):
                a = a.contiguous()
            keep.append(a)
            handles[f"arg{k}"] = a.data.buffer.handle
        handles["out"] = out_handle
        return handles, keep

    def run(self, args: list) -> tuple[list, dict]:
        from ..tensor import Tensor
        device, g = self.device, self.graph
        out = device.pool.alloc(4 * self.out_elements)
        handles, keep = self.bind(args, out.handle)
        if self.variant is None:
            self.use_variant(measure_variants(self, handles))
        self._dispatch(self.program_handle, handles, self.binding_names, self.n_dispatches)
        del keep
        rets = []
        for node, view in zip(self.analysis.rets, self.ret_views):
            rets.append(Tensor._make(GPUArray(out, view, node.dtype), view.shape, node.dtype, device))
        outputs = rets
        grads = {id(c.payload): None for c, v in g.grads if v is None}
        for (c, v), view in zip(self.analysis.grads, self.grad_views):
            grads[id(c.payload)] = Tensor._make(GPUArray(out, view, v.dtype), view.shape, v.dtype, device)
        return outputs, grads

    def summary(self) -> dict:
        n = self.n_dispatches
        return {"lowering": "single_kernel", "dispatches": n, "steps_per_call": self.steps,
                "steps_per_dispatch": -(-self.steps // n), "dispatches_per_step": n / self.steps,
                "variant": self.variant, "units": len(self.analysis.units), "phases": len(self.program.phases),
                "loop_trips_per_step": sk.trips_per_step(self.program, self.variant),
                "arena_bytes": 4 * self.arena_elements, "temp_bytes": 4 * self.temp_elements,
                "work_per_step": self.work, "kernels": [self.kernel(self.variant)[0].name]}


def _choice_key(plan: SingleKernelPlan) -> str:
    size = max(0, round(math.log2(max(1, plan.work))))
    return f"single_kernel:work~2^{size}:{'one_step' if plan.steps == 1 else 'many_steps'}"


def known_variant(plan: SingleKernelPlan) -> str | None:
    """The variant forced (``device.force_variant('single_kernel', v)``) or measured before for a
    step of this size on this adapter; None when it is still to be measured."""
    device = plan.device
    forced = device.forced.get("single_kernel")
    if forced in plan.usable:
        return forced
    if len(plan.candidates) == 1:
        return plan.candidates[0]
    cached = device.choices.get(_choice_key(plan))
    return cached if cached in plan.candidates else None


def measure_variants(plan: SingleKernelPlan, handles: dict, repeats: int = 2) -> str:
    """Run every candidate variant on a copy of the arena and the call's arguments; keep the fastest
    of those that agree with the workgroup variant (an adapter may compute one shape wrongly
    without an error, as lavapipe does past its loop limit), and remember it for this adapter."""
    device = plan.device
    results, timings = {}, {}
    n_words = plan.arena_elements
    for v in plan.candidates:
        kernel, n, names = plan.kernel(v)
        program = device.program(kernel)
        scratch = device.pool.alloc(4 * n_words)
        out = device.pool.alloc(4 * plan.out_elements)
        device.backend.write_buffer(out.handle, bytes(4 * plan.out_elements))   # padding compares equal
        copy = elementwise_kernel("copy", load(0, "i32"), [(View.contiguous((n_words,)), "i32")],
                                  (View.contiguous((n_words,)), "i32"))
        device._dispatch(copy, [handles["arena"], scratch.handle])
        named = dict(handles, arena=scratch.handle, out=out.handle)
        best = float("inf")
        for r in range(repeats + 1):
            device.synchronize()
            t0 = time.perf_counter()
            plan._dispatch(program, named, names, n)
            device.synchronize()
            best = min(best, time.perf_counter() - t0)
            if r == 0:
                results[v] = (_words(device, scratch.handle, 4 * n_words),
                              _words(device, out.handle, 4 * plan.out_elements))
        timings[v] = best
    reference = results.get("workgroup")
    agree = [v for v in plan.candidates if reference is None or _agree(results[v], reference, plan)]
    if len(agree) < len(plan.candidates):
        warnings.warn(f"single kernel: the {', '.join(v for v in plan.candidates if v not in agree)} variant computes "
                      f"other results than the workgroup variant on {plan.adapter}; not using it", stacklevel=4)
    choice = min(agree, key=timings.get)
    device.choices[_choice_key(plan)] = choice
    device.backend.save_choices(device.choices)
    return choice


def _words(device, handle, nbytes) -> memoryview:
    return memoryview(bytes(device.backend.read_buffer(handle, 0, nbytes))).cast("f")


def _agree(got, want, plan: SingleKernelPlan) -> bool:
    """The captured tensors and the outputs of two runs match to float32 rounding."""
    arena_g, out_g = got
    arena_w, out_w = want
    spans = [(s.offset, s.size) for s in plan.analysis.caps]
    pairs = [(arena_g, arena_w, o, n) for o, n in spans] + [(out_g, out_w, 0, plan.out_elements)]
    for a, b, o, n in pairs:
        for i in range(o, o + n):
            x, y = a[i], b[i]
            if not (x == y or (x != x and y != y) or abs(x - y) <= 1e-4 * (abs(x) + abs(y)) + 1e-6):
                return False
    return True


# ---- falling back: the normal plan, K times --------------------------------------------------

class SteppedPlan:
    """The normal plan run once per step (a graph with no single-kernel form, or too big for one)."""

    lowering = "plan"

    def __init__(self, plan: Plan, steps: int, stacked: bool, reason: str):
        self.plan, self.steps, self.stacked, self.reason = plan, steps, stacked, reason
        self.graph, self.device = plan.graph, plan.device

    def run(self, args):
        if not self.stacked:
            return self.plan.run(args)
        from ..tensor import stack
        per_step = [self.plan.run([a[k] for a in args]) for k in range(self.steps)]
        outputs = [stack([outs[j] for outs, _ in per_step]) for j in range(len(self.graph.outputs))]
        return outputs, per_step[-1][1]

    def summary(self) -> dict:
        s = dict(self.plan.summary())
        per_step = s["dispatches"]
        s.update(lowering="plan", dispatches=per_step * self.steps, steps_per_dispatch=1,
                 dispatches_per_step=per_step, single_kernel=self.reason)
        return s


def lower(graph: Graph, device, steps: int = 1, stacked: bool = False, single_kernel: bool | None = None):
    """The plan for ``graph``: one kernel for ``steps`` steps where the graph allows it and
    ``single_kernel`` asks for it (None: when ``steps`` > 1 and the step is small enough), else the
    normal plan once per step."""
    reason = "not asked for (single_kernel=False)" if single_kernel is False else None
    if reason is None and single_kernel is None and steps == 1:
        return Plan(graph, device)
    if reason is None:
        try:
            return SingleKernelPlan(graph, device, steps, stacked, max_work=None if single_kernel else MAX_AUTO_WORK)
        except NotEligible as e:
            reason = f"not eligible: {e}"
            if single_kernel:
                warnings.warn(f"{graph.name}: single kernel {reason}; running the normal plan", stacklevel=3)
    return SteppedPlan(Plan(graph, device), steps, stacked, reason)


# ---- steps_per_execution: one step's slice of the arguments, and the stepped eager run --------

def _map_tensors(fn, x):
    from ..tensor import Tensor
    if isinstance(x, Tensor):
        return fn(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_map_tensors(fn, y) for y in x)
    return x


def step_arguments(args, steps: int, k: int = 0):
    """Step ``k``'s slice of every tensor argument (each must have a leading axis of ``steps``)."""
    def pick(t):
        if not t.shape or t.shape[0] != steps:
            raise ValueError(f"steps_per_execution={steps}: every tensor argument needs a leading axis of {steps} "
                             f"steps (e.g. wg.stack of {steps} batches), got one of shape {t.shape}")
        return t[k]
    return tuple(_map_tensors(pick, a) for a in args)


def run_eagerly(fn, args, steps: int):
    """``fn`` once per step on step k's slice of the arguments; tensors in the results stacked."""
    from ..tensor import Tensor, stack
    results = [fn(*step_arguments(args, steps, k)) for k in range(steps)]

    def join(items):
        first = items[0]
        if isinstance(first, Tensor):
            return stack(items)
        if isinstance(first, (list, tuple)):
            return type(first)(join([it[j] for it in items]) for j in range(len(first)))
        if isinstance(first, dict):
            return {key: join([it[key] for it in items]) for key in first}
        return items[-1]
    return join(results)
