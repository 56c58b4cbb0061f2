"""``@wg.function``: trace once per input signature, optimize, lower, and replay on every call.

    >>> import webgrad as wg
    >>> w = wg.ones(3, requires_grad=True)
    >>> @wg.function
    ... def step(x):
    ...     loss = ((x * w).sum() - 1.0) ** 2
    ...     loss.backward()
    ...     with wg.no_grad():
    ...         w.assign(w - 0.1 * w.grad)
    ...         w.grad = None
    ...     return loss
    >>> step(wg.ones(3)).item(), step(wg.ones(3)).item()      # w is updated on the device
    (4.0, 0.64...)

Tensors the function reads from outside (parameters, optimizer state) are captured and stay on
the device; updates to them (``assign``, ``-=`` under ``no_grad``) are written back after each
call, and ``.grad`` is set as the function left it. Tensor arguments are traced by shape and
dtype: a new shape or dtype traces again. Other arguments (numbers, strings) are part of the
signature: a new value traces again, as with ``tf.function``.

``steps_per_execution=K`` (as in Keras) runs K steps per call: every tensor argument carries a
leading axis of K (step k gets ``arg[k]``), every returned tensor comes back with one, and a small
enough step runs as one generated kernel, K steps in one dispatch (see single_kernel.py);
``single_kernel=True`` asks for that kernel even for one step per call (a call waits for its compile),
``"tiered"`` runs one step a call there too once its kernel has compiled in the background (the normal
plan until then; where nothing compiles in the background, the desktop, always the plan), ``False``
never uses it.
``fn.plan.summary()`` says which lowering runs and how many dispatches a call makes.
"""
from __future__ import annotations

import functools

from ..devices import default_device
from ..devices.gpu import GPUDevice
from ..tensor import Tensor
from .captures import StalePlan
from .passes import eliminate_dead_code, optimize
from .single_kernel import lower, run_eagerly, step_arguments
from .trace import rebuild, trace


def _signature(args):
    out, tensors = [], []

    def walk(a):
        if isinstance(a, Tensor):
            tensors.append(a)
            out.append(("T", a.shape, a.dtype.name, a.requires_grad))
        elif isinstance(a, (list, tuple)):
            out.append((type(a).__name__, len(a)))
            for b in a:
                walk(b)
        else:
            try:
                hash(a)
            except TypeError:
                raise TypeError(f"@wg.function: argument {a!r} is neither a tensor nor hashable; pass tensors, "
                                f"lists of tensors, or plain values (numbers, strings)") from None
            out.append(("V", type(a).__name__, a))
    for a in args:
        walk(a)
    return tuple(out), tensors


class _Entry:
    __slots__ = ("graph", "structure", "plan", "raw")

    def __init__(self, graph, structure, plan, raw):
        self.graph, self.structure, self.plan, self.raw = graph, structure, plan, raw


class Function:
    """A traced function. Call it like the original; ``.graph`` shows what it runs.

    Example:
        >>> f = wg.function(lambda x: x * 2 + 1)
        >>> f(wg.tensor([1.0, 2.0])).tolist(), f(wg.tensor([3.0, 4.0])).tolist()
        ([3.0, 5.0], [7.0, 9.0])
        >>> isinstance(f, wg.Function), f.traces           # one trace per input shape and dtype
        (True, 1)
    """

    def __init__(self, fn, optimize_graph: bool = True, passes=None, steps_per_execution: int = 1,
                 single_kernel: bool | str | None = None):
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.optimize_graph = optimize_graph
        self.passes = passes
        self.steps_per_execution = int(steps_per_execution)
        self.single_kernel = single_kernel
        if single_kernel not in (None, True, False, "tiered"):
            raise ValueError(f"single_kernel must be None, True, False or 'tiered', got {single_kernel!r}")
        if self.steps_per_execution < 1:
            raise ValueError(f"steps_per_execution must be at least 1, got {steps_per_execution}")
        self._cache: dict[tuple, _Entry] = {}
        self._last: _Entry | None = None
        self.traces = 0

    def __call__(self, *args):
        key, tensors = _signature(args)
        device = tensors[0].device if tensors else default_device()
        if not isinstance(device, GPUDevice):   # the NumPy device runs the function eagerly
            steps = self.steps_per_execution
            return self.fn(*args) if steps == 1 else run_eagerly(self.fn, args, steps)
        entry = self._cache.get(key)
        if entry is None or entry.plan.outdated():
            entry = self._cache[key] = self._build(args, device)
        try:
            outputs, grads = entry.plan.run(tensors)
        except StalePlan:
            entry = self._cache[key] = self._build(args, device)
            outputs, grads = entry.plan.run(tensors)
        for cap in entry.graph.captures:
            if id(cap.payload) in grads:
                cap.payload.grad = grads[id(cap.payload)]
        self._last = entry
        return rebuild(entry.structure, outputs)

    def _build(self, args, device) -> _Entry:
        steps = self.steps_per_execution
        traced_args = args if steps == 1 else step_arguments(args, steps)   # one step's slice of each
        raw, structure = trace(self.fn, traced_args, getattr(self.fn, "__name__", "function"))
        self.traces += 1
        graph = raw
        if self.optimize_graph:
            graph = optimize(raw, device, self.passes) if self.passes is not None else optimize(raw, device)
        else:
            graph = eliminate_dead_code(raw)
        plan = lower(graph, device, steps, stacked=steps > 1, single_kernel=self.single_kernel)
        entry = _Entry(graph, structure, plan, raw)
        self._last = entry
        return entry

    @property
    def graph(self):
        """The optimized graph of the last traced signature (prints as a listing; ``.to_json()``).

        Example:
            >>> f = wg.function(lambda x: x * 2 + 1)
            >>> _ = f(wg.ones(2))
            >>> print(f.graph)
            { lambda in0:f32[2] ; ...
                  v...:f32[2] = mul in0 v...
                  v...:f32[2] = add v...
              in (v...) }
        """
        if self._last is None:
            raise RuntimeError("this function has not been called yet, so it has no graph; call it once")
        return self._last.graph

    @property
    def plan(self):
        """How the last traced signature runs on the device; ``.summary()`` says which lowering and how many
        dispatches a call makes.

        Example:
            >>> f = wg.function(lambda x: x * 2 + 1)
            >>> _ = f(wg.ones(2))
            >>> s = f.plan.summary()
            >>> s["dispatches"], s["kernels"]                 # mul and add fused into one kernel
            (1, ['fused_mul_add'])
        """
        if self._last is None:
            raise RuntimeError("this function has not been called yet; call it once")
        return self._last.plan


def function(fn=None, *, optimize: bool = True, steps_per_execution: int = 1, single_kernel: bool | str | None = None):
    """Trace ``fn`` into a graph on first call, and replay the optimized graph afterwards.

    Use as ``@wg.function`` or ``@wg.function(optimize=False)`` (no passes: one kernel per op);
    ``wg.function(step, steps_per_execution=100)`` runs 100 steps per call, arguments and results
    stacked along a leading axis, in one dispatch where the step is small enough.

    Example:
        >>> @wg.function
        ... def double(x):
        ...     return x * 2
        >>> double(wg.tensor([1.0, 2.0])).tolist()
        [2.0, 4.0]
        >>> wg.function(lambda x: x.sum(), steps_per_execution=3)(wg.ones(3, 2)).tolist()   # 3 steps, 1 call
        [2.0, 2.0, 2.0]
    """
    make = lambda f: Function(f, optimize, steps_per_execution=steps_per_execution, single_kernel=single_kernel)
    return make if fn is None else make(fn)
