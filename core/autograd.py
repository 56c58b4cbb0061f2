"""The modes ops run in: whether they record gradients (``no_grad``), and whether a function is
being traced into a graph (``tracing``, read with ``current_tracer``); and ``grad``, the gradient
of a function. The recording itself and ``backward`` live with the Tensor (tensor.py).
"""
from __future__ import annotations

from contextlib import contextmanager

from .devices import default_device

_grad_enabled = True
_tracer = None   # the active graph.trace.Tracer while a function is being traced (see tracing)
_scope: tuple = ()   # where traced ops are made: ("forward", "dense_1"), ("backward", "dense_1"), ("update",)


def is_grad_enabled() -> bool:
    """False inside ``no_grad()``: ops record nothing for backward.

    Example:
        >>> with wg.no_grad():
        ...     inside = wg.is_grad_enabled()
        >>> wg.is_grad_enabled(), inside
        (True, False)
    """
    return _grad_enabled


@contextmanager
def no_grad():
    """Ops inside record nothing for backward: for updates and evaluation.

        >>> import webgrad as wg
        >>> w = wg.ones(2, requires_grad=True)
        >>> with wg.no_grad():
        ...     y = w * 2
        >>> y.requires_grad
        False
    """
    global _grad_enabled
    before, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = before


@contextmanager
def enable_grad():
    """Ops inside record for backward again, even within ``no_grad()`` (as ``torch.enable_grad``).

    Example:
        >>> w = wg.ones(2, requires_grad=True)
        >>> with wg.no_grad():
        ...     with wg.enable_grad():
        ...         y = w * 2
        >>> y.requires_grad
        True
    """
    global _grad_enabled
    before, _grad_enabled = _grad_enabled, True
    try:
        yield
    finally:
        _grad_enabled = before


def current_tracer():
    """The tracer recording ops while ``@wg.function`` traces (graph/trace.py), or None when ops run."""
    return _tracer


@contextmanager
def tracing(tracer):
    """Ops inside are recorded by ``tracer`` instead of running (one trace at a time)."""
    global _tracer
    if _tracer is not None:
        raise RuntimeError("a function is already being traced; @wg.function calls inside a traced "
                           "function run as part of it, so call the inner function directly")
    global _scope
    _tracer, _scope = tracer, ()
    try:
        yield tracer
    finally:
        _tracer, _scope = None, ()


@contextmanager
def scope(name: str):
    """Ops traced inside are grouped under ``name`` in the graph (the graph viewer draws the group as one box
    that opens): Keras layers name theirs, a train step has "forward", "loss", "update" and "metrics", and
    ``backward`` puts each op's gradient under "backward" and its op's scope. Nothing happens outside a trace.

    Example:
        >>> @wg.function
        ... def f(x):
        ...     with wg.autograd.scope("double"):
        ...         return x * 2
        >>> _ = f(wg.ones(2))
        >>> [n.scope for n in f.graph.op_nodes()]
        [('double',)]
    """
    global _scope
    if _tracer is None:
        yield
        return
    before, _scope = _scope, _scope + (name,)
    try:
        yield
    finally:
        _scope = before


def current_scope() -> tuple:
    """The scope traced ops are made in now (see ``scope``)."""
    return _scope


def set_scope(path: tuple) -> tuple:
    """Make ``path`` the scope of the ops traced from now on; returns the one before (for backward)."""
    global _scope
    before, _scope = _scope, tuple(path)
    return before


@contextmanager
def outside_trace():
    """Ops inside run for real even while a function is traced: for state that lives across
    calls (an optimizer's moments and step count), created on the first traced call."""
    global _tracer
    tracer, _tracer = _tracer, None
    try:
        yield tracer
    finally:
        _tracer = tracer


def real_device(x):
    """The device ``x`` lives on outside the trace (a captured tensor is symbolic while traced)."""
    if _tracer is not None and id(x) in _tracer.captured:
        return _tracer.captured[id(x)][2]
    if getattr(x.device, "kind", None) == "trace":      # a value computed in the trace
        for _, _, device, _, _ in (_tracer.captured.values() if _tracer else ()):
            return device
        return default_device()
    return x.device


def grad(f, argnums=0):
    """The gradient function of a scalar function, as ``jax.grad``.

        >>> import webgrad as wg
        >>> wg.grad(lambda x: (x * x).sum())(wg.tensor([1.0, 2.0])).tolist()
        [2.0, 4.0]
    """
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def gradient(*args):
        args = list(args)
        for i in nums:
            args[i] = args[i].detach().requires_grad_()
        with enable_grad():
            out = f(*args)
        if out.numel() != 1:
            raise ValueError(f"grad: the function must return a scalar, it returned shape {out.shape}")
        out.backward()
        gs = tuple(args[i].grad for i in nums)
        return gs[0] if single else gs
    return gradient
