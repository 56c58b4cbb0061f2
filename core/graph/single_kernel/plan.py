"""The single-kernel plan: the program built from the analysis, rendered once per kernel shape,
the arena every captured tensor lives in, a call's bindings, and the measurement that picks
the kernel shape per adapter (see the package docstring)."""
from __future__ import annotations

import math
import time
import warnings

from webgpu_kernels import single_kernel as sk
from webgpu_kernels.elementwise import elementwise_kernel
from webgpu_kernels.expr import load
from webgpu_kernels.kernel import MAX_BINDINGS
from webgpu_kernels.loop import Loc, LoopEpilogue, Map
from webgpu_kernels.view import View

from ...devices.gpu import GPUArray
from ...tensor import Tensor
from ..captures import ArenaBuffer, StalePlan
from ..ir import Graph
from .analysis import NotEligible, _Analysis, _plan_memory, _Ref, _schedule, _Store

MEASURED = ("workgroup", "small_workgroup")     # the kernel shapes a first call times (see SingleKernelPlan)
# Where kernels compile in the background (the browser), none longer than this is compiled: a
# kernel's compile holds up every compile queued after it. SwiftShader in headless Chromium 156 takes
# about 20 us a character (2-8x6-1 on seven features, 116,000 characters: 3.3 s; 265,162: 5.3 s). An
# earlier limit of 45,000 came from kernels that never compiled, which were matmul blocks guarding
# their ragged edges (see webgpu_kernels/matmul.py: blocks now divide the matrix).
MAX_BACKGROUND_SOURCE = 300_000


class SingleKernelPlan:
    """A graph lowered to one kernel that runs ``steps`` steps per dispatch (``stacked``: arguments
    and outputs carry a leading axis of that length)."""

    lowering = "single_kernel"

    def __init__(self, graph: Graph, device, steps: int = 1, stacked: bool | None = None, variant: str | None = None,
                 max_work: int | None = None, first: bool = True):
        self.graph, self.device, self.steps = graph, device, int(steps)
        self.first = first          # background compiles: at the head of the queue (a training step), or its tail
        self.stacked = steps > 1 if stacked is None else stacked
        a = self.analysis = _Analysis(graph)
        self.work = sum(u.work for u in a.units)
        if max_work is not None and self.work > max_work:
            raise NotEligible(f"too big: {self.work:,} units of work per step, above {max_work:,}, where one "
                              f"workgroup loses to the normal plan (pass single_kernel=True to force it)")
        limit = min(MAX_BINDINGS, device.limits.get("max_storage_buffers_per_shader_stage", 8))
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
                device.write_buffer(self.arena.handle, data, 4 * s.offset)
        self.kernels = {}
        self._arena_copy = None     # arena_copy's kernel
        self.adapter = device.adapter
        self.usable = [v for v in sk.VARIANTS if sk.steps_per_dispatch(self.program, v, self.adapter) >= 1]
        # The variants a first call times: those that can win. Compiling a variant costs seconds in
        # Chromium (about 25 us per character of WGSL on SwiftShader), and one invocation lost to
        # four on both CPU adapters at every size measured, so it runs only when asked for.
        self.candidates = [v for v in self.usable if v in MEASURED] or self.usable
        if not self.usable:
            raise NotEligible(f"one step loops more often than {self.adapter} allows in one dispatch")
        if hasattr(device.backend, "compile_later"):
            sizes = {v: len(self.kernel(v)[0].source) for v in self.candidates}
            self.candidates = [v for v in self.candidates if sizes[v] <= MAX_BACKGROUND_SOURCE]
            if not self.candidates:
                raise NotEligible(f"its kernel is {min(sizes.values()):,} characters of WGSL, more than the "
                                  f"{MAX_BACKGROUND_SOURCE:,} this page compiles in the background")
            self.usable = [v for v in self.usable if v in self.candidates or v not in sizes]
        if variant is not None and variant not in self.usable:
            raise NotEligible(f"variant {variant!r}: one step loops more often than {self.adapter} allows "
                              f"in one dispatch")
        self.variant = variant or known_variant(self)       # None: measured on the first call
        self.program_handle = None                           # compiled on the first call (or before: ready)

    # ---- building the program -----------------------------------------------------------------

    def _loc(self, ref: _Ref) -> Loc:
        if ref.literal is not None:
            return Loc(None, None, ref.type, literal=ref.literal)
        s = ref.store
        v = ref.view
        buf, base, step = self._where(s, s.locs[0] if s.locs else None)
        return Loc(buf, View(v.shape, v.strides, v.offset + base), ref.type, step)

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
            out.append(Loc(buf, View(s.shape, View.contiguous(s.shape).strides, base), s.dtype.value_type, step))
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
            if u.loop is Map:
                unit = Map(u.attrs["shape"], u.attrs["exprs"], [self._loc(r) for r in u.reads], outs, u.name)
            else:
                attrs = dict(u.attrs)
                ep, n_main = attrs.pop("epilogue", None), attrs.pop("n_main", len(u.reads))
                epilogue = None
                if ep is not None:
                    epilogue = LoopEpilogue(ep["shape"], ep["exprs"], [None if i == ep["slot"] else self._loc(r)
                                                                       for i, r in enumerate(ep["reads"])],
                                            ep["slot"], outs)
                    outs = [[]]
                unit = u.loop(*(self._loc(r) for r in u.reads[:n_main]), **attrs, outputs=outs[0],
                              epilogue=epilogue, name=u.name)
            phases.setdefault(u.phase, []).append(unit)
        return sk.Program(bindings, [phases[p] for p in sorted(phases)], self.steps,
                          name=f"single_kernel_{g.name}"[:60])

    def kernel(self, variant: str):
        """The kernel of ``variant``, how many dispatches a call makes of it, and its bindings' names."""
        if variant not in self.kernels:
            per = sk.steps_per_dispatch(self.program, variant, self.adapter)
            kernel, names = sk.render(self.program, variant, per)
            self.kernels[variant] = (kernel, -(-self.steps // per), names)
        return self.kernels[variant]

    def ready(self) -> bool:
        """Whether a kernel of this plan is compiled: the chosen variant's, or one of those still to
        time. Where the device compiles in the background, those that are not start compiling."""
        # the shortest WGSL first: it lands soonest (SwiftShader compiles about 25 us a character) and
        # runs while the others compile; the variants are timed once all are there
        variants = [self.variant] if self.variant is not None else sorted(
            self.candidates, key=lambda v: len(self.kernel(v)[0].source))
        # timing them copies the arena first: that kernel compiles in the background too, else the
        # timing's synchronous compile waits behind a background one (0.57 s in the page's playground)
        copy = [arena_copy(self)] if self.variant is None and len(self.candidates) > 1 else []
        kernels = copy + [self.kernel(v)[0] for v in variants]
        return self.device.ready(kernels, first=self.first) or bool(self._compiled(variants))

    def _compiled(self, variants) -> list[str]:
        return [v for v in variants if self.kernel(v)[0].source in self.device.pipelines]

    def use_variant(self, variant: str) -> None:
        kernel, self.n_dispatches, self.binding_names = self.kernel(variant)
        self.variant = variant
        self.program_handle = self.device.program(kernel)

    def _dispatch(self, program, named: dict, names: list, n: int) -> None:
        if n > 1:      # the dispatches advance a step counter kept in the arena; start it at 0
            self.device.write_buffer(named["arena"], bytes(4), 4 * sk.COUNTER)
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
            kern = elementwise_kernel("adopt", load(0, t.dtype.value_type), [(src.view, st)], (self.cap_views[k], st))
            # The arena binding is typed like the tensor here; the bits are what the kernel reads.
            device.dispatch(kern, [src.buffer.handle, self.arena.handle])
        t.data = GPUArray(self.arena, self.cap_views[k], t.dtype)

    def bind(self, args: list, out_handle, arena_handle=None) -> tuple[dict, list]:
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

    def outdated(self) -> bool:
        """Never: its kernel is its own (it stands in for nothing)."""
        return False

    def run(self, args: list) -> tuple[list, dict]:
        device, g = self.device, self.graph
        out = device.pool.alloc(4 * self.out_elements)
        handles, keep = self.bind(args, out.handle)
        compiled = self._compiled(self.candidates)
        if self.variant is None and not compiled and self.device.background:
            self.device.finish_compiles()     # asked for (single_kernel=True) before any variant landed: wait
            compiled = self._compiled(self.candidates)
        if self.variant is None and self.device.background and len(compiled) < len(self.candidates):
            # the variants to time still compile in the background: run one that is ready, decide later
            kernel, n, names = self.kernel(compiled[0])
            self._dispatch(self.device.program(kernel), handles, names, n)
        else:
            if self.variant is None:
                self.use_variant(measure_variants(self, handles))
            elif self.program_handle is None:
                self.use_variant(self.variant)
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
        variant = self.variant or (self._compiled(self.candidates) or self.candidates)[0]   # None: not timed yet
        n = self.kernel(variant)[1]
        return {"lowering": "single_kernel", "dispatches": n, "steps_per_call": self.steps,
                "steps_per_dispatch": -(-self.steps // n), "dispatches_per_step": n / self.steps,
                "variant": self.variant, "units": len(self.analysis.units), "phases": len(self.program.phases),
                "loop_trips_per_step": sk.trips_per_step(self.program, variant),
                "arena_bytes": 4 * self.arena_elements, "temp_bytes": 4 * self.temp_elements,
                "work_per_step": self.work, "kernels": [self.kernel(variant)[0].name]}


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


def arena_copy(plan: SingleKernelPlan):
    """The kernel that copies ``plan``'s arena (its bits) for ``measure_variants``, made once a plan
    (``ready`` asks for it on every call while the normal plan stands in)."""
    if plan._arena_copy is None:
        whole = View.contiguous((plan.arena_elements,))
        plan._arena_copy = elementwise_kernel("copy", load(0, "i32"), [(whole, "i32")], (whole, "i32"))
    return plan._arena_copy


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
        device.write_buffer(out.handle, bytes(4 * plan.out_elements))   # padding compares equal
        device.dispatch(arena_copy(plan), [handles["arena"], scratch.handle])
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
    device.remember_choice(_choice_key(plan), choice)
    return choice


def _words(device, handle, nbytes) -> memoryview:
    return memoryview(bytes(device.read_buffer(handle, 0, nbytes))).cast("f")


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
