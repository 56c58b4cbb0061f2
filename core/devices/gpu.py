"""The WebGPU device: runs registered ops as WGSL kernels on a backend.

Everything here is shared by both hosts; a backend (``wgpu_native`` on the desktop, ``browser``
in Pyodide) only creates buffers, compiles WGSL, records dispatches and submits them:

    class Backend:
        name: str; features: set[str]; limits: dict[str, int]
        def create_buffer(self, nbytes) -> handle
        def destroy_buffer(self, handle)
        def write_buffer(self, handle, data: bytes, offset=0)     # queued before later submits
        def read_buffer(self, handle, offset, nbytes) -> bytes     # after submit(); waits
        def compile(self, source: str, name: str) -> program       # raises KernelCompileError
        # optional, to compile in the background (tiered compiling; the browser has them):
        def compile_later(self, source, name) -> ticket
        def compiled(self, ticket, source, name, wait=False) -> program | None   # None: not yet
        def dispatch(self, program, handles: list, workgroups: tuple[int, int, int])
        def submit(self)                                           # sends what dispatch recorded
        def wait(self)                                             # until submitted work is done
        def load_choices(self) -> dict; def save_choices(self, choices: dict)
        def stats(self) -> dict                                    # optional: counters of its own
"""
from __future__ import annotations

import re
import time
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import replace
from math import prod

from webgpu_kernels.elementwise import elementwise_launch
from webgpu_kernels.expr import load
from webgpu_kernels.kernel import Launch
from webgpu_kernels.view import View

from ..dtypes import DType, float32, int32
from ..ops.registry import Meta

SUBMIT_EVERY = 64            # dispatches recorded before an automatic submit
PIPELINE_CACHE_SIZE = 2048
CONSTANTS_KEPT = 4096       # small buffers of kernel sizes (shape-generic kernels' dims)


class NoAdapterError(RuntimeError):
    """No WebGPU adapter to open here; the message says what to install or enable."""


class KernelCompileError(RuntimeError):
    """A WGSL shader failed to compile; the message shows the kernel and the lines at fault.

    Example:
        >>> wg.get_device("webgpu").backend.compile("fn main( {", "broken")
        Traceback (most recent call last):
        ...
        webgrad.devices.gpu.KernelCompileError: kernel 'broken' failed to compile: ...
    """

    @staticmethod
    def explain(name: str, source: str, message: str) -> "KernelCompileError":
        """The error for kernel ``name``'s WGSL ``source`` that the compiler rejected with ``message``: the
        reason, the source lines around the one at fault (all of them if none is named), then the message.

        Example:
            >>> print(KernelCompileError.explain("k", "fn main() {\\n  let x = y;\\n}", "wgsl:2:11 error: no 'y'"))
            kernel 'k' failed to compile: wgsl:2:11 error: no 'y'
                 1 | fn main() {
            >    2 |   let x = y;
                 3 | }
            <BLANKLINE>
            wgsl:2:11 error: no 'y'
        """
        lines = source.splitlines()
        at = re.search(r"wgsl:(\d+):(\d+)", message) or re.search(r":(\d+):(\d+)", message)
        shown = []
        if at:
            line = int(at.group(1))
            for n in range(max(1, line - 2), min(len(lines), line + 2) + 1):
                shown.append(f"{'>' if n == line else ' '} {n:4d} | {lines[n - 1]}")
        first = message.strip().splitlines()
        reason = next((ln for ln in first if "error" in ln.lower() and "Caused" not in ln), first[-1] if first else "")
        excerpt = "\n".join(shown) if shown else "\n".join(f"  {n + 1:4d} | {t}" for n, t in enumerate(lines))
        return KernelCompileError(f"kernel {name!r} failed to compile: {reason.strip()}\n{excerpt}\n\n{message.strip()}")


class GPUArray:
    """A tensor's storage on a WebGPU device: a pooled buffer seen through a view (graph lowering
    asks for the launches of values whose buffer is bound later: ``GPUArray(None, view, dtype)``)."""
    __slots__ = ("buffer", "view", "dtype")

    def __init__(self, buffer: "PooledBuffer", view: View, dtype: DType):
        self.buffer, self.view, self.dtype = buffer, view, dtype


class PooledBuffer:
    """Owns one backend buffer; when no tensor holds it any more it goes back to the pool."""
    __slots__ = ("handle", "nbytes", "pool", "__weakref__")

    def __init__(self, handle, nbytes: int, pool: "BufferPool"):
        self.handle, self.nbytes, self.pool = handle, nbytes, pool

    def __del__(self):
        pool = self.pool
        if pool is not None:
            pool.release(self.handle, self.nbytes)


class BufferPool:
    """Buffers by size, reused instead of created: creating one costs far more than a dispatch.

    A buffer released while dispatches that use it are recorded but not submitted waits for the
    submit, so that a write to it (queued ahead of those dispatches) cannot change their input.
    """

    def __init__(self, backend):
        self.backend = backend
        self.free: dict[int, list] = {}
        # Every buffer created, held here: when a tensor dies in a reference cycle, the collector
        # may finalize its backend buffer together with it, and the pool would hand out a dead one.
        self.every: list = []
        self.waiting: list[tuple[object, int]] = []
        self.created = 0          # buffers created over the pool's life
        self.created_bytes = 0    # their total size
        self.live_bytes = 0       # bytes held by tensors now
        self.recording = False    # dispatches are recorded and not yet submitted

    @staticmethod
    def size_class(nbytes: int) -> int:
        # Round up to 1/8 steps of a power of two: sizes that differ slightly share buffers.
        n = max(16, (nbytes + 3) & ~3)
        step = max(16, 1 << max(0, n.bit_length() - 4))
        return -(-n // step) * step

    def alloc(self, nbytes: int) -> PooledBuffer:
        size = self.size_class(nbytes)
        free = self.free.get(size)
        if free:
            handle = free.pop()
        else:
            handle = self.backend.create_buffer(size)
            self.every.append(handle)
            self.created += 1
            self.created_bytes += size
        self.live_bytes += size
        return PooledBuffer(handle, size, self)

    def release(self, handle, size: int) -> None:
        self.live_bytes -= size
        if self.recording:
            self.waiting.append((handle, size))
        else:
            self.free.setdefault(size, []).append(handle)

    def submitted(self) -> None:
        self.recording = False
        for handle, size in self.waiting:
            self.free.setdefault(size, []).append(handle)
        self.waiting.clear()

    def stats(self) -> dict:
        pooled = sum(size * len(hs) for size, hs in self.free.items())
        return {"buffers_created": self.created, "bytes_created": self.created_bytes,
                "live_bytes": self.live_bytes, "pooled_bytes": pooled}


class GPUDevice:
    """A WebGPU adapter as a webgrad device: ops in, kernels dispatched, buffers pooled."""

    kind = "webgpu"

    def __init__(self, backend):
        self.backend = backend
        self.name = f"webgpu:{backend.name}"
        self.pool = BufferPool(backend)
        self.pipelines: OrderedDict[str, object] = OrderedDict()
        self.launches: dict[tuple, list[Launch]] = {}
        self.constants: OrderedDict[bytes, GPUArray] = OrderedDict()
        self.pending = 0
        self.dispatches = 0
        self.compiled = 0            # pipelines compiled since the device opened
        self.background: dict[str, tuple] = {}    # source -> (ticket, name) of a pipeline compiling in the background
        self.landed = 0              # background compiles finished: a plan built on stand-ins rebuilds when it grows
        self.held = 0                # > 0 while a plan compiles its kernels now: background ones start after
        self.stood_in: set[tuple] = set()     # eager launches that ran a stand-in once
        self.choices: dict[str, str] = backend.load_choices()
        self.forced: dict[str, str] = {}
        limits = backend.limits
        self.max_binding = min(limits.get("max_storage_buffer_binding_size", 1 << 27),
                               limits.get("max_buffer_size", 1 << 28))
        self.has_f16 = "shader-f16" in backend.features

    def __repr__(self) -> str:
        return f"<webgrad device {self.name}>"

    @property
    def adapter(self) -> str:
        """The adapter's name, as the backend reports it (``llvmpipe (LLVM 15.0.6, 256 bits)``, ...)."""
        return self.backend.name

    @property
    def limits(self) -> dict:
        """WebGPU limits of the adapter, snake_case (``max_storage_buffers_per_shader_stage``, ...)."""
        return self.backend.limits

    def write_buffer(self, handle, data: bytes, offset: int = 0) -> None:
        """Queue ``data`` into buffer ``handle`` at ``offset`` bytes (before later submitted work)."""
        self.backend.write_buffer(handle, data, offset)

    def read_buffer(self, handle, offset: int, nbytes: int) -> bytes:
        """Submit what is recorded and read ``nbytes`` of buffer ``handle`` back (waits)."""
        self.submit()
        return self.backend.read_buffer(handle, offset, nbytes)

    def remember_choice(self, key: str, choice: str) -> None:
        """Keep a measured choice (a kernel variant) for this adapter, across runs and page loads."""
        self.choices[key] = choice
        self.backend.save_choices(self.choices)

    # ---- storage ------------------------------------------------------------------------------

    def alloc(self, shape, dtype: DType) -> GPUArray:
        nbytes = prod(shape) * dtype.itemsize
        if nbytes > self.max_binding:
            raise MemoryError(f"a {dtype.name} tensor of shape {tuple(shape)} needs {nbytes:,} bytes, more than "
                              f"this adapter's limit for one buffer binding ({self.max_binding:,} bytes, "
                              f"maxStorageBufferBindingSize of {self.backend.name})")
        if dtype.name == "float16" and not self.has_f16:
            raise TypeError(f"float16 needs the shader-f16 feature, which {self.backend.name} does not have")
        return GPUArray(self.pool.alloc(nbytes), View.contiguous(shape), dtype)

    def from_bytes(self, data, shape, dtype: DType) -> GPUArray:
        out = self.alloc(shape, dtype)
        if len(data):
            pad = (-len(data)) % 4
            self.backend.write_buffer(out.buffer.handle, bytes(data) + b"\0" * pad if pad else data)
        return out

    def to_bytes(self, x: GPUArray) -> bytes:
        """Row-major bytes of ``x`` (a strided view is copied to a contiguous buffer first)."""
        if not x.view.is_contiguous:
            picked = self._read_strided(x)
            if picked is not None:
                return picked
            x = self.contiguous(x)
        n = x.view.size * x.dtype.itemsize
        if n == 0:
            return b""
        self.submit()
        start = x.view.offset * x.dtype.itemsize
        # Reads start and end on 4-byte bounds (WebGPU copies are 4-byte aligned).
        lo, hi = start & ~3, (start + n + 3) & ~3
        data = self.backend.read_buffer(x.buffer.handle, lo, hi - lo)
        return bytes(data[start - lo:start - lo + n])

    def _read_strided(self, x: GPUArray) -> bytes | None:
        """A small strided view read as its whole span and picked on the host: cheaper than a copy
        kernel and a second round trip (e.g. the losses of K stacked steps, one every few floats)."""
        v, size = x.view, x.view.size
        if size == 0 or size > 65536 or any(st < 0 for st in v.strides):
            return None
        span = 1 + sum((d - 1) * st for d, st in zip(v.shape, v.strides))
        if span > 4 * size + 64:
            return None
        item = x.dtype.itemsize
        base = GPUArray(x.buffer, View((span,), (1,), v.offset), x.dtype)
        raw = self.to_bytes(base)
        offsets = [0]
        for d, st in zip(v.shape, v.strides):
            offsets = [o + i * st for o in offsets for i in range(d)]
        return b"".join(raw[o * item:(o + 1) * item] for o in offsets)

    def contiguous(self, x: GPUArray) -> GPUArray:
        out = self.alloc(x.view.shape, x.dtype)
        t = x.dtype.value_type
        self._launch([elementwise_launch("copy", load(0, t), [(x.view, x.dtype.wgsl)], (out.view, out.dtype.wgsl))],
                     [x], [out])
        return out

    # ---- running ops --------------------------------------------------------------------------

    def run(self, op, inputs: list[GPUArray], attrs: dict, shape, dtype: DType) -> GPUArray:
        if op.view is not None:
            x, = inputs
            v = op.view(x.view, **attrs)
            if v is None:
                x = self.contiguous(x)
                v = op.view(x.view, **attrs)
            return GPUArray(x.buffer, v, dtype)
        if op.kernel is not None and not op.strided:
            inputs = [x if x.view.is_contiguous and not x.view.offset else self.contiguous(x) for x in inputs]
        out = self.alloc(shape, dtype)
        if out.view.size == 0:
            return out
        key = (op.name, _frozen(attrs), tuple((x.view, x.dtype) for x in inputs), out.view.shape, dtype)
        launches = self.launches.get(key)
        if launches is None:
            # an eager op that meets a kernel still to compile runs a stand-in; seen again (a loop),
            # its kernel is queued to compile in the background
            launches = self.launches_for(op, inputs, attrs, shape, dtype, start_compiles=key in self.stood_in)
            if any(launch.provisional for launch in launches):
                if len(self.stood_in) > PIPELINE_CACHE_SIZE:
                    self.stood_in.clear()
                self.stood_in.add(key)
            else:
                self.launches[key] = launches
                if len(self.launches) > PIPELINE_CACHE_SIZE:
                    self.launches.clear()
        self._launch(launches, inputs, [out])
        return out

    def launches_for(self, op, inputs, attrs, shape, dtype: DType, epilogue=None,
                     start_compiles: bool = True) -> list[Launch]:
        """The kernel launches that compute ``op`` for these input views (cached by the caller);
        graph mode passes an ``epilogue`` to ops that can take one (matmul, reductions), and
        reductions a ``prologue`` expression of their inputs in ``attrs``. Where the chosen kernel
        is not compiled yet they are its stand-in's, marked ``provisional`` (see ``ready``)."""
        if op.expr is not None:
            expr = op.expr(*(load(i, x.dtype.value_type) for i, x in enumerate(inputs)), **attrs)
            ins = [(x.view.expand(shape), x.dtype.wgsl) for x in inputs]
            return [elementwise_launch(op.name, expr, ins, (View.contiguous(shape), dtype.wgsl))]
        if epilogue is not None:
            attrs = dict(attrs, epilogue=epilogue)
        views = [(x.view, x.dtype) for x in inputs]
        if not op.variants:
            return op.kernel(views, Meta(shape, dtype), **attrs)
        variant = self.variant(op, [x.view.shape for x in inputs], shape)
        if variant is not None:
            launches = op.kernel(views, Meta(shape, dtype), **attrs, variant=variant)
            if op.stand_in in (None, variant) or op.name in self.forced \
                    or self.ready([launch.kernel for launch in launches], start_compiles):
                return launches
        # tiered: the stand-in runs now, while the chosen kernel compiles in the background
        return [replace(launch, provisional=True)
                for launch in op.kernel(views, Meta(shape, dtype), **attrs, variant=op.stand_in)]

    def _launch(self, launches, inputs, outputs) -> None:
        named = {f"in{i}": x.buffer.handle for i, x in enumerate(inputs)}
        named.update({f"out{i}": x.buffer.handle for i, x in enumerate(outputs)})
        temps = []
        for launch in launches:
            for name, data in launch.consts.items():
                named[name] = self.constant(data).buffer.handle
            for name, nbytes in launch.temps.items():
                buf = self.pool.alloc(nbytes)
                temps.append(buf)          # held until every launch is recorded
                named[name] = buf.handle
            self.dispatch(launch.kernel, [named[a] for a in launch.args])
        del temps

    def constant(self, data: bytes) -> GPUArray:
        """A small read-only buffer holding ``data``, uploaded once and kept (a kernel's sizes)."""
        held = self.constants.get(data)
        if held is None:
            if len(self.constants) >= CONSTANTS_KEPT:       # the least recently used goes back to the pool
                self.constants.popitem(last=False)
            held = self.constants[data] = self.from_bytes(data, (len(data) // 4,), int32)   # 32-bit words
        else:
            self.constants.move_to_end(data)
        return held

    def program(self, kernel):
        """The compiled pipeline of ``kernel``, from the cache keyed by its source (compiled now,
        or waited for if it is compiling in the background)."""
        program = self.pipelines.get(kernel.source)
        if program is not None:
            self.pipelines.move_to_end(kernel.source)
            return program
        if kernel.source in self.background:
            return self._land(kernel.source, wait=True)
        self.compiled += 1
        return self._keep(kernel.source, self.backend.compile(kernel.source, kernel.name))

    def programs(self, kernels) -> list:
        """The compiled pipelines of ``kernels`` (a plan's). Where the backend compiles in the
        background, those not compiled yet all start at once and are then waited for: the browser
        compiles them side by side (a digits CNN step's 41 kernels: 2.5 s one by one, 1.7 s so)."""
        if hasattr(self.backend, "compile_later"):
            started = {}
            for kernel in kernels:
                if not (kernel.source in self.pipelines or kernel.source in self.background or kernel.source in started):
                    started[kernel.source] = (self.backend.compile_later(kernel.source, kernel.name), kernel.name)
            for source, (ticket, name) in started.items():
                self.compiled += 1
                self._keep(source, self.backend.compiled(ticket, source, name, wait=True))
        return [self.program(kernel) for kernel in kernels]

    def _keep(self, source: str, program):
        self.pipelines[source] = program
        if len(self.pipelines) > PIPELINE_CACHE_SIZE:
            self.pipelines.popitem(last=False)
        return program

    # ---- tiered compiling: kernels that are not ready yet compile in the background ------------

    def ready(self, kernels, start: bool = True, first: bool = False) -> bool:
        """Whether every one of ``kernels`` is compiled. With ``start``, those that are not are
        queued to compile in the background where the backend can (the browser:
        ``createComputePipelineAsync``), so the caller runs a stand-in meanwhile; elsewhere they
        compile now. One compiles at a time: on a CPU adapter each takes a core from the steps.
        ``first`` puts them at the head of the queue (a single-kernel step, which replaces a whole
        stepped plan, goes before a matmul variant that replaces one naive kernel)."""
        if not hasattr(self.backend, "compile_later"):
            return True
        queued = {k.source: (None, k.name) for k in kernels
                  if start and k.source not in self.pipelines and k.source not in self.background}
        if first:
            waiting = {s: v for s, v in self.background.items() if v[0] is None}
            self.background = {**{s: v for s, v in self.background.items() if v[0] is not None}, **queued, **waiting}
        else:
            self.background.update(queued)
        self.poll_background()
        return all(kernel.source in self.pipelines for kernel in kernels)

    def _land(self, source: str, wait: bool = False):
        """The pipeline of a background compile once it is done (None while it is not); ``wait``
        waits for one in flight, and compiles one still queued now."""
        ticket, name = self.background[source]
        if ticket is None:
            if not wait:
                return None
            del self.background[source]
            self.compiled += 1
            return self._keep(source, self.backend.compile(source, name))
        program = self.backend.compiled(ticket, source, name, wait)
        if program is None:
            return None
        del self.background[source]
        self.landed += 1
        return self._keep(source, program)

    def poll_background(self) -> int:
        """Land the background compiles that are done and start the next queued one (unless
        ``holding_compiles``); returns ``landed``, the running count of those landed."""
        for source, (ticket, _) in list(self.background.items()):
            if ticket is not None:
                self._land(source)
        if not self.held and self.background and all(ticket is None for ticket, _ in self.background.values()):
            source, (_, name) = next(iter(self.background.items()))
            self.compiled += 1
            self.background[source] = (self.backend.compile_later(source, name), name)
        return self.landed

    def compiles_pending(self) -> int:
        """Land the background compiles that are done, start the next queued one, and return how many
        are still queued or compiling. The page's worker asks between two calls, so that compiles go on
        while nothing runs (a queued one starts only when Python polls).

        Example:
            >>> wg.default_device().compiles_pending()
            0
        """
        self.poll_background()
        return len(self.background)

    @contextmanager
    def holding_compiles(self):
        """Queue background compiles without starting them while the block runs, and start the
        first when it ends: a plan's own kernels compile now (``programs``), and a slow background
        one started first (a matmul variant, a single kernel) would take a core from them.

        Example:
            >>> with wg.default_device().holding_compiles():
            ...     pass
        """
        self.held += 1
        try:
            yield
        finally:
            self.held -= 1
            if not self.held:
                self.poll_background()

    def finish_compiles(self) -> None:
        """Wait for every kernel compiling in the background (benchmarks and tests: the next
        steps then run the kernels that were chosen, not their stand-ins).

        Example:
            >>> wg.default_device().finish_compiles()
        """
        while self.background:
            source, (ticket, _) = next(iter(self.background.items()))
            if ticket is None:
                self.poll_background()        # starts it
            self._land(source, wait=True)

    def dispatch(self, kernel, handles) -> None:
        """Record one launch of ``kernel`` over buffer ``handles`` (submitted with the next batch)."""
        self.backend.dispatch(self.program(kernel), handles, kernel.workgroups)
        self.pool.recording = True
        self.pending += 1
        self.dispatches += 1
        if self.pending >= SUBMIT_EVERY:
            self.submit()

    def replay(self, dispatches) -> None:
        """Record precompiled dispatches, (program, handles, workgroups), and submit them at once:
        how a traced graph runs."""
        dispatch = self.backend.dispatch
        for program, handles, workgroups in dispatches:
            dispatch(program, handles, workgroups)
        self.pool.recording = True
        self.pending += len(dispatches)
        self.dispatches += len(dispatches)
        self.submit()

    def submit(self) -> None:
        if self.pending:
            self.backend.submit()
            self.pending = 0
        self.pool.submitted()

    def synchronize(self) -> None:
        """Submit recorded work and wait for the adapter to finish it."""
        self.submit()
        self.backend.wait()

    # ---- kernel variants, chosen by measurement ------------------------------------------------

    def variant(self, op, input_shapes=None, shape=None) -> str | None:
        """The kernel variant ``op`` runs with: one forced (tests), one the op picks for this size
        (``Op.variant_for``), or the fastest measured on this adapter (timed once, then remembered).
        None while the variants to measure still compile in the background (see ``ready``)."""
        if op.name in self.forced:
            return self.forced[op.name]
        if op.variant_for is not None and shape is not None:
            picked = op.variant_for(input_shapes, shape)
            if picked is not None:
                return picked
        if op.name not in self.choices:
            if op.stand_in is not None and not self.ready([launch.kernel for launch in self._measured_launches(op)]):
                return None
            self.remember_choice(op.name, self.measure_variants(op))
        return self.choices[op.name]

    def _measured_launches(self, op) -> list[Launch]:
        """The launches ``measure_variants`` times: each variant on a 256 x 256 problem."""
        views = [(View.contiguous((256, 256)), float32)] * 2
        return [launch for v in op.variants for launch in op.kernel(views, Meta((256, 256), float32), variant=v)]

    def measure_variants(self, op) -> str:
        """Time each variant of ``op`` on a mid-sized problem and return the fastest."""
        a = self.alloc((256, 256), float32)
        b = self.alloc((256, 256), float32)
        timings = {}
        for v in op.variants:
            best = float("inf")
            for _ in range(3):
                out = self.alloc((256, 256), float32)
                self.synchronize()
                t = time.perf_counter()
                self._launch(op.kernel([(a.view, float32), (b.view, float32)], Meta((256, 256), float32), variant=v),
                             [a, b], [out])
                self.synchronize()
                best = min(best, time.perf_counter() - t)
            timings[v] = best
        return min(timings, key=timings.get)

    def force_variant(self, opname: str, variant: str | None) -> None:
        """Use ``variant`` for ``opname`` from now on (None: back to the measured choice)."""
        if variant is None:
            self.forced.pop(opname, None)
        else:
            self.forced[opname] = variant
        self.launches.clear()

    def stats(self) -> dict:
        """Counters a test or a benchmark reads: buffers and bytes created, pipelines cached and
        ``compiled`` (every compile since the device opened), dispatches recorded, and the backend's
        own (the browser's: pipelines compiled ahead at page load and used)."""
        backend = self.backend.stats() if hasattr(self.backend, "stats") else {}
        return dict(self.pool.stats(), pipelines=len(self.pipelines), compiled=self.compiled,
                    dispatches=self.dispatches, **backend)


def _frozen(attrs: dict) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in attrs.items()))


