"""Lowering: a graph becomes a plan of precompiled dispatches over named buffer slots.

Slots name where each value lives: ``arg{k}`` (the call's k-th tensor argument), ``cap{k}`` (a
captured tensor's own buffer), ``const{k}`` and ``tmp{k}`` (buffers the plan owns), ``rng{k}``
(random params drawn per call) and ``ret{k}`` (fresh buffers per call for what the call returns,
so results stay valid after the next call). Views cost nothing: a reshape or transpose is the
same slot seen through another ``View``. Temporaries share buffers when their lifetimes do not
overlap (buffer planning by liveness). A call resolves the slots to buffers and replays the
dispatches in one encoder with one submit.
"""
from __future__ import annotations

from webgpu_kernels.elementwise import elementwise_launch
from webgpu_kernels.epilogue import Epilogue
from webgpu_kernels.expr import load
from webgpu_kernels.view import View

from ..devices.gpu import GPUArray
from ..dtypes import int32
from ..ops import OPS
from ..random import default_generator
from ..tensor import Tensor, signed_params, tensor
from .captures import StalePlan, leave_arena
from .ir import CAPTURE, CONST, INPUT, RANDOM, Graph
from .liveness import PooledBuffers, share
from .passes.fuse import FusedGroup


class Plan:
    def __init__(self, graph: Graph, device):
        self.graph, self.device = graph, device
        self.loc: dict[int, tuple[str, View]] = {}
        self.steps: list[tuple[object, list[str], tuple]] = []     # (kernel, slots, workgroups)
        self.made_by: list[tuple[int, ...]] = []   # step -> the graph nodes it computes (the viewer's kernel boxes)
        self._unit: tuple[int, ...] = ()           # the nodes being lowered now
        self.tmp_bytes: dict[str, int] = {}
        self.consts: dict[str, GPUArray] = {}
        self.ret: dict[int, str] = {}        # node id -> ret slot
        self.ret_meta: dict[str, tuple] = {}
        self.capture_views: list[View] = []
        self.recipes: dict[int, tuple] = {}      # step -> how to render its elementwise kernel again
        self.producer: dict[str, int] = {}       # slot -> the step that writes it
        self.prologues: dict[int, object] = {}   # reduction node id -> the group it reduces (fuse.py)
        self.epilogue_temps: dict[int, dict] = {}  # step -> temporaries its kernel's earlier launches wrote
        self.epilogue_copies: dict[int, dict] = {}  # step -> inputs its head reads from a contiguous copy
        self.provisional = False    # some step runs a stand-in while its kernel compiles in the background
        self.landed_at = device.landed
        self._own_captures()
        self._lower()
        self._write_in_place()
        self._plan_buffers()
        self.programs = device.programs([k for k, _, _ in self.steps])

    # ---- lowering -------------------------------------------------------------------------------

    def _own_captures(self) -> None:
        """Captured tensors that live in a single-kernel plan's arena get their own buffers again
        when this plan updates captures in place: one dispatch cannot bind a buffer both read-only
        and writable (the single-kernel plan moves them back on its next call)."""
        if self.graph.writes:
            for node in self.graph.captures:
                leave_arena(node.payload, self.device)

    def _add(self, step: tuple) -> None:
        self.steps.append(step)
        self.made_by.append(self._unit)

    def _tmp(self, nbytes: int) -> str:
        name = f"tmp{len(self.tmp_bytes)}"
        self.tmp_bytes[name] = nbytes
        return name

    def _const_slot(self, data: bytes) -> str:
        """The slot of a kernel's small constant buffer (its sizes), shared with the device's eager runs."""
        array = self.device.constant(data)
        for name, held in self.consts.items():
            if held is array:
                return name
        name = f"const{len(self.consts)}"
        self.consts[name] = array
        return name

    def _result_slot(self, node) -> str:
        if node.id in self.ret:
            return self.ret[node.id]
        return self._tmp(max(4, _size(node.shape) * node.dtype.itemsize))

    def _copy(self, src: tuple[str, View], dtype, dst: tuple[str, View], name="copy"):
        self._elementwise(name, [load(0, dtype.value_type)], [(src[1], dtype.wgsl)], [src[0]],
                          [(dst[1], dtype.wgsl)], [dst[0]])

    def _elementwise(self, name, exprs, ins, in_slots, outs, out_slots):
        """Record an elementwise kernel with what it takes to render it again (in place)."""
        self.recipes[len(self.steps)] = (name, exprs, ins, in_slots, outs, out_slots)
        for s in out_slots:
            self.producer[s] = len(self.steps)
        self._add(self._elementwise_step(name, exprs, ins, in_slots, outs, out_slots))

    def _elementwise_step(self, name, exprs, ins, in_slots, outs, out_slots, aliases=None) -> tuple:
        launch = elementwise_launch(name, exprs, ins, outs, aliases)
        named = {**{f"in{i}": s for i, s in enumerate(in_slots)}, **{f"out{k}": s for k, s in enumerate(out_slots)},
                 **{c: self._const_slot(data) for c, data in launch.consts.items()}}
        return launch.kernel, [named[a] for a in launch.args], launch.kernel.workgroups

    def _lower(self) -> None:
        g = self.graph
        for k, node in enumerate(g.outputs + [v for _, v in g.grads if v is not None]):
            if node.id not in self.ret:
                slot = f"ret{len(self.ret)}"
                self.ret[node.id] = slot
                self.ret_meta[slot] = (node.shape, node.dtype)
        for k, node in enumerate(g.captures):
            self.capture_views.append(node.payload.data.view)
        capture_index = {n.id: k for k, n in enumerate(g.captures)}
        random_index = {n.id: k for k, n in enumerate(g.randoms)}
        for unit in g.units():
            if isinstance(unit, FusedGroup):
                self._unit = unit.node_ids()
                self._lower_fused(unit)
                continue
            n = unit
            self._unit = (n.id,)
            if n.op == INPUT:
                self.loc[n.id] = (f"arg{n.payload}", View.contiguous(n.shape))
            elif n.op == CAPTURE:
                k = capture_index[n.id]
                self.loc[n.id] = (f"cap{k}", self.capture_views[k])
            elif n.op == RANDOM:
                self.loc[n.id] = (f"rng{random_index[n.id]}", View.contiguous(n.shape))
            elif n.op == CONST:
                data = n.payload.data if hasattr(n.payload, "data") else \
                    self.device.from_bytes(n.payload, n.shape, n.dtype)
                name = f"const{len(self.consts)}"
                self.consts[name] = data
                self.loc[n.id] = (name, data.view)
            else:
                self._lower_op(n)
            if n.id in self.ret and self.loc[n.id][0] != self.ret[n.id]:
                # A returned value that is a view, an argument or a capture: copy it out.
                dst = (self.ret[n.id], View.contiguous(n.shape))
                self._copy(self.loc[n.id], n.dtype, dst)
                self.loc[n.id] = dst
        self.write_steps = {}
        for cap, value in g.writes:
            k = capture_index[cap.id]
            self.write_steps[k] = (len(self.steps), value)
            self._unit = ()                    # a copy into the parameter: no node of its own
            self._copy(self.loc[value.id], value.dtype, (f"cap{k}", self.capture_views[k]), "write_back")

    def _lower_op(self, n) -> None:
        op = OPS[n.op]
        ins = [self.loc[i.id] for i in n.inputs]
        if op.view is not None:
            slot, view = ins[0]
            v = op.view(view, **n.attrs)
            if v is None:
                src = n.inputs[0]
                dst = (self._tmp(max(4, _size(src.shape) * src.dtype.itemsize)), View.contiguous(src.shape))
                self._copy(ins[0], src.dtype, dst)
                slot, v = dst[0], op.view(dst[1], **n.attrs)
            self.loc[n.id] = (slot, v)
            return
        if op.kernel is not None:
            ins = self._as_kernel_reads(op, n.inputs, ins)
        out = self._result_slot(n)
        if op.expr is not None and _size(n.shape):
            expr = op.expr(*(load(k, i.dtype.value_type) for k, i in enumerate(n.inputs)), **n.attrs)
            self._elementwise(n.op, [expr], [(v.expand(n.shape), i.dtype.wgsl) for (_, v), i in zip(ins, n.inputs)],
                              [s for s, _ in ins], [(View.contiguous(n.shape), n.dtype.wgsl)], [out])
        elif _size(n.shape):
            values = [GPUArray(None, v, i.dtype) for (_, v), i in zip(ins, n.inputs)]
            launches = self.device.launches_for(op, values, n.attrs, n.shape, n.dtype)
            self.provisional |= any(launch.provisional for launch in launches)
            named = {f"in{k}": s for k, (s, _) in enumerate(ins)}
            named["out0"] = out
            for launch in launches:
                for temp, nbytes in launch.temps.items():
                    named[temp] = self._tmp(nbytes)
                named.update({c: self._const_slot(data) for c, data in launch.consts.items()})
                if "out0" in launch.args:
                    self.producer[out] = len(self.steps)
                self._add((launch.kernel, [named[a] for a in launch.args], launch.kernel.workgroups))
        self.loc[n.id] = (out, View.contiguous(n.shape))

    def _as_kernel_reads(self, op, nodes, ins) -> list:
        """The input slots and views of ``op``'s kernel: a kernel that is not ``strided`` reads its
        inputs as contiguous, so other views are copied first."""
        if op.strided:
            return ins
        ins = list(ins)
        for k, (i, (slot, view)) in enumerate(zip(nodes, ins)):
            if not view.is_contiguous or view.offset:
                dst = (self._tmp(max(4, _size(i.shape) * i.dtype.itemsize)), View.contiguous(i.shape))
                self._copy((slot, view), i.dtype, dst)
                ins[k] = dst
        return ins

    def _lower_fused(self, group: FusedGroup) -> None:
        if group.head is not None and not group.fits:     # one kernel would bind too many buffers: the head first
            self._lower_op(group.head)
            slot, _ = self.loc[group.head.id]
            self.loc[group.head.id] = (slot, View.contiguous(group.shape))    # as the group reads it (a reshape)
        fused_head = group.head is not None and group.fits
        extra = group.inputs[1:] if fused_head else group.inputs
        ins = [(self.loc[i.id][1].expand(group.shape), i.dtype.wgsl) for i in extra]
        in_slots = [self.loc[i.id][0] for i in extra]
        outs = []
        for m in group.outputs:
            slot = self._result_slot(m)
            self.loc[m.id] = (slot, View.contiguous(m.shape))
            outs.append(slot)
        out_views = [(View.contiguous(m.shape), m.dtype.wgsl) for m in group.outputs]
        name = "fused_" + "_".join(dict.fromkeys(m.op for m in group.members))[:60]
        if not fused_head:
            self._elementwise(name, group.exprs, ins, in_slots, out_views, outs)
        else:
            if group.prologue is not None:
                self.prologues[group.head.id] = group.prologue
            self._epilogue(group.head, group.exprs, ins, in_slots, out_views, outs)

    def _epilogue(self, head, exprs, ins, in_slots, out_views, out_slots, aliases=None, step=None):
        """The head's kernel with the group as its epilogue (recorded so it can be redone in place)."""
        epilogue = Epilogue(tuple(exprs), tuple(ins), tuple(out_views), aliases or {})
        pro, attrs = self.prologues.get(head.id), head.attrs
        if pro is None:         # the head reads its inputs
            sources = head.inputs
            head_ins = [self.loc[i.id] for i in sources]
            if step is None:
                copies = self._as_kernel_reads(OPS[head.op], sources, head_ins)
                copied = {k: c for k, (c, x) in enumerate(zip(copies, head_ins)) if c is not x}
            else:               # redone in place: the copies stay as they were made
                copied = self.epilogue_copies[step]
            head_ins = [copied.get(k, x) for k, x in enumerate(head_ins)]
        else:                   # the head reduces an expression of the prologue's inputs
            sources, attrs = pro.inputs, dict(attrs, prologue=pro.exprs[0])
            head_ins = [(self.loc[i.id][0], self.loc[i.id][1].expand(pro.shape)) for i in sources]
        values = [GPUArray(None, view, i.dtype) for (_, view), i in zip(head_ins, sources)]
        launches = self.device.launches_for(OPS[head.op], values, attrs, head.shape, head.dtype, epilogue=epilogue)
        self.provisional |= any(launch.provisional for launch in launches)
        h = len(head_ins)
        named = {**{f"in{k}": slot for k, (slot, _) in enumerate(head_ins)},
                 **{f"in{h + k}": s for k, s in enumerate(in_slots)},
                 **{f"out{j}": s for j, s in enumerate(out_slots)}}
        steps = []
        named.update(self.epilogue_temps.get(step, {}))   # redone: the earlier launches stay as they were
        for launch in launches:
            for temp, nbytes in launch.temps.items():
                if temp not in named:
                    named[temp] = self._tmp(nbytes)
            named.update({c: self._const_slot(data) for c, data in launch.consts.items()})
            steps.append((launch.kernel, [named[a] for a in launch.args], launch.kernel.workgroups))
        if step is not None:          # redoing the last launch in place
            return steps[-1]
        for earlier in steps[:-1]:
            self._add(earlier)
        last = len(self.steps)
        self.recipes[last] = ("epilogue", head, exprs, ins, in_slots, out_views, out_slots)
        self.epilogue_temps[last] = {t: named[t] for launch in launches for t in launch.temps}
        self.epilogue_copies[last] = copied if pro is None else {}
        for s in out_slots:
            self.producer[s] = last
        self._add(steps[-1])

    def _write_in_place(self) -> None:
        """Let the kernel that computes a captured tensor's new value write it into the tensor's own
        buffer, instead of a temporary plus a copy, when nothing reads the old value afterwards."""
        dropped = set()
        for k, (copy_step, value) in self.write_steps.items():
            cap, (slot, view) = f"cap{k}", self.loc[value.id]
            step = self.producer.get(slot)
            if not slot.startswith("tmp") or view != self.capture_views[k] or step is None:
                continue
            later = [j for j in range(step + 1, len(self.steps)) if j != copy_step and j not in dropped]
            if any(cap in self.steps[j][1] for j in later):
                continue                       # the old value is still read after the update
            kernel, slots, wg = self.steps[step]
            recipe = self.recipes.get(step)
            if recipe is None:
                if cap in slots:
                    continue
                self.steps[step] = (kernel, [cap if s == slot else s for s in slots], wg)
            else:
                kind, *rest = recipe
                *_, ins, in_slots, outs, out_slots = recipe
                n_tail = len([s for s in in_slots if s not in out_slots]) + len(out_slots)
                buffers = [s for s in slots if not s.startswith("const")]     # not a kernel's sizes
                if cap in buffers[:len(buffers) - n_tail]:
                    continue                   # a matmul or reduction reads it whole while its epilogue writes it
                j = out_slots.index(slot)
                reads = [i for i, s in enumerate(in_slots) if s == cap]
                if any(ins[i][0] != outs[j][0] for i in reads):
                    continue                   # read through another view: not the same element
                out_slots = [cap if s == slot else s for s in out_slots]
                # every input now written by this kernel in place (earlier captures too) reads its output
                aliases = {i: out_slots.index(s) for i, s in enumerate(in_slots) if s in out_slots}
                if kind == "epilogue":
                    head, exprs = rest[0], rest[1]
                    self.steps[step] = self._epilogue(head, exprs, ins, in_slots, outs, out_slots, aliases, step)
                    self.recipes[step] = (kind, head, exprs, ins, in_slots, outs, out_slots)
                else:
                    exprs = rest[0]
                    self.recipes[step] = (kind, exprs, ins, in_slots, outs, out_slots)
                    self.steps[step] = self._elementwise_step(kind, exprs, ins, in_slots, outs, out_slots, aliases)
            rename = lambda slots: [cap if s == slot else s for s in slots]
            for j in later:
                kj, sj, wj = self.steps[j]
                self.steps[j] = (kj, rename(sj), wj)
                if j in self.recipes:       # a later in-place rewrite of that step starts from its recipe
                    r = self.recipes[j]
                    self.recipes[j] = (*r[:-3], rename(r[-3]), r[-2], rename(r[-1]))
            for nid, (s, v) in list(self.loc.items()):     # the value, and views of it read later
                if s == slot:
                    self.loc[nid] = (cap, v)
            dropped.add(copy_step)
        self.steps = [st for j, st in enumerate(self.steps) if j not in dropped]
        self.made_by = [m for j, m in enumerate(self.made_by) if j not in dropped]

    # ---- buffer planning ------------------------------------------------------------------------

    def _plan_buffers(self) -> None:
        """Give temporaries buffers, reusing one when its last reader has run (liveness)."""
        spans = {}
        for k, (_, slots, _) in enumerate(self.steps):
            for s in slots:
                if s.startswith("tmp"):
                    spans[s] = (spans.get(s, (k, k))[0], k)
        memory = PooledBuffers(self.device.pool)
        assigned = share(spans, self.tmp_bytes.get, memory)
        self.buffers = memory.buffers
        self.fixed = {s: b.handle for s, b in assigned.items()}
        self.fixed.update({s: a.buffer.handle for s, a in self.consts.items()})
        self.n_tmp_buffers = len(self.buffers)

    # ---- running --------------------------------------------------------------------------------

    def outdated(self) -> bool:
        """Whether a kernel that a stand-in runs for has compiled since lowering: lowered again, the
        plan runs it (tiered compiling, see ``GPUDevice.ready``)."""
        return self.provisional and self.device.poll_background() != self.landed_at

    def run(self, args: list) -> tuple[list, dict]:
        """Replay the plan on tensor ``args``; returns the output tensors and the grads to set."""
        g, device = self.graph, self.device
        handles = dict(self.fixed)
        keep = []
        for k, node in enumerate(g.inputs):
            a = args[k]
            if a.device is not device:
                a = a.to(device)
            if a.dtype != node.dtype:
                a = a.cast(node.dtype)
            if not a.data.view.is_contiguous or a.data.view.offset:
                a = a.contiguous()
            keep.append(a)
            handles[f"arg{k}"] = a.data.buffer.handle
        self._own_captures()
        for k, node in enumerate(g.captures):
            t = node.payload
            if t.device is not device or t.data.view != self.capture_views[k]:
                raise StalePlan()
            handles[f"cap{k}"] = t.data.buffer.handle
        for k, node in enumerate(g.randoms):
            params = tensor(signed_params((node.payload or default_generator).take(node.attrs["n_values"])),
                            dtype=int32, device=device)
            keep.append(params)
            handles[f"rng{k}"] = params.data.buffer.handle
        rets = {}
        for slot, (shape, dtype) in self.ret_meta.items():
            arr = device.alloc(shape, dtype)
            rets[slot] = Tensor._make(arr, shape, dtype, device)
            handles[slot] = arr.buffer.handle
        device.replay([(p, [handles[s] for s in slots], wg)
                       for p, (_, slots, wg) in zip(self.programs, self.steps)])
        outputs = [rets[self.ret[n.id]] for n in g.outputs]
        grads = {id(c.payload): (rets[self.ret[v.id]] if v is not None else None) for c, v in g.grads}
        return outputs, grads

    def summary(self) -> dict:
        return {"lowering": "plan", "dispatches": len(self.steps), "temp_buffers": self.n_tmp_buffers,
                "temp_slots": len(self.tmp_bytes), "kernels": [k.name for k, _, _ in self.steps]}


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
