"""Composite ops: Python over the primitives, so gradients come for free.

    >>> import webgrad as wg
    >>> p = wg.softmax(wg.tensor([[1.0, 2.0, 3.0]]))
    >>> round(p.sum().item(), 5)
    1.0
"""
from __future__ import annotations

import math

from .tensor import Tensor, tensor


def logsumexp(x: Tensor, axis=None, keepdims=False) -> Tensor:
    """log(sum(exp(x))) over ``axis`` without overflow: the max is taken out first.

        >>> round(wg.logsumexp(wg.tensor([[0.0, 0.0]]), axis=-1).item(), 4)
        0.6931
    """
    return x.logsumexp(axis, keepdims)


def softmax(x: Tensor, axis=-1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default): each row sums to 1.

    Example:
        >>> wg.softmax(wg.zeros(1, 4)).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """
    return x.softmax(axis)


def log_softmax(x: Tensor, axis=-1) -> Tensor:
    """log(softmax(x)), computed as x - logsumexp(x) so it never takes log(0).

    Example:
        >>> [round(v, 4) for v in wg.log_softmax(wg.tensor([0.0, 0.0])).tolist()]    # log(1/2) each
        [-0.6931, -0.6931]
    """
    return x.log_softmax(axis)


def cross_entropy(logits: Tensor, labels, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy of (N, C) logits against integer class labels (N,), as in PyTorch; float
    targets of the logits' shape (one-hot or soft) are taken as probabilities.

    Example:
        >>> logits = wg.tensor([[0.0, 0.0], [10.0, 0.0]])
        >>> [round(v, 4) for v in wg.cross_entropy(logits, wg.tensor([1, 0]), reduction="none").tolist()]
        [0.6931, 0.0]
        >>> round(wg.cross_entropy(logits, wg.tensor([[0.0, 1.0], [1.0, 0.0]])).item(), 4)    # the mean
        0.3466
    """
    logp = log_softmax(logits, -1)
    if isinstance(labels, Tensor) and labels.dtype.is_float and labels.shape == logits.shape:
        per = -(labels * logp).sum(-1)              # soft or one-hot targets
    else:
        per = -(logp * Tensor.one_hot(labels if isinstance(labels, Tensor) else
                                      tensor(labels, device=logits.device), logits.shape[-1])).sum(-1)
    return _reduce(per, reduction)


def binary_cross_entropy_with_logits(logits: Tensor, targets: Tensor, reduction: str = "mean") -> Tensor:
    """Sigmoid cross-entropy, stable for large |logits|: max(x, 0) - x*y + log(1 + exp(-|x|)).

    Example:
        >>> logits, targets = wg.tensor([0.0, 100.0]), wg.tensor([1.0, 1.0])
        >>> [round(v, 4) for v in wg.binary_cross_entropy_with_logits(logits, targets, reduction="none").tolist()]
        [0.6931, 0.0]
    """
    per = logits.relu() - logits * targets + (1 + (-logits.abs()).exp()).log()
    return _reduce(per, reduction)


def mse(pred: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Squared error between ``pred`` and ``target``, reduced by ``reduction``: ``"mean"``, ``"sum"`` or
    ``"none"`` (one per element).

        >>> wg.mse(wg.tensor([1.0, 2.0]), wg.tensor([0.0, 0.0])).item()
        2.5
    """
    return _reduce((pred - target).square(), reduction)


def _reduce(per: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return per.mean()
    if reduction == "sum":
        return per.sum()
    if reduction == "none":
        return per
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def var(x: Tensor, axis=None, keepdims=False, correction=0) -> Tensor:
    """Variance over ``axis``, divided by n - ``correction`` (0: the population variance, as NumPy).

    Example:
        >>> x = wg.tensor([[1.0, 3.0], [2.0, 2.0]])
        >>> wg.var(x, axis=1).tolist(), wg.var(x, axis=1, correction=1).tolist()
        ([1.0, 0.0], [2.0, 0.0])
    """
    return x.var(axis, keepdims, correction)


def std(x: Tensor, axis=None, keepdims=False, correction=0) -> Tensor:
    """Standard deviation over ``axis`` (see ``var``).

    Example:
        >>> wg.std(wg.tensor([[1.0, 3.0], [2.0, 2.0]]), axis=1).tolist()
        [1.0, 0.0]
    """
    return x.std(axis, keepdims, correction)


def layer_norm(x: Tensor, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5,
               axis=-1) -> Tensor:
    """Normalize over ``axis`` (an int or a tuple) to zero mean and unit variance, then scale and shift.

    Example:
        >>> x = wg.tensor([[1.0, 3.0]])
        >>> [round(v, 4) for v in wg.layer_norm(x)[0].tolist()]
        [-1.0, 1.0]
        >>> [round(v, 4) for v in wg.layer_norm(x, wg.tensor([2.0, 2.0]), wg.tensor([1.0, 1.0]))[0].tolist()]
        [-1.0, 3.0]
    """
    mu = x.mean(axis, keepdims=True)
    d = x - mu
    out = d * ((d * d).mean(axis, keepdims=True) + eps).rsqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    """GELU, x·Φ(x) = x/2 (1 + erf(x/√2)), as Keras 3 and PyTorch compute it by default;
    ``approximate=True`` is the tanh approximation (GPT-2's, and jax.nn.gelu's default).

        >>> round(wg.gelu(wg.tensor(1.0)).item(), 6)
        0.841345
    """
    if approximate:
        c = math.sqrt(2 / math.pi)
        return 0.5 * x * (1 + (c * (x + 0.044715 * x * x * x)).tanh())
    return 0.5 * x * (1 + (x * (1 / math.sqrt(2))).erf())


def silu(x: Tensor) -> Tensor:
    """SiLU (swish), x·sigmoid(x), elementwise.

        >>> round(wg.silu(wg.tensor(1.0)).item(), 6)
        0.731059
    """
    return x * x.sigmoid()


def leaky_relu(x: Tensor, slope: float = 0.01) -> Tensor:
    """``x`` where it is positive, ``slope * x`` elsewhere; computed as max(x, slope·x), so for a ``slope``
    of at most 1.

        >>> wg.leaky_relu(wg.tensor([-100.0, 3.0])).tolist()
        [-1.0, 3.0]
    """
    return x.maximum(x * slope)


def mean(x: Tensor, axis=None, keepdims=False) -> Tensor:
    """Mean over ``axis`` (all axes when None); integer tensors give a float mean.

    Example:
        >>> x = wg.tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> wg.mean(x).item(), wg.mean(x, axis=0).tolist(), wg.mean(x, axis=1, keepdims=True).shape
        (2.5, [2.0, 3.0], (2, 1))
    """
    return x.mean(axis, keepdims)
