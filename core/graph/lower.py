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

from webgpu_kernels.elementwise import elementwise_kernel
from webgpu_kernels.expr import load
from webgpu_kernels.view import View

from ..devices.gpu import BufferPool, GPUArray
from ..ops import OPS
from .ir import CAPTURE, CONST, INPUT, RANDOM, Graph
from .passes.fuse import FusedGroup


class StalePlan(Exception):
    """A captured tensor changed layout since lowering: the function must be traced again."""


class _Value:
    """What ``GPUDevice._plan`` needs of an input: its view and dtype."""
    __slots__ = ("view", "dtype")

    def __init__(self, view, dtype):
        self.view, self.dtype = view, dtype


def _vt(dtype) -> str:
    return "bool" if dtype.kind == "b" else dtype.wgsl


class Plan:
    def __init__(self, graph: Graph, device):
        self.graph, self.device = graph, device
        self.loc: dict[int, tuple[str, View]] = {}
        self.steps: list[tuple[object, list[str], tuple]] = []     # (kernel, slots, workgroups)
        self.tmp_bytes: dict[str, int] = {}
        self.consts: dict[str, GPUArray] = {}
        self.ret: dict[int, str] = {}        # node id -> ret slot
        self.ret_meta: dict[str, tuple] = {}
        self.capture_views: list[View] = []
        self._lower()
        self._plan_buffers()
        self.programs = [device.program(k) for k, _, _ in self.steps]

    # ---- lowering -------------------------------------------------------------------------------

    def _tmp(self, nbytes: int) -> str:
        name = f"tmp{len(self.tmp_bytes)}"
        self.tmp_bytes[name] = nbytes
        return name

    def _result_slot(self, node) -> str:
        if node.id in self.ret:
            return self.ret[node.id]
        return self._tmp(max(4, _size(node.shape) * node.dtype.itemsize))

    def _copy(self, src: tuple[str, View], dtype, dst: tuple[str, View], name="copy"):
        k = elementwise_kernel(name, load(0, _vt(dtype)), [(src[1], dtype.wgsl)], (dst[1], dtype.wgsl))
        self.steps.append((k, [src[0], dst[0]], k.workgroups))

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
        random_index = {n.id: k for k, n in enumerate(getattr(g, "randoms", []))}
        for unit in getattr(g, "schedule", g.nodes):
            if isinstance(unit, FusedGroup):
                self._lower_fused(unit)
                continue
            n = unit
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
        for cap, value in g.writes:
            k = capture_index[cap.id]
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
        out = self._result_slot(n)
        if _size(n.shape):
            values = [_Value(v, i.dtype) for (_, v), i in zip(ins, n.inputs)]
            launches = self.device._plan(op, values, n.attrs, n.shape, n.dtype)
            named = {f"in{k}": s for k, (s, _) in enumerate(ins)}
            named["out0"] = out
            for launch in launches:
                for temp, nbytes in launch.temps.items():
                    named[temp] = self._tmp(nbytes)
                self.steps.append((launch.kernel, [named[a] for a in launch.args], launch.kernel.workgroups))
        self.loc[n.id] = (out, View.contiguous(n.shape))

    def _lower_fused(self, group: FusedGroup) -> None:
        ins = [(self.loc[i.id][1].expand(group.shape), i.dtype.wgsl) for i in group.inputs]
        outs = []
        for m in group.outputs:
            slot = self._result_slot(m)
            self.loc[m.id] = (slot, View.contiguous(m.shape))
            outs.append(slot)
        name = "fused_" + "_".join(dict.fromkeys(m.op for m in group.members))[:60]
        k = elementwise_kernel(name, group.exprs, ins, [(View.contiguous(m.shape), m.dtype.wgsl) for m in group.outputs])
        self.steps.append((k, [self.loc[i.id][0] for i in group.inputs] + outs, k.workgroups))

    # ---- buffer planning ------------------------------------------------------------------------

    def _plan_buffers(self) -> None:
        """Give temporaries buffers, reusing one when its last reader has run (liveness)."""
        last_use = {}
        for k, (_, slots, _) in enumerate(self.steps):
            for s in slots:
                if s.startswith("tmp"):
                    last_use[s] = k
        for node_id, (slot, _) in self.loc.items():
            pass
        free: dict[int, list] = {}
        assigned: dict[str, object] = {}
        self.buffers = []
        release_at: dict[int, list[str]] = {}
        for s, k in last_use.items():
            release_at.setdefault(k, []).append(s)
        for k, (_, slots, _) in enumerate(self.steps):
            for s in slots:
                if s.startswith("tmp") and s not in assigned:
                    size = BufferPool.size_class(self.tmp_bytes[s])
                    if free.get(size):
                        assigned[s] = free[size].pop()
                    else:
                        buf = self.device.pool.alloc(self.tmp_bytes[s])
                        self.buffers.append(buf)
                        assigned[s] = buf
            for s in release_at.get(k, []):
                size = BufferPool.size_class(self.tmp_bytes[s])
                free.setdefault(size, []).append(assigned[s])
        self.fixed = {s: b.handle for s, b in assigned.items()}
        self.fixed.update({s: a.buffer.handle for s, a in self.consts.items()})
        self.n_tmp_buffers = len(self.buffers)

    # ---- running --------------------------------------------------------------------------------

    def run(self, args: list) -> tuple[list, dict]:
        """Replay the plan on tensor ``args``; returns the output tensors and the grads to set."""
        from ..dtypes import int32
        from ..random import default_generator
        from ..tensor import Tensor, signed_params, tensor
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
        for k, node in enumerate(g.captures):
            t = node.payload
            if t.device is not device or t.data.view != self.capture_views[k]:
                raise StalePlan()
            handles[f"cap{k}"] = t.data.buffer.handle
        for k, node in enumerate(getattr(g, "randoms", [])):
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
        return {"dispatches": len(self.steps), "temp_buffers": self.n_tmp_buffers,
                "temp_slots": len(self.tmp_bytes), "kernels": [k.name for k, _, _ in self.steps]}


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
