"""What a single-kernel step is made of: the graph's values as stores (arguments, captured
tensors, constants, intermediates) and units (a loop over a unit's output elements: a fused
elementwise map, or the loop an op declares as its single-kernel form, ``Op.loop``), the order and
phases the units run in, and where every store lives in the arena (see the package docstring).

The units follow the fusion pass: a group of elementwise ops is one map, and a group that
passes/fuse.py gave a head (a matmul or reduction) is the head's loop with the group as its
epilogue, run on the head's result in registers."""
from __future__ import annotations

import heapq
import math

from webgpu_kernels.expr import load
from webgpu_kernels.kernel import literal
from webgpu_kernels.loop import Map
from webgpu_kernels.view import View

from ...ops import OPS
from ...ops.registry import Meta
from ..ir import CAPTURE, CONST, INPUT, RANDOM, Graph, scalar_value
from ..liveness import Offsets, share
from ..passes.fuse import FusedGroup

ALIGN = 4                   # elements: every tensor in the arena starts on 16 bytes


class NotEligible(Exception):
    """This graph has no single-kernel form; the message says why (the normal plan runs it)."""


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

    @property
    def whole(self) -> bool:
        """Every element of the store, in its order (maybe in another shape: a reshape)."""
        v = self.view
        return self.literal is None and v.offset == 0 and v.size == self.store.size and v.is_contiguous


class _Unit:
    """A loop of the step: ``loop`` is its class (``Map``, or an op's: webgpu_kernels/loop.py), reading
    ``reads`` (its own inputs, then an epilogue's: ``attrs['n_main']`` of them are its own)."""
    __slots__ = ("loop", "reads", "outs", "attrs", "order", "phase", "name", "work")

    def __init__(self, loop, reads, outs, attrs, name, work):
        self.loop, self.reads, self.outs, self.attrs, self.name, self.work = loop, reads, outs, attrs, name, work
        self.order, self.phase = 0, 0


class _Analysis:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.refs: dict[int, _Ref] = {}
        self.units: list[_Unit] = []
        self.stores: list[_Store] = []
        g = graph
        if g.randoms:
            raise NotEligible("it draws random numbers (each of the K steps needs its own)")
        for n in g.nodes:
            if n.dtype.name == "float16":
                raise NotEligible(f"{n.op} works in float16 (the arena holds 32-bit values)")
        self.caps = []
        for k, n in enumerate(g.captures):
            s = self._store(n.shape, n.dtype, "cap", index=k)
            self.caps.append(s)
            self.refs[n.id] = _Ref(s, View.contiguous(n.shape), type=n.dtype.value_type)
        for unit in g.units():
            if not isinstance(unit, FusedGroup):
                self._node(unit)
                continue
            if unit.prologue is not None:       # the group a reduction head reduces: a map before it
                pro = unit.prologue
                self._map([self.refs[i.id] for i in pro.inputs], pro.exprs, pro.outputs, pro.shape, _name(pro))
            if unit.head is None:
                self._map([self.refs[i.id] for i in unit.inputs], unit.exprs, unit.outputs, unit.shape, _name(unit))
            else:                               # the head's loop, the group as its epilogue (its result is load 0)
                self._node(unit.head, unit if unit.members else None)
        self._outputs()

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
            self.refs[o.id] = _Ref(s, View.contiguous(o.shape), type=o.dtype.value_type)
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
        self._unit(Map, reads, out_nodes, {"exprs": list(exprs), "shape": tuple(shape)}, name,
                   size * (len(exprs) + len(reads)))

    def _copy(self, ref: _Ref, into: _Store | None = None, shape=None, dtype=None, name="copy") -> _Store:
        shape = shape if shape is not None else (ref.view.shape if ref.view is not None else into.shape)
        out = into or self._store(shape, dtype, "value")
        self._unit(Map, [ref if ref.literal is not None else ref.viewed(ref.view.expand(shape))], [out],
                   {"exprs": [load(0, ref.type)], "shape": tuple(shape)}, name, 2 * math.prod(shape))
        return out

    def _node(self, n, epilogue: FusedGroup | None = None):
        if n.op == INPUT:
            s = self._store(n.shape, n.dtype, "arg", index=n.payload)
            self.refs[n.id] = _Ref(s, View.contiguous(n.shape), type=n.dtype.value_type)
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
            expr = op.expr(*(load(k, i.dtype.value_type) for k, i in enumerate(n.inputs)), **n.attrs)
            self._map(ins, [expr], [n], n.shape, n.op)
            return
        if op.loop is None:
            raise NotEligible(f"op {n.op!r} has no single-kernel form yet")
        ins = [r if r.literal is None else self._stored(r, i) for r, i in zip(ins, n.inputs)]
        form = op.loop([r.view for r in ins], Meta(n.shape, n.dtype), **n.attrs)
        reads = [r.viewed(v) for r, v in zip(ins, form.views)]
        if epilogue is None:
            self._unit(form.loop, reads, [n], dict(form.attrs), n.op, form.work)
            return
        # The group runs in the loop on its result: the epilogue's reads are the group's other inputs.
        shape = epilogue.shape
        extra = [self.refs[i.id] for i in epilogue.inputs[1:]]
        extra = [r if r.literal is not None else r.viewed(r.view.expand(shape)) for r in extra]
        attrs = dict(form.attrs, n_main=len(reads),
                     epilogue={"shape": tuple(shape), "exprs": list(epilogue.exprs), "slot": 0, "reads": [None] + extra})
        work = form.work + math.prod(shape) * (len(epilogue.exprs) + len(extra) + 1)
        self._unit(form.loop, reads + [r for r in extra if r.store is not None], epilogue.outputs, attrs,
                   f"{n.op}+{_name(epilogue)}", work)

    def _stored(self, ref: _Ref, node) -> _Ref:
        """A literal input of a loop that reads stores: a one-element store of it (rare: a loop's
        inputs are tensors but for the odd constant that folding left)."""
        s = self._copy(ref, shape=node.shape, dtype=node.dtype)
        return _Ref(s, View.contiguous(node.shape), type=ref.type)

    def _const(self, n) -> _Ref:
        t = n.dtype.value_type
        value = scalar_value(n)
        if value is not None:
            return _Ref(None, None, literal(value, t), t)
        data = n.payload
        if hasattr(data, "data"):       # a folded constant: a concrete tensor
            data = data.device.to_bytes(data.data) if math.prod(n.shape) else b""
        s = self._store(n.shape, n.dtype, "const", payload=bytes(data))
        return _Ref(s, View.contiguous(n.shape), type=t)

    def _outputs(self):
        g = self.graph
        taken = set()

        def place(node, kind, index):
            r = self.refs[node.id]
            s = r.store
            if r.whole and s.kind == "value" and id(s) not in taken:
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


def _name(group: FusedGroup) -> str:
    return "fused_" + "_".join(dict.fromkeys(m.op for m in group.members))[:40]


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
            elementwise_from = 0 if p.loop is Map else p.attrs.get("n_main", len(p.reads))
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
        a._copy(_Ref(s, View.contiguous(s.shape), type=s.dtype.value_type), into=_Store(cap.shape, cap.dtype, "value"),
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
    # Lifetimes [first phase written, last phase read], in the order the units run.
    temps = [s for s in a.stores if s.kind == "value" and not s.locs and s.producer is not None]
    temps.sort(key=lambda s: (s.producer.phase, s.producer.order))
    spans = {s: (s.producer.phase, max((r.phase for r in s.readers), default=s.producer.phase)) for s in temps}
    memory = Offsets(base)
    for s, offset in share(spans, lambda s: _aligned(max(1, s.size)), memory).items():
        s.offset = offset
    end = memory.end
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
