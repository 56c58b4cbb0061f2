"""The Tensor: an n-dimensional array on a device, with gradients.

    >>> import webgrad as wg
    >>> x = wg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x @ x.T).relu().sum()
    >>> y.backward()
    >>> y.item(), x.grad.tolist()
    (52.0, [[8.0, 12.0], [8.0, 12.0]])

Methods only build calls to ``apply`` with a registered op; the math lives in ``ops/``.
"""
from __future__ import annotations

import numbers
import struct
from array import array
from math import prod

from . import autograd, host_values
from .devices import get_device
from .dtypes import DType, as_dtype, bool_, float16, float32, int32, numpy_dtype
from .ops import OPS, ShapeError
from .ops.registry import Meta, Op, fmt, normalize_axes, unbroadcast_axes
from .random import default_generator

# ---- running ops and differentiating them --------------------------------------------------

def apply(op: Op, *inputs, device=None, **attrs):
    """Run ``op`` on tensors ``inputs``: the one door every op goes through. It infers the output's
    shape and dtype (so bad input fails before anything is dispatched), runs the op on the inputs'
    device and, when gradients are wanted, records the op on the output for ``backward``.

        >>> apply(OPS["add"], wg.ones(2), wg.ones(2)).tolist()
        [2.0, 2.0]
    """
    tracer = autograd.current_tracer()
    if tracer is not None:
        inputs = tuple(tracer.symbolic(x) for x in inputs)
        device = tracer.device
    meta = op.infer(*(Meta(x.shape, x.dtype) for x in inputs), **attrs)
    dev = inputs[0].device if inputs else get_device(device)
    for x in inputs[1:]:
        if x.device is not dev:
            raise ShapeError(f"{op.name}: inputs are on different devices ({inputs[0].device.name} and "
                             f"{x.device.name}); move one with .to(device)")
    data = dev.run(op, [x.data for x in inputs], attrs, meta.shape, meta.dtype)
    out = Tensor._make(data, meta.shape, meta.dtype, dev)
    if autograd.is_grad_enabled() and op.grad is not None and meta.dtype.is_float and any(x.requires_grad for x in inputs):
        out.requires_grad = True
        out._node = (op, inputs, attrs)
    return out


def _backward_scope(outer: tuple, made: tuple) -> tuple:
    """The scope of the gradient of an op made in scope ``made``, by a backward called in ``outer``:
    ("forward", "dense") -> ("backward", "dense")."""
    if made[:len(outer)] == outer:
        made = made[len(outer):]
    if made[:1] == ("forward",):
        made = made[1:]
    return outer + ("backward",) + made


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
    # micrograd's loop: the records in reverse topological order, each op's registered gradient rule.
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient."""
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
    traced = autograd.current_tracer() is not None
    outer = autograd.current_scope()
    with autograd.no_grad():
        for t in reversed(order):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            if traced:           # an op's gradient is grouped as "backward" of the op's own scope
                autograd.set_scope(_backward_scope(outer, getattr(t.data, "scope", ())))
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
    autograd.set_scope(outer)
    for t in order:          # free the graph, as after one backward in PyTorch
        t._node = None



class Tensor:
    """An n-dimensional array on a device, with gradients. It has a ``shape`` (a tuple), a ``dtype``
    (bool, int32, float16 or float32), the ``device`` that holds its elements, ``requires_grad``
    (whether the ops on it are recorded for ``backward``) and ``grad`` (set by ``backward``).
    Make one with ``wg.tensor`` or a factory (``wg.zeros``, ``wg.arange``, ``wg.rand``, ...); its methods
    and operators build ops, which run on its device.

        >>> x = wg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        >>> x.shape, x.dtype, x.requires_grad
        ((2, 2), webgrad.float32, True)
        >>> (x * x).sum().backward()
        >>> x.grad.tolist()
        [[2.0, 4.0], [6.0, 8.0]]
    """
    __slots__ = ("data", "shape", "dtype", "device", "requires_grad", "grad", "_node", "__weakref__")
    __array_priority__ = 100   # numpy_array * tensor goes to Tensor.__rmul__

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        t = tensor(data, dtype=dtype, device=device)
        self.data, self.shape, self.dtype, self.device = t.data, t.shape, t.dtype, t.device
        self.requires_grad, self.grad, self._node = requires_grad, None, None

    @staticmethod
    def _make(data, shape, dtype, device) -> "Tensor":
        t = object.__new__(Tensor)
        t.data, t.shape, t.dtype, t.device = data, tuple(shape), dtype, device
        t.requires_grad, t.grad, t._node = False, None, None
        return t

    # ---- reading back ---------------------------------------------------------------------------

    def _host(self):
        """Elements as a flat memoryview of Python numbers (no NumPy needed)."""
        raw = self.device.to_bytes(self.data)
        if self.dtype is float16:
            return list(struct.unpack(f"<{len(raw) // 2}e", raw))
        return memoryview(raw).cast(self.dtype.fmt)

    def numpy(self):
        """A NumPy copy of the values (reads back from the device).

        Example:
            >>> wg.tensor([[1.0, 2.0]]).numpy()
            array([[1., 2.]], dtype=float32)
        """
        try:
            import numpy as np
        except ImportError:
            raise ImportError("Tensor.numpy() needs NumPy, which is not installed here (the browser has none); "
                              "use .tolist() or .item()") from None
        raw = self.device.to_bytes(self.data)
        host = np.frombuffer(raw, dtype=np.dtype(self.dtype.fmt)).reshape(self.shape)
        return host != 0 if self.dtype is bool_ else host.astype(numpy_dtype(self.dtype))

    def tobytes(self) -> bytes:
        """The elements' bytes, little-endian in row-major order (as NumPy's ``tobytes``), read back from the
        device: many values handed on at once (the playground's worker sends them to the page as a
        Float32Array).

        Example:
            >>> import struct
            >>> struct.unpack("<2f", wg.tensor([1.5, -2.0]).tobytes())
            (1.5, -2.0)
        """
        return bytes(self.device.to_bytes(self.data))

    def tolist(self):
        """The values as nested Python lists (a plain number for a 0-d tensor), read back from the device.

            >>> wg.tensor([[1, 2], [3, 4]]).tolist()
            [[1, 2], [3, 4]]
        """
        flat = list(self._host())
        if self.dtype is bool_:
            flat = [bool(v) for v in flat]
        for d in reversed(self.shape[1:]):
            flat = [flat[i:i + d] for i in range(0, len(flat), d)]
        return flat[0] if not self.shape else flat

    def item(self):
        """The value of a one-element tensor, of any shape, as a Python number (or bool).

            >>> wg.ones(2, 2).sum().item()
            4.0
        """
        if self.numel() != 1:
            raise ValueError(f"item: only a one-element tensor has an item, this one has shape {fmt(self.shape)}")
        v = self._host()[0]
        return bool(v) if self.dtype is bool_ else v

    def __repr__(self) -> str:
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.numel() > 64:
            return f"tensor(shape={fmt(self.shape)}, dtype={self.dtype.name}, device={self.device.name}{extra})"
        return f"tensor({self.tolist()}, dtype={self.dtype.name}{extra})"

    def __float__(self): return float(self.item())
    def __int__(self): return int(self.item())
    def __index__(self): return int(self.item())

    def __bool__(self):
        if self.numel() != 1:
            raise ValueError(f"the truth value of a tensor of shape {fmt(self.shape)} is ambiguous; use .any() or .all()")
        return bool(self.item())

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    __hash__ = object.__hash__

    # ---- attributes -----------------------------------------------------------------------------

    @property
    def ndim(self) -> int:
        """The number of axes, ``len(shape)``.

        Example:
            >>> wg.zeros(2, 3).ndim, wg.tensor(1.0).ndim
            (2, 0)
        """
        return len(self.shape)

    def numel(self) -> int:
        """The number of elements, the product of the shape (also the property ``size``).

            >>> x = wg.zeros(2, 3)
            >>> x.numel(), x.size
            (6, 6)
        """
        return prod(self.shape)

    size = property(numel)

    @property
    def T(self) -> "Tensor":
        """This tensor with its axes in reverse order: a matrix's transpose.

            >>> wg.arange(6).reshape(2, 3).T.tolist()
            [[0, 3], [1, 4], [2, 5]]
        """
        return self.permute(tuple(reversed(range(self.ndim))))

    @property
    def is_leaf(self) -> bool:
        """False for the output of an op recorded for ``backward``, True otherwise: the tensors you create
        are leaves, and ``backward`` fills in the ``.grad`` of those that require one.

            >>> w = wg.ones(2, requires_grad=True)
            >>> w.is_leaf, (w * 2).is_leaf
            (True, False)
        """
        return self._node is None

    def requires_grad_(self, flag: bool = True) -> "Tensor":
        """Set ``requires_grad`` in place and return this tensor, so it chains.

        Example:
            >>> w = wg.zeros(3).requires_grad_()
            >>> w.requires_grad, w.requires_grad_(False).requires_grad
            (True, False)
        """
        self.requires_grad = flag
        return self

    def detach(self) -> "Tensor":
        """A tensor on the same storage that is cut from the graph: no gradient flows back through it.

        Example:
            >>> x = wg.tensor([1.0, 2.0], requires_grad=True)
            >>> y = x.detach() * 3
            >>> y.requires_grad, y.tolist()
            (False, [3.0, 6.0])
        """
        return Tensor._make(self.data, self.shape, self.dtype, self.device)

    def backward(self, grad=None) -> None:
        """Accumulate the gradient of this (scalar) tensor into ``.grad`` of every leaf that needs one;
        for a tensor of any other shape, pass ``grad``, the gradient with respect to it.

        Example:
            >>> x = wg.tensor([1.0, 2.0], requires_grad=True)
            >>> (x * x).sum().backward()
            >>> (x * 3).backward(wg.ones(2))          # .grad accumulates: 2x + 3
            >>> x.grad.tolist()
            [5.0, 7.0]
        """
        backward(self, grad)

    def apply(self, op: Op, *others, **attrs) -> "Tensor":
        """Run the registered ``op`` on this tensor (and ``others``): how gradient rules call ops
        that have no method, ``g.apply(OPS["fold"], size=...)``.

        Example:
            >>> wg.tensor([1.0, 2.0]).apply(wg.OPS["mul"], wg.tensor([3.0, 4.0])).tolist()
            [3.0, 8.0]
        """
        return apply(op, self, *others, **attrs)

    def new_tensor(self, data, dtype=None) -> "Tensor":
        """A tensor from ``data`` on this tensor's device (as ``torch.Tensor.new_tensor``).

        Example:
            >>> x = wg.zeros(2)
            >>> y = x.new_tensor([1, 2])
            >>> y.tolist(), y.dtype, y.device is x.device
            ([1, 2], webgrad.int32, True)
        """
        return tensor(data, dtype=dtype, device=self.device)

    def to(self, device) -> "Tensor":
        """A copy of this tensor on ``device`` (a name such as ``"numpy"``, or a device); itself if it is there.

        Example:
            >>> x = wg.tensor([1.0, 2.0])
            >>> y = x.to("numpy")
            >>> y.device.name, y.tolist(), y.to("numpy") is y
            ('numpy', [1.0, 2.0], True)
        """
        dev = get_device(device)
        if dev is self.device:
            return self
        data = dev.from_bytes(self.device.to_bytes(self.data), self.shape, self.dtype)
        return Tensor._make(data, self.shape, self.dtype, dev)

    # ---- elementwise ----------------------------------------------------------------------------

    def _binary(self, name, other, reverse=False):
        other = _lift(other, self)
        a, b = (other, self) if reverse else (self, other)
        return apply(OPS[name], a, b)

    def __add__(self, o): return self._binary("add", o)
    def __radd__(self, o): return self._binary("add", o, True)
    def __sub__(self, o): return self._binary("sub", o)
    def __rsub__(self, o): return self._binary("sub", o, True)
    def __mul__(self, o): return self._binary("mul", o)
    def __rmul__(self, o): return self._binary("mul", o, True)
    def __truediv__(self, o): return self._binary("div", o)
    def __rtruediv__(self, o): return self._binary("div", o, True)
    def __pow__(self, o):
        if isinstance(o, (int, float)) and o == 2:   # exact, and cheaper than exp2(2 * log2|x|)
            return self * self
        return self._binary("pow", o)
    def __rpow__(self, o): return self._binary("pow", o, True)
    def __matmul__(self, o): return matmul(self, o)
    def __rmatmul__(self, o): return matmul(_lift(o, self), self)
    def __neg__(self): return apply(OPS["neg"], self)
    def __abs__(self): return apply(OPS["abs"], self)
    def __lt__(self, o): return self._binary("lt", o)
    def __le__(self, o): return self._binary("le", o)
    def __gt__(self, o): return self._binary("gt", o)
    def __ge__(self, o): return self._binary("ge", o)
    def __eq__(self, o): return self._binary("eq", o)        # noqa: elementwise, as in NumPy
    def __ne__(self, o): return self._binary("ne", o)

    def __invert__(self):
        if self.dtype is not bool_:
            raise TypeError(f"~ is logical not and takes bool tensors, got {self.dtype.name}")
        return self == False  # noqa: E712

    # In-place forms rebind this tensor to the result's storage (for parameter updates).
    def __iadd__(self, o): return self.assign(self + o, copy=False)
    def __isub__(self, o): return self.assign(self - o, copy=False)
    def __imul__(self, o): return self.assign(self * o, copy=False)
    def __itruediv__(self, o): return self.assign(self / o, copy=False)

    def assign(self, value, copy: bool = True) -> "Tensor":
        """Replace this tensor's values with ``value``'s (same shape), keeping the object.

        For updates of parameters: ``w.assign(w - lr * w.grad)``, or ``w -= lr * w.grad`` under no_grad.

        Example:
            >>> w = wg.tensor([1.0, 2.0])
            >>> w.assign(wg.tensor([3.0, 4.0])) is w, w.tolist()
            (True, [3.0, 4.0])
            >>> w.assign(0.5).tolist()                # a number fills it
            [0.5, 0.5]
        """
        if not isinstance(value, Tensor):
            value = full(self.shape, value, dtype=self.dtype, device=self.device)
        if value.shape != self.shape:
            raise ShapeError(f"assign: value of shape {fmt(value.shape)} does not fit a tensor of shape {fmt(self.shape)}")
        if self.requires_grad and self._node is None and autograd.is_grad_enabled():
            raise RuntimeError("a leaf tensor that requires grad is being updated in place while gradients are "
                               "recorded; do the update inside `with wg.no_grad():`")
        if value.dtype != self.dtype:
            value = value.cast(self.dtype)
        elif copy:
            # Storage is never shared: the value may be held elsewhere (a cached constant, another
            # tensor), and a traced step updates this tensor's buffer in place.
            value = apply(OPS["copy"], value)
        if value.device is not self.device:
            value = value.to(self.device)
        self.data = value.data
        if value._node is not None:
            self._node, self.requires_grad = value._node, True
        return self

    def where(self, cond, other) -> "Tensor":
        """This tensor where ``cond`` is true, else ``other`` (a tensor or a number), with broadcasting.

            >>> x = wg.tensor([1.0, -2.0, 3.0])
            >>> x.where(x > 0, 0.0).tolist()
            [1.0, 0.0, 3.0]
        """
        return where(cond, self, other)

    def maximum(self, o):
        """The larger of this tensor and ``o`` (a tensor or a number), elementwise with broadcasting.

            >>> wg.tensor([1.0, -2.0]).maximum(0).tolist()
            [1.0, 0.0]
        """
        return self._binary("maximum", o)

    def minimum(self, o):
        """The smaller of this tensor and ``o`` (a tensor or a number), elementwise with broadcasting.

            >>> wg.tensor([1.0, -2.0]).minimum(0).tolist()
            [0.0, -2.0]
        """
        return self._binary("minimum", o)

    def pow(self, o):
        """This tensor raised to ``o`` (a tensor or a number) elementwise, as ``x ** o``.

            >>> wg.tensor([2.0, 3.0]).pow(2).tolist()
            [4.0, 9.0]
        """
        return self._binary("pow", o)

    def cast(self, dtype) -> "Tensor":
        """The values as ``dtype`` (a DType, a name such as ``"int32"``, or ``float``, ``int``, ``bool``);
        itself if it has that dtype. Floats become integers rounded toward zero, and nonzero becomes True.

            >>> wg.tensor([1.7, -1.7]).cast("int32").tolist()
            [1, -1]
        """
        d = as_dtype(dtype)
        return self if d == self.dtype else apply(OPS["cast"], self, dtype=d.name)

    def float(self):
        """The values as float32 (see ``cast``).

        Example:
            >>> wg.tensor([1, 0]).float().tolist()
            [1.0, 0.0]
        """
        return self.cast(float32)

    def half(self):
        """The values as float16 (see ``cast``): 11 significant bits, so 0.1 is not quite 0.1.

        Example:
            >>> x = wg.tensor([1.0, 0.1]).half()
            >>> x.dtype, x.tolist()
            (webgrad.float16, [1.0, 0.0999755859375])
        """
        return self.cast(float16)

    def int(self):
        """The values as int32, floats rounded toward zero (see ``cast``).

        Example:
            >>> wg.tensor([1.5, -2.7]).int().tolist()
            [1, -2]
        """
        return self.cast(int32)

    def bool(self):
        """The values as bool, nonzero being True (see ``cast``).

        Example:
            >>> wg.tensor([0, 2]).bool().tolist()
            [False, True]
        """
        return self.cast(bool_)

    def contiguous(self):
        """A copy in a new buffer with its elements in row-major order, as after a ``permute`` they are not.

        Example:
            >>> wg.arange(6).reshape(2, 3).T.contiguous().tolist()
            [[0, 3], [1, 4], [2, 5]]
        """
        return apply(OPS["copy"], self)

    def clone(self):
        """A copy with storage of its own; gradients flow back through it to this tensor.

        Example:
            >>> x = wg.tensor([1.0, 2.0], requires_grad=True)
            >>> (x.clone() * 2).sum().backward()
            >>> x.grad.tolist()
            [2.0, 2.0]
        """
        return apply(OPS["copy"], self)

    def clip(self, lo=None, hi=None):
        """The values limited to [``lo``, ``hi``] elementwise; a bound that is None is no limit
        (``clamp`` is the same method).

            >>> wg.tensor([-2.0, 0.5, 3.0]).clip(-1, 1).tolist()
            [-1.0, 0.5, 1.0]
        """
        out = self
        if lo is not None:
            out = out.maximum(lo)
        if hi is not None:
            out = out.minimum(hi)
        return out
    clamp = clip

    def square(self):
        """Elementwise ``x * x``.

        Example:
            >>> wg.tensor([1.0, -2.0]).square().tolist()
            [1.0, 4.0]
        """
        return self * self

    def softmax(self, axis=-1) -> "Tensor":
        """exp(x) / sum(exp(x)) along ``axis``, the max taken out first so exp never overflows.

        Example:
            >>> [round(p, 4) for p in wg.tensor([1.0, 2.0, 3.0]).softmax().tolist()]
            [0.09, 0.2447, 0.6652]
            >>> wg.tensor([1000.0, 1000.0]).softmax().tolist()
            [0.5, 0.5]
        """
        e = (self - self.max(axis, keepdims=True).detach()).exp()
        return e / e.sum(axis, keepdims=True)

    def log_softmax(self, axis=-1) -> "Tensor":
        """log(softmax(x)) along ``axis``, computed as x - logsumexp(x) so it never takes log(0).

        Example:
            >>> wg.tensor([-1000.0, 0.0]).log_softmax().tolist()      # softmax is [0.0, 1.0] in float32
            [-1000.0, 0.0]
        """
        return self - self.logsumexp(axis, keepdims=True)

    def logsumexp(self, axis=None, keepdims=False) -> "Tensor":
        """log(sum(exp(x))) over ``axis`` without overflow: the max is taken out first.

        Example:
            >>> round(wg.tensor([0.0, 0.0]).logsumexp().item(), 4)        # log 2
            0.6931
            >>> round(wg.tensor([1000.0, 1000.0]).logsumexp().item(), 2)
            1000.69
        """
        m = self.max(axis, keepdims=True).detach()
        out = (self - m).exp().sum(axis, keepdims=True).log() + m
        if keepdims or not self.ndim:
            return out
        return out.squeeze(_axes(axis) if axis is not None else None)

    # ---- reductions: ``axis`` is an int, a tuple of ints or None (all), as in NumPy ---------------

    def sum(self, axis=None, keepdims=False):
        """Sum over ``axis`` (an int, a tuple of ints, or None for all).

        Example:
            >>> x = wg.ones(2, 3)
            >>> x.sum().item(), x.sum(axis=1).tolist(), x.sum(0, keepdims=True).shape
            (6.0, [3.0, 3.0], (1, 3))
        """
        return apply(OPS["sum"], self, axes=_axes(axis), keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        """Largest value over ``axis`` (NaN if any is NaN, as NumPy).

        Example:
            >>> x = wg.tensor([[1.0, 5.0], [3.0, 2.0]])
            >>> x.max().item(), x.max(axis=1).tolist()
            (5.0, [5.0, 3.0])
        """
        return apply(OPS["max"], self, axes=_axes(axis), keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        """Smallest value over ``axis`` (NaN if any is NaN, as NumPy).

        Example:
            >>> x = wg.tensor([[1.0, 5.0], [3.0, 2.0]])
            >>> x.min().item(), x.min(axis=0).tolist()
            (1.0, [1.0, 2.0])
        """
        return apply(OPS["min"], self, axes=_axes(axis), keepdims=keepdims)

    def argmax(self, axis=None, keepdims=False):
        """The int32 index of the largest value along ``axis`` (the first, on a tie); with ``axis=None``,
        the index into the flattened tensor.

            >>> x = wg.tensor([[1, 5, 2], [7, 0, 3]])
            >>> x.argmax(axis=1).tolist(), x.argmax().item()
            ([1, 0], 3)
        """
        return apply(OPS["argmax"], self, axes=_axes(axis), keepdims=keepdims)

    def argmin(self, axis=None, keepdims=False):
        """The int32 index of the smallest value along ``axis`` (see ``argmax``).

            >>> wg.tensor([[1, 5, 2], [7, 0, 3]]).argmin(axis=1).tolist()
            [0, 1]
        """
        return (-self).argmax(axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        """Mean over ``axis``; integer tensors give a float mean.

        Example:
            >>> wg.tensor([[1, 2], [3, 4]]).mean(axis=1).tolist()
            [1.5, 3.5]
        """
        n = prod(self.shape[a] for a in normalize_axes("mean", _axes(axis), self.ndim))
        return self.sum(axis, keepdims) * (1.0 / max(n, 1)) if self.dtype.is_float else \
            self.float().sum(axis, keepdims) * (1.0 / max(n, 1))

    def var(self, axis=None, keepdims=False, correction=0) -> "Tensor":
        """Variance over ``axis``, divided by n - ``correction`` (0: the population variance, as NumPy).

        Example:
            >>> x = wg.tensor([1.0, 2.0, 3.0, 4.0])
            >>> x.var().item(), round(x.var(correction=1).item(), 4)
            (1.25, 1.6667)
        """
        n = prod(self.shape[a] for a in normalize_axes("var", _axes(axis), self.ndim))
        d = self - self.mean(axis, keepdims=True)
        return (d * d).sum(axis, keepdims) * (1.0 / max(n - correction, 1))

    def std(self, axis=None, keepdims=False, correction=0) -> "Tensor":
        """Standard deviation over ``axis`` (see ``var``).

        Example:
            >>> round(wg.tensor([1.0, 2.0, 3.0, 4.0]).std().item(), 4)
            1.118
        """
        return self.var(axis, keepdims, correction).sqrt()

    def any(self, axis=None, keepdims=False):
        """Whether any value along ``axis`` (all of them when None) is nonzero, as a bool tensor.

            >>> x = wg.tensor([[0, 1], [0, 0]])
            >>> x.any(axis=1).tolist(), x.any().item()
            ([True, False], True)
        """
        return self.bool().int().max(axis, keepdims) > 0

    def all(self, axis=None, keepdims=False):
        """Whether every value along ``axis`` (all of them when None) is nonzero, as a bool tensor.

            >>> x = wg.tensor([[1, 1], [0, 1]])
            >>> x.all(axis=1).tolist(), x.all().item()
            ([True, False], False)
        """
        return self.bool().int().min(axis, keepdims) > 0

    # ---- movement -------------------------------------------------------------------------------

    def reshape(self, *shape) -> "Tensor":
        """The same elements in a new shape, given as sizes or as one tuple; one size may be -1, worked out
        from the others (``view`` is the same method).

            >>> wg.arange(6).reshape(2, -1).tolist()
            [[0, 1, 2], [3, 4, 5]]
        """
        shape = _shape_args(shape)
        if -1 in shape:
            known = prod(d for d in shape if d != -1)
            if shape.count(-1) > 1 or known == 0 or self.numel() % known:
                raise ShapeError(f"reshape: cannot reshape {fmt(self.shape)} ({self.numel()} elements) into {fmt(shape)}")
            shape = tuple(self.numel() // known if d == -1 else d for d in shape)
        if shape == self.shape:
            return self
        return apply(OPS["reshape"], self, shape=shape)

    view = reshape

    def flatten(self, start=0, end=-1) -> "Tensor":
        """Axes ``start`` to ``end`` (both included) merged into one; by default all of them, giving 1-D.

            >>> x = wg.zeros(2, 3, 4)
            >>> x.flatten().shape, x.flatten(1).shape
            ((24,), (2, 12))
        """
        if not self.shape:
            return self.reshape(1)
        start, end = start % self.ndim, end % self.ndim
        return self.reshape(self.shape[:start] + (prod(self.shape[start:end + 1]),) + self.shape[end + 1:])

    def squeeze(self, axis=None) -> "Tensor":
        """This tensor without the axes of size 1 in ``axis`` (an int or a tuple), or without all of them
        when ``axis`` is None.

            >>> x = wg.zeros(2, 1, 3, 1)
            >>> x.squeeze().shape, x.squeeze(1).shape
            ((2, 3), (2, 3, 1))
        """
        axes = normalize_axes("squeeze", axis, self.ndim) if axis is not None else \
            tuple(i for i, d in enumerate(self.shape) if d == 1)
        for a in axes:
            if self.shape[a] != 1:
                raise ShapeError(f"squeeze: axis {a} of {fmt(self.shape)} has size {self.shape[a]}, not 1")
        return self.reshape(tuple(d for i, d in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis) -> "Tensor":
        """This tensor with a new axis of size 1 at position ``axis`` of the result (-1: the last).

            >>> x = wg.tensor([1, 2, 3])
            >>> x.unsqueeze(0).shape, x.unsqueeze(-1).shape
            ((1, 3), (3, 1))
        """
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def permute(self, *order) -> "Tensor":
        """This tensor with its axes reordered, given one by one or as a tuple: axis i of the result is
        axis ``order[i]`` of this one.

            >>> wg.zeros(2, 3, 4).permute(2, 0, 1).shape
            (4, 2, 3)
            >>> wg.arange(6).reshape(2, 3).permute(1, 0).tolist()
            [[0, 3], [1, 4], [2, 5]]
        """
        order = tuple(o % max(self.ndim, 1) for o in _shape_args(order))
        if order == tuple(range(self.ndim)):
            return self
        return apply(OPS["permute"], self, order=order)

    def transpose(self, a=-2, b=-1) -> "Tensor":
        """This tensor with axes ``a`` and ``b`` swapped; by default the last two, transposing a batch of matrices.

            >>> x = wg.zeros(2, 3, 4)
            >>> x.transpose().shape, x.transpose(0, 2).shape
            ((2, 4, 3), (4, 3, 2))
        """
        order = list(range(self.ndim))
        order[a], order[b] = order[b], order[a]
        return self.permute(order)

    def expand(self, *shape) -> "Tensor":
        """This tensor broadcast to ``shape`` without copying: axes of size 1 grow, new axes are added in
        front, and -1 keeps an axis's size (``broadcast_to`` is the same method).

            >>> wg.tensor([[1], [2]]).expand(2, 3).tolist()
            [[1, 1, 1], [2, 2, 2]]
            >>> wg.tensor([1, 2]).expand(3, -1).tolist()
            [[1, 2], [1, 2], [1, 2]]
        """
        shape = _shape_args(shape)
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if d == -1 else d for i, d in enumerate(shape))
        if shape == self.shape:
            return self
        return apply(OPS["expand"], self, shape=shape)

    broadcast_to = expand

    def pad(self, widths, value=0.0) -> "Tensor":
        """Constant padding; ``widths`` has a (before, after) pair for each axis, from the first.

        Example:
            >>> wg.tensor([[1, 2], [3, 4]]).pad(((1, 0), (0, 1))).tolist()
            [[0, 0, 0], [1, 2, 0], [3, 4, 0]]
        """
        widths = tuple((int(a), int(b)) for a, b in widths)
        widths = widths + ((0, 0),) * (self.ndim - len(widths))
        return apply(OPS["pad"], self, widths=widths, value=value)

    def gather(self, index, axis=0) -> "Tensor":
        """Entries of ``index`` along ``axis`` (``numpy.take``): out shape is
        ``shape[:axis] + index.shape + shape[axis+1:]``.

        Example:
            >>> wg.tensor([10, 20, 30]).gather([2, 0, 2]).tolist()
            [30, 10, 30]
            >>> wg.tensor([[1, 2], [3, 4]]).gather(wg.tensor([1, 0]), axis=1).tolist()
            [[2, 1], [4, 3]]
        """
        return apply(OPS["gather"], self, _index_tensor(index, self, self.shape[axis % self.ndim]), axis=axis % self.ndim)

    index_select = gather

    def scatter_add(self, index, axis, size) -> "Tensor":
        """Sums this tensor's slices along ``axis`` into ``size`` slots: slice i is added to slot ``index[i]``
        (``index`` is 1-D, one entry per slice). The reverse of ``gather``, and its gradient.

            >>> wg.tensor([1.0, 2.0, 3.0]).scatter_add(wg.tensor([0, 2, 0]), 0, 3).tolist()
            [4.0, 0.0, 2.0]
        """
        return apply(OPS["scatter_add"], self, _index_tensor(index, self, size), axis=axis % self.ndim, size=size)

    def one_hot(self, num_classes) -> "Tensor":
        """These class indices one-hot: a float32 tensor of shape ``self.shape + (num_classes,)`` that is
        1.0 at each index and 0.0 elsewhere.

            >>> wg.tensor([0, 2]).one_hot(3).tolist()
            [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
        """
        return apply(OPS["one_hot"], self.int(), num_classes=num_classes)

    def __getitem__(self, key) -> "Tensor":
        return _index(self, key)

    def __setitem__(self, key, value):
        raise TypeError("webgrad tensors do not support item assignment; build the new tensor with where(), "
                        "pad() or cat() and assign it")


# The example of each elementwise method's docstring (and of ``wg.exp`` and the like): an input, its output.
_UNARY_EXAMPLES = {
    "exp": ("[0.0, 1.0]", "[1.0, 2.718...]"), "log": ("[1.0, 100.0]", "[0.0, 4.605...]"),
    "sqrt": ("[4.0, 2.0]", "[2.0, 1.414...]"), "rsqrt": ("[4.0, 0.25]", "[0.5, 2.0]"),
    "sin": ("[0.0, 1.0]", "[0.0, 0.841...]"), "cos": ("[0.0, 3.14159265]", "[1.0, -1.0]"),
    "tanh": ("[0.0, 1.0]", "[0.0, 0.761...]"), "sigmoid": ("[0.0, 2.0]", "[0.5, 0.880...]"),
    "relu": ("[-1.0, 2.0]", "[0.0, 2.0]"), "reciprocal": ("[2.0, -0.5]", "[0.5, -2.0]"),
    "sign": ("[-3.0, 0.0, 2.0]", "[-1.0, 0.0, 1.0]"), "abs": ("[-3, 2]", "[3, 2]"),
    "neg": ("[-3.0, 2.0]", "[3.0, -2.0]"), "floor": ("[1.5, -1.5]", "[1.0, -2.0]"),
    "isnan": ("[1.0, float('nan')]", "[False, True]"), "erf": ("[0.0, 1.0]", "[0.0, 0.842...]"),
}


def _unary(name):
    def method(self):
        return apply(OPS[name], self)
    method.__name__ = name
    x, out = _UNARY_EXAMPLES[name]
    method.__doc__ = f"""Elementwise {name} (the registered op {name!r}).

        Example:
            >>> wg.tensor({x}).{name}().tolist()
            {out}
        """
    return method


for _name in ("exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "reciprocal", "sign",
              "abs", "neg", "floor", "isnan", "erf"):
    setattr(Tensor, _name, _unary(_name))


# ---- helpers ----------------------------------------------------------------------------------

def _axes(axis):
    """An ``axis`` argument as the reduction ops take it: None, an int, or a tuple."""
    if axis is None or isinstance(axis, int):
        return axis
    return tuple(axis)


def _shape_args(shape) -> tuple[int, ...]:
    """Sizes or axes given one by one (``x.reshape(2, -1)``) or as one tuple (``x.reshape((2, -1))``)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(d) for d in shape)


_constants: dict = {}


def _lift(x, like: Tensor) -> Tensor:
    """A Python scalar as a 0-d tensor on ``like``'s device, in the dtype NumPy would pick.

    Constants are cached per device, so ``x * 0.5`` in a loop uploads 0.5 once.
    """
    if isinstance(x, Tensor):
        return x
    if isinstance(x, bool):
        dtype = bool_ if like.dtype is bool_ else like.dtype
    elif isinstance(x, int):
        dtype = like.dtype if like.dtype is not bool_ else int32
    elif isinstance(x, float):
        dtype = like.dtype if like.dtype.is_float else float32
    else:
        return tensor(x, device=like.device)
    key = (x, type(x), dtype.name, id(like.device))
    t = _constants.get(key)
    if t is None:
        if len(_constants) > 512:
            _constants.clear()
        t = _constants[key] = tensor(x, dtype=dtype, device=like.device)
    return t


def _index_tensor(index, like: Tensor, size: int) -> Tensor:
    if isinstance(index, Tensor):
        return index if index.dtype is int32 else index.int()
    values = index if isinstance(index, (list, tuple)) else [index]
    flat = host_values.flatten(values)[0]
    for v in flat:
        if not -size <= int(v) < size:
            raise IndexError(f"index {int(v)} is out of range for an axis of size {size}")
    return tensor(index, dtype=int32, device=like.device)


def _index(x: Tensor, key) -> Tensor:
    """Basic indexing (ints, slices, None, ...) as views, plus one integer-array index as a gather."""
    if not isinstance(key, tuple):
        key = (key,)
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > x.ndim:
        raise IndexError(f"too many indices ({n_real}) for a tensor of shape {fmt(x.shape)}")
    rest = (slice(None),) * (x.ndim - n_real)
    if any(k is Ellipsis for k in key):
        i = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + rest + key[i + 1:]
    else:
        key = key + rest
    starts, stops, steps, out_shape, gathers, axis = [], [], [], [], [], 0
    for k in key:
        if k is None:
            out_shape.append(1)
            continue
        d = x.shape[axis]
        if isinstance(k, slice):
            b, e, s = k.indices(d)
            starts.append(b); stops.append(e); steps.append(s)
            out_shape.append(len(range(b, e, s)))
        elif isinstance(k, (Tensor, list)):
            starts.append(0); stops.append(d); steps.append(1)
            gathers.append((len(out_shape), k))
            out_shape.append(d)
        else:
            i = int(k)
            if not -d <= i < d:
                raise IndexError(f"index {i} is out of range for axis {axis} of size {d}")
            i %= d
            starts.append(i); stops.append(i + 1); steps.append(1)
        axis += 1
    if len(gathers) > 1:
        raise IndexError("webgrad supports one integer-array index per indexing expression; index twice instead")
    out = x
    if (tuple(starts), tuple(stops), tuple(steps)) != (tuple([0] * x.ndim), x.shape, tuple([1] * x.ndim)):
        out = apply(OPS["slice"], x, starts=tuple(starts), stops=tuple(stops), steps=tuple(steps))
    out = out.reshape(tuple(out_shape))
    for ax, index in gathers:
        out = out.gather(index, ax)
    return out


# ---- creation ---------------------------------------------------------------------------------

def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor from nested lists, a number, a NumPy array, a buffer (memoryview, array) or a tensor.

        >>> import webgrad as wg
        >>> wg.tensor([[1, 2], [3, 4]]).dtype
        webgrad.int32
    """
    dev = get_device(device)
    d = as_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):
        t = data.to(dev)
        t = t.cast(d) if d is not None else t.detach()
    elif hasattr(data, "__array_interface__") or type(data).__module__ == "numpy":
        import numpy as np
        arr = np.asarray(data)
        try:
            d = d or as_dtype(arr.dtype)
        except TypeError:
            raise TypeError(f"tensor: a NumPy array of dtype {arr.dtype}; webgrad has bool, int32, float16 and "
                            f"float32 (convert it first: arr.astype('float32'))") from None
        host = np.ascontiguousarray(arr.astype(numpy_dtype(d)))
        raw = host.astype(np.uint32).tobytes() if d is bool_ else host.tobytes()
        t = Tensor._make(dev.from_bytes(raw, arr.shape, d), arr.shape, d, dev)
    elif isinstance(data, (memoryview, bytes, bytearray, array)):
        view = memoryview(data)
        if view.format in ("B", "b", "c"):     # raw bytes: elements of the dtype (float32 unless told)
            d = d or float32
            if view.nbytes % d.itemsize:
                raise ValueError(f"tensor: {view.nbytes} bytes are not a whole number of {d.name} elements "
                                 f"({d.itemsize} bytes each)")
            raw = view.tobytes()
            flat = list(struct.unpack(f"<{len(raw) // d.itemsize}{d.fmt}", raw))
            shape = (len(flat),)
        else:
            flat, shape = host_values.flatten(view.tolist())
            d = d or {"f": float32, "i": int32, "I": int32, "e": float16, "?": bool_}.get(view.format) or \
                host_values.infer_dtype(flat)
        t = Tensor._make(dev.from_bytes(host_values.pack(flat, d), shape, d), shape, d, dev)
    else:
        if isinstance(data, (str, bytes, dict, set)) or data is None:
            raise TypeError(f"tensor: got {data!r} (a {type(data).__name__}); tensor takes {host_values.TAKES}")
        flat, shape = host_values.flatten(data)
        host_values.check_elements(flat, shape)
        if prod(shape) > host_values.MAX_ELEMENTS:
            host_values.new_shape(shape, "tensor")
        d = d or host_values.infer_dtype(flat)
        t = Tensor._make(dev.from_bytes(host_values.pack(flat, d), shape, d), shape, d, dev)
    t.requires_grad = requires_grad
    return t


SMALL_FULL = 1024      # elements: smaller constant tensors are uploaded, not filled by a kernel


def full(shape, value, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A tensor of ``shape`` filled with ``value``, of ``value``'s type unless ``dtype`` is given.

    Example:
        >>> wg.full((2, 3), 0.5).tolist()
        [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]]
        >>> wg.full(2, 7).dtype, wg.full(2, 7, dtype="float32").tolist()
        (webgrad.int32, [7.0, 7.0])
    """
    shape = host_values.new_shape(shape if isinstance(shape, (tuple, list)) else (shape,), "full")
    host_values.number("full", value, "value")
    d = as_dtype(dtype) if dtype is not None else (bool_ if isinstance(value, bool) else
                                                   int32 if isinstance(value, int) else float32)
    if d is int32 and not -2 ** 31 <= int(value) < 2 ** 31:
        raise ValueError(f"full: {value} does not fit in int32")
    if autograd.current_tracer() is None and prod(shape) <= SMALL_FULL:
        # Uploaded: the full kernel has the value in its source, so a value that changes every
        # step (an optimizer's bias-corrected step size) would compile a new pipeline every step.
        dev = get_device(device)
        t = Tensor._make(dev.from_bytes(host_values.pack([value] * prod(shape), d), shape, d), shape, d, dev)
    else:
        t = apply(OPS["full"], shape=shape, value=value, dtype=d.name, device=device)
    return t.requires_grad_(requires_grad)


def zeros(*shape, dtype=float32, device=None, requires_grad=False) -> Tensor:
    """A tensor of zeros: ``wg.zeros(2, 3)`` or ``wg.zeros((2, 3))``, float32 unless ``dtype`` is given.

    Example:
        >>> wg.zeros(2, 3).shape, wg.zeros((2,), dtype="int32").tolist()
        ((2, 3), [0, 0])
    """
    return full(host_values.new_shape(shape, "zeros"), 0, dtype=dtype, device=device, requires_grad=requires_grad)


def ones(*shape, dtype=float32, device=None, requires_grad=False) -> Tensor:
    """A tensor of ones: ``wg.ones(2, 3)`` or ``wg.ones((2, 3))``, float32 unless ``dtype`` is given.

    Example:
        >>> wg.ones(2, 2).tolist(), wg.ones((3,), dtype="int32").tolist()
        ([[1.0, 1.0], [1.0, 1.0]], [1, 1, 1])
    """
    return full(host_values.new_shape(shape, "ones"), 1, dtype=dtype, device=device, requires_grad=requires_grad)


def zeros_like(x: Tensor, dtype=None) -> Tensor:
    """A tensor of zeros with ``x``'s shape and device, and its dtype unless ``dtype`` is given.

        >>> wg.zeros_like(wg.tensor([[1, 2], [3, 4]])).tolist()
        [[0, 0], [0, 0]]
    """
    return full(x.shape, 0, dtype=dtype or x.dtype, device=x.device)


def ones_like(x: Tensor, dtype=None) -> Tensor:
    """A tensor of ones with ``x``'s shape and device, and its dtype unless ``dtype`` is given.

        >>> wg.ones_like(wg.tensor([1, 2]), dtype="float32").tolist()
        [1.0, 1.0]
    """
    return full(x.shape, 1, dtype=dtype or x.dtype, device=x.device)


def full_like(x: Tensor, value, dtype=None) -> Tensor:
    """A tensor filled with ``value``, with ``x``'s shape and device, and its dtype unless ``dtype`` is given.

        >>> wg.full_like(wg.zeros(2, 2), 0.5).tolist()
        [[0.5, 0.5], [0.5, 0.5]]
    """
    return full(x.shape, value, dtype=dtype or x.dtype, device=x.device)


def arange(start, stop=None, step=1, dtype=None, device=None) -> Tensor:
    """Evenly spaced values in [start, stop), as ``numpy.arange``; int32 when all three are whole numbers.

    Example:
        >>> wg.arange(5).tolist(), wg.arange(0, 1, 0.25).tolist()
        ([0, 1, 2, 3, 4], [0.0, 0.25, 0.5, 0.75])
    """
    if stop is None:
        start, stop = 0, start
    for what, v in (("start", start), ("stop", stop), ("step", step)):
        host_values.number("arange", v, what)
    if step == 0:
        raise ValueError("arange: step is 0; it must be positive (counting up) or negative (counting down)")
    whole = all(isinstance(v, numbers.Integral) for v in (start, stop, step))
    n = max(0, -(-(stop - start) // step)) if whole else max(0, int(-(-(stop - start) // step)))
    host_values.new_shape((int(n),), "arange")
    d = as_dtype(dtype) if dtype else (int32 if whole else float32)
    return apply(OPS["arange"], start=start, step=step, n=int(n), dtype=d.name, device=device)


def linspace(start, stop, num, device=None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop``, both ends included, as ``numpy.linspace``.

    Example:
        >>> wg.linspace(0, 1, 5).tolist()
        [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    host_values.number("linspace", start, "start")
    host_values.number("linspace", stop, "stop")
    num = host_values.count("linspace", num, "num", example="linspace(0, 1, 5)")
    host_values.new_shape((num,), "linspace")
    step = (stop - start) / max(num - 1, 1)
    return apply(OPS["arange"], start=float(start), step=float(step), n=int(num), dtype="float32", device=device)


def eye(n, m=None, dtype=float32, device=None) -> Tensor:
    """The identity matrix, ``n`` by ``m`` (``n`` by ``n`` by default).

    Example:
        >>> wg.eye(2, 3).tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    n = host_values.count("eye", n, "n", example="eye(3) or eye(3, 4)")
    m = n if m is None else host_values.count("eye", m, "m", example="eye(3, 4)")
    host_values.new_shape((n, m), "eye")
    return apply(OPS["eye"], n=n, m=m, dtype=as_dtype(dtype).name, device=device)


def _random(kind, shape, device, generator=None, fn="rand", **attrs) -> Tensor:
    shape = host_values.new_shape(shape, fn)
    generator = generator or default_generator
    tracer = autograd.current_tracer()
    if tracer is not None:                # a traced function draws new numbers on every call
        params = tracer.random_params(generator, prod(shape))
    else:
        params = tensor(signed_params(generator.take(prod(shape))), dtype=int32, device=device)
    return apply(OPS[f"random_{kind}"], params, shape=shape, **attrs)


def signed_params(words) -> list[int]:
    """Philox key/counter words as int32 values with the same bits."""
    return [w - (1 << 32) if w >= 1 << 31 else w for w in words]


def manual_seed(seed: int) -> None:
    """Seed the default generator: the same seed gives the same numbers on every device.

    Example:
        >>> wg.manual_seed(0); a = wg.rand(3).tolist()
        >>> wg.manual_seed(0); wg.rand(3).tolist() == a
        True
    """
    default_generator.manual_seed(seed)


def rand(*shape, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform on [0, 1), float32, from the counter-based generator (``generator``: one of your own,
    a ``webgrad.random.Generator(seed)``, leaving the global stream as it is).

    Example:
        >>> x = wg.rand(1000, generator=wg.random.Generator(7))
        >>> x.shape, 0 <= x.min().item() <= x.max().item() < 1, round(x.mean().item(), 1)
        ((1000,), True, 0.5)
    """
    return _random("uniform", shape, device, generator, fn="rand").requires_grad_(requires_grad)


def randn(*shape, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal, float32 (Box-Muller on Philox words); ``generator`` as in ``rand``.

    Example:
        >>> x = wg.randn(1000, generator=wg.random.Generator(7))
        >>> x.shape, abs(x.mean().item()) < 0.1, round(x.std().item(), 1)
        ((1000,), True, 1.0)
    """
    return _random("normal", shape, device, generator, fn="randn").requires_grad_(requires_grad)


def randint(low, high=None, shape=(), device=None) -> Tensor:
    """Integers in [low, high) (in [0, low) when ``high`` is not given), int32, of ``shape``.

    Example:
        >>> wg.manual_seed(0)
        >>> x = wg.randint(1, 7, shape=(1000,))           # dice
        >>> x.dtype, x.min().item(), x.max().item()
        (webgrad.int32, 1, 6)
    """
    if high is None:
        low, high = 0, low
    for what, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"randint: {what} is {v!r} (a {type(v).__name__}); randint takes whole numbers")
        if not -2 ** 31 <= v <= 2 ** 31:
            raise ValueError(f"randint: {what} is {v}, outside int32's range (-2,147,483,648 to 2,147,483,647)")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    if high - low >= 2 ** 32:
        raise ValueError(f"randint: [{low}, {high}) holds {high - low:,} values; at most 2**32 - 1 fit one draw")
    return _random("int", shape if isinstance(shape, (tuple, list)) else (shape,), device, fn="randint",
                   low=int(low), high=int(high))


# ---- functions of several tensors -------------------------------------------------------------

def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with batch broadcasting; 1-D operands are promoted as in NumPy.

    Example:
        >>> wg.matmul(wg.tensor([[1.0, 2.0], [3.0, 4.0]]), wg.tensor([[1.0], [1.0]])).tolist()
        [[3.0], [7.0]]
        >>> wg.matmul(wg.tensor([1.0, 2.0]), wg.tensor([3.0, 4.0])).item()      # 1-D @ 1-D: a dot product
        11.0
    """
    b = _lift(b, a)
    va, vb = a.ndim == 1, b.ndim == 1
    out = apply(OPS["matmul"], a.reshape(1, -1) if va else a, b.reshape(-1, 1) if vb else b)
    if va:
        out = out.squeeze(-2)
    if vb:
        out = out.squeeze(-1)
    return out


def where(cond, a, b) -> Tensor:
    """Elementwise ``a`` where ``cond`` else ``b``, with broadcasting; ``a`` or ``b`` may be a number.

    Example:
        >>> x = wg.tensor([1.0, -2.0, 3.0])
        >>> wg.where(x > 0, x, 0.0).tolist()
        [1.0, 0.0, 3.0]
    """
    like = next(t for t in (a, b, cond) if isinstance(t, Tensor))
    return apply(OPS["where"], _lift(cond, like).bool(), _lift(a, like), _lift(b, like))


def maximum(a, b) -> Tensor:
    """The larger of ``a`` and ``b`` elementwise, with broadcasting; either may be a number.

        >>> wg.maximum(wg.tensor([1.0, 5.0]), 3.0).tolist()
        [3.0, 5.0]
    """
    return a.maximum(b) if isinstance(a, Tensor) else _lift(a, b).maximum(b)


def minimum(a, b) -> Tensor:
    """The smaller of ``a`` and ``b`` elementwise, with broadcasting; either may be a number.

        >>> wg.minimum(2.0, wg.tensor([1.0, 5.0])).tolist()
        [1.0, 2.0]
    """
    return a.minimum(b) if isinstance(a, Tensor) else _lift(a, b).minimum(b)


def cat(tensors, axis=0) -> Tensor:
    """Join tensors along an existing axis (``concat`` is the same function).

    Example:
        >>> a, b = wg.tensor([[1, 2]]), wg.tensor([[3, 4]])
        >>> wg.cat([a, b]).tolist(), wg.cat([a, b], axis=1).tolist()
        ([[1, 2], [3, 4]], [[1, 2, 3, 4]])
    """
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: needs at least one tensor")
    if len(tensors) == 1:
        return tensors[0]
    return apply(OPS["cat"], *tensors, axis=axis)


concat = cat


def stack(tensors, axis=0) -> Tensor:
    """Join tensors of one shape along a new axis.

    Example:
        >>> a, b = wg.tensor([1, 2]), wg.tensor([3, 4])
        >>> wg.stack([a, b]).tolist(), wg.stack([a, b], axis=1).tolist()
        ([[1, 2], [3, 4]], [[1, 3], [2, 4]])
    """
    tensors = list(tensors)
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors need one shape, got {', '.join(fmt(s) for s in shapes)}")
    return cat([t.unsqueeze(axis) for t in tensors], axis=axis)
