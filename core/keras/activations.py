"""Activation functions by name, as Keras: ``Dense(8, activation="tanh")``.

    >>> import webgrad as wg
    >>> wg.activations.get("relu")(wg.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    >>> wg.activations.get("swishy")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'swishy'; valid names: elu, exponential, gelu, hard_sigmoid, leaky_relu, linear, relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign, swish, tanh
"""
from __future__ import annotations

import math

from .. import functional as F
from ..tensor import Tensor
from .identifiers import unknown


def linear(x: Tensor) -> Tensor:
    """The identity (no activation)."""
    return x


def relu(x: Tensor) -> Tensor:
    """max(x, 0)."""
    return x.relu()


def relu6(x: Tensor) -> Tensor:
    """min(max(x, 0), 6)."""
    return x.relu().minimum(6.0)


def tanh(x: Tensor) -> Tensor:
    """(exp(x) - exp(-x)) / (exp(x) + exp(-x)), in (-1, 1)."""
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), stable for large |x|."""
    return x.sigmoid()


def hard_sigmoid(x: Tensor) -> Tensor:
    """relu6(x + 3) / 6, as Keras 3."""
    return (x + 3.0).clip(0.0, 6.0) * (1 / 6)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default)."""
    return F.softmax(x, axis)


def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit x·Φ(x), exact (with erf) as Keras 3 and PyTorch compute it;
    ``approximate=True`` takes the tanh approximation (GPT-2's)."""
    return F.gelu(x, approximate)


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x), also called swish."""
    return F.silu(x)


swish = silu


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, else ``negative_slope * x`` (0.2, as Keras' activation)."""
    return F.leaky_relu(x, negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha * (exp(x) - 1)."""
    return x.where(x > 0, (x.minimum(0.0).exp() - 1.0) * alpha)


def selu(x: Tensor) -> Tensor:
    """Scaled ELU with the self-normalizing constants."""
    return elu(x, 1.6732632423543772) * 1.0507009873554805


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), stable: max(x, 0) + log(1 + exp(-|x|))."""
    return x.relu() + ((-x.abs()).exp() + 1.0).log()


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return x / (x.abs() + 1.0)


def exponential(x: Tensor) -> Tensor:
    """exp(x)."""
    return x.exp()


ALL = {f.__name__: f for f in (linear, relu, relu6, tanh, sigmoid, hard_sigmoid, softmax, gelu, silu, leaky_relu, elu,
                               selu, softplus, softsign, exponential)}
ALL["swish"] = silu


def get(identifier):
    """An activation function from a name, a callable (returned as is) or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in ALL:
        return ALL[identifier]
    raise unknown("activation", identifier, ALL)


def name_of(fn) -> str:
    """The registered name of an activation function (for summaries and configs)."""
    return next((n for n, f in ALL.items() if f is fn), getattr(fn, "__name__", repr(fn)))


del math
