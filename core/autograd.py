"""Running ops and differentiating them.

``apply`` is the one door every op goes through: it infers the output's shape and dtype (so bad
input fails before anything is dispatched), runs the op on the inputs' device and, when
gradients are wanted, records the op on the output. ``backward`` walks those records in reverse
topological order and applies each op's registered gradient rule (micrograd's loop, with the
rules of the registry).
"""
from __future__ import annotations

from contextlib import contextmanager

from .ops.registry import Meta, Op, ShapeError, unbroadcast_axes

_grad_enabled = True
_tracer = None   # the active graph.trace.Tracer while a function is being traced


def is_grad_enabled() -> bool:
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
    global _grad_enabled
    before, _grad_enabled = _grad_enabled, True
    try:
        yield
    finally:
        _grad_enabled = before


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
        from .devices import default_device
        return default_device()
    return x.device


def apply(op: Op, *inputs, device=None, **attrs):
    """Run ``op`` on tensors ``inputs``; the result records how to differentiate it."""
    from .devices import get_device
    from .tensor import Tensor
    if _tracer is not None:
        inputs = tuple(_tracer.symbolic(x) for x in inputs)
        device = _tracer.device
    meta = op.infer(*(Meta(x.shape, x.dtype) for x in inputs), **attrs)
    dev = inputs[0].device if inputs else get_device(device)
    for x in inputs[1:]:
        if x.device is not dev:
            raise ShapeError(f"{op.name}: inputs are on different devices ({inputs[0].device.name} and "
                             f"{x.device.name}); move one with .to(device)")
    data = dev.run(op, [x.data for x in inputs], attrs, meta.shape, meta.dtype)
    out = Tensor._make(data, meta.shape, meta.dtype, dev)
    if _grad_enabled and op.grad is not None and meta.dtype.is_float and any(x.requires_grad for x in inputs):
        out.requires_grad = True
        out._node = (op, inputs, attrs)
    return out


def _topological(root) -> list:
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        t, done = stack.pop()
        if done:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if t._node is not None:
            for x in t._node[1]:
                if x.requires_grad and id(x) not in seen:
                    stack.append((x, False))
    return order


def unbroadcast(g, shape):
    """Sum a gradient over the axes its input was broadcast along."""
    if g.shape == tuple(shape):
        return g
    axes, _ = unbroadcast_axes(g.shape, shape)
    return g.sum(axes, keepdims=True).reshape(shape)


def backward(root, grad=None) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient."""
    from .tensor import ones_like
    if not root.requires_grad:
        raise RuntimeError("backward: this tensor does not require grad; no input of it had requires_grad=True "
                           "(or it was computed under no_grad)")
    if grad is None:
        if root.numel() != 1:
            raise RuntimeError(f"backward: the output has shape {root.shape}; pass the gradient of the output "
                               f"(backward(grad)) or reduce it to a scalar first (e.g. .sum())")
        grad = ones_like(root)
    order = _topological(root)
    grads = {id(root): grad}
    with no_grad():
        for t in reversed(order):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if t._node is None:
                if g.dtype != t.dtype:
                    g = g.cast(t.dtype)
                t.grad = g if t.grad is None else t.grad + g
                continue
            op, inputs, attrs = t._node
            for x, gx in zip(inputs, op.grad(g, t, *inputs, **attrs)):
                if gx is None or not x.requires_grad:
                    continue
                gx = unbroadcast(gx, x.shape)
                grads[id(x)] = gx if id(x) not in grads else grads[id(x)] + gx
    for t in order:          # free the graph, as after one backward in PyTorch
        t._node = None


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
        backward(out)
        gs = tuple(args[i].grad for i in nums)
        return gs[0] if single else gs
    return gradient
