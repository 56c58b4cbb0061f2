"""Single-kernel lowering: a whole traced step, or K of them, as ONE dispatch of one generated kernel.

Where a step is small (a Playground-size network), the ~25 dispatches of a plan cost far more than
their arithmetic. This lowering walks the optimized graph's schedule and makes each unit a loop
over its output elements inside one kernel, and repeats the step K times per dispatch, as Keras'
``steps_per_execution``. The loops come from the one kernel library: a fused elementwise group is a
``Map``; any other op runs the loop it declares beside its kernels (``Op.loop``: a matmul, a
reduction, gather ...; webgpu_kernels/loop.py), with the elementwise group passes/fuse.py fused
after it as its epilogue; webgpu_kernels/single_kernel.py puts the loops in one kernel:

    >>> w = wg.zeros(2, 1, requires_grad=True)
    >>> def train_step(x, y):
    ...     loss = ((x @ w - y) ** 2).mean()
    ...     loss.backward()
    ...     with wg.no_grad():
    ...         w.assign(w - 0.1 * w.grad)
    ...         w.grad = None
    ...     return loss
    >>> step = wg.function(train_step, steps_per_execution=100)
    >>> losses = step(wg.ones(100, 4, 2), wg.ones(100, 4, 1))    # 100 steps of a batch of 4, one call
    >>> losses.shape, step.plan.summary()["lowering"], step.plan.summary()["dispatches"]
    ((100,), 'single_kernel', 1)

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

Graphs with ops this lowering has no loop for (random numbers, convolution, pad, float16)
are not eligible: ``NotEligible`` says why, and the caller falls back to the normal plan, once
per step. So do steps above ``MAX_AUTO_WORK`` unless ``single_kernel=True`` asks for one kernel.

The stages: analysis.py (stores, units, phases, arena offsets: liveness.py shares the arena as it
shares the plan's buffers), plan.py (the program, the arena,
a call's bindings, the kernel shape's measurement); here, ``lower`` picks this plan or the normal
one, and the helpers of ``steps_per_execution``.
"""
from __future__ import annotations

import warnings

from ...tensor import Tensor, stack
from ..captures import ArenaBuffer, leave_arena
from ..ir import Graph
from ..lower import Plan
from .analysis import NotEligible
from .plan import MAX_BINDINGS, MEASURED, SingleKernelPlan, known_variant, measure_variants

__all__ = ["lower", "step_arguments", "run_eagerly", "SingleKernelPlan", "SteppedPlan", "TieredPlan",
           "NotEligible", "ArenaBuffer", "leave_arena", "known_variant", "measure_variants", "MAX_AUTO_WORK",
           "MAX_BINDINGS", "MEASURED"]

# Above this much work per step (multiply-adds and element visits), one workgroup loses to the
# normal plan's many: on lavapipe (2 cores), 2-H-H-1 MLPs ran 1.03x the plan's steps/s at 7.1M
# (H 64, batch 512) and 0.87x at 14M (batch 1024); 1.5x at 0.5-4M.
MAX_AUTO_WORK = 8_000_000


# ---- falling back: the normal plan, K times --------------------------------------------------

class SteppedPlan:
    """The normal plan run once per step (a graph with no single-kernel form, or too big for one)."""

    lowering = "plan"

    def __init__(self, plan: Plan, steps: int, stacked: bool, reason: str):
        self.plan, self.steps, self.stacked, self.reason = plan, steps, stacked, reason
        self.graph, self.device = plan.graph, plan.device

    def outdated(self) -> bool:
        return self.plan.outdated()

    def run(self, args):
        if not self.stacked:
            return self.plan.run(args)
        per_step = [self.plan.run([a[k] for a in args]) for k in range(self.steps)]
        outputs = [stack([outs[j] for outs, _ in per_step]) for j in range(len(self.graph.outputs))]
        return outputs, per_step[-1][1]

    def summary(self) -> dict:
        s = dict(self.plan.summary())
        per_step = s["dispatches"]
        s.update(lowering="plan", dispatches=per_step * self.steps, steps_per_call=self.steps, steps_per_dispatch=1,
                 dispatches_per_step=per_step, single_kernel=self.reason)
        return s


class TieredPlan:
    """A single-kernel plan whose kernel still compiles in the background (seconds on SwiftShader):
    the normal plan runs the steps, one by one, until it is ready; from then on the one kernel does
    (tiered compiling: no call waits for the big kernel)."""

    def __init__(self, fast: SingleKernelPlan, slow: SteppedPlan):
        self.fast, self.slow, self.current = fast, slow, slow
        self.graph, self.device = fast.graph, fast.device

    @property
    def lowering(self) -> str:
        return self.current.lowering

    def outdated(self) -> bool:
        """Never as a whole. While the normal plan runs, a kernel it stands in for that has landed gives
        a new normal plan here, and the single kernel is kept: tracing and lowering the step again, its
        arena and its WGSL too, on every landing stalled the page's playground for about a second."""
        if self.current is self.slow and self.slow.outdated():
            slow = self.slow
            self.slow = self.current = SteppedPlan(Plan(self.graph, self.device), slow.steps, slow.stacked, slow.reason)
        return False

    def run(self, args):
        if self.current is self.slow and self.fast.ready():
            self.current = self.fast
        return self.current.run(args)

    def summary(self) -> dict:
        return dict(self.current.summary(), tiered=self.current is self.fast or "the single kernel is compiling")


def lower(graph: Graph, device, steps: int = 1, stacked: bool = False, single_kernel: bool | str | None = None):
    """The plan for ``graph``: one kernel for ``steps`` steps where the graph allows it and
    ``single_kernel`` asks for it (None: when ``steps`` > 1 and the step is small enough; "tiered": the
    same for one step too where kernels compile in the background, as in the browser, the kernel
    taking over once compiled; elsewhere a first call would wait seconds for it), else the normal plan
    once per step. The kernels it compiles now go before
    those it queues to compile in the background (the single kernel, a matmul variant)."""
    with device.holding_compiles():
        return _plan(graph, device, steps, stacked, single_kernel)


def _plan(graph: Graph, device, steps: int, stacked: bool, single_kernel: bool | str | None):
    reason = "not asked for (single_kernel=False)" if single_kernel is False else None
    if reason is None and steps == 1 and (single_kernel is None or (
            single_kernel == "tiered" and not hasattr(device.backend, "compile_later"))):
        return Plan(graph, device)
    if reason is None:
        try:
            # a step of many a call goes first in the background queue; one step a call ("tiered") last
            most = None if single_kernel is True else MAX_AUTO_WORK
            first = steps > 1 or single_kernel != "tiered"
            fast = SingleKernelPlan(graph, device, steps, stacked, max_work=most, first=first)
            if fast.ready() or single_kernel is True:        # asked for one kernel: it waits for it
                return fast
            return TieredPlan(fast, SteppedPlan(Plan(graph, device), steps, stacked, "compiling in the background"))
        except NotEligible as e:
            reason = f"not eligible: {e}"
            if single_kernel is True:
                warnings.warn(f"{graph.name}: single kernel {reason}; running the normal plan", stacklevel=3)
    return SteppedPlan(Plan(graph, device), steps, stacked, reason)


# ---- steps_per_execution: one step's slice of the arguments, and the stepped eager run --------

def _map_tensors(fn, x):
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
