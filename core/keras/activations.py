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
    """The identity (no activation).

    Example:
        >>> wg.activations.linear(wg.tensor([-1.0, 2.0])).tolist()
        [-1.0, 2.0]
    """
    return x


def relu(x: Tensor) -> Tensor:
    """max(x, 0).

    Example:
        >>> wg.activations.relu(wg.tensor([-1.0, 0.0, 2.0])).tolist()
        [0.0, 0.0, 2.0]
    """
    return x.relu()


def relu6(x: Tensor) -> Tensor:
    """min(max(x, 0), 6).

    Example:
        >>> wg.activations.relu6(wg.tensor([-1.0, 3.0, 8.0])).tolist()
        [0.0, 3.0, 6.0]
    """
    return x.relu().minimum(6.0)


def tanh(x: Tensor) -> Tensor:
    """(exp(x) - exp(-x)) / (exp(x) + exp(-x)), in (-1, 1).

    Example:
        >>> [round(v, 4) for v in wg.activations.tanh(wg.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-0.7616, 0.0, 0.964]
    """
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), stable for large |x|.

    Example:
        >>> [round(v, 4) for v in wg.activations.sigmoid(wg.tensor([-1.0, 0.0, 2.0])).tolist()]
        [0.2689, 0.5, 0.8808]
    """
    return x.sigmoid()


def hard_sigmoid(x: Tensor) -> Tensor:
    """relu6(x + 3) / 6, as Keras 3.

    Example:
        >>> [round(v, 4) for v in wg.activations.hard_sigmoid(wg.tensor([-4.0, 0.0, 1.5])).tolist()]
        [0.0, 0.5, 0.75]
    """
    return (x + 3.0).clip(0.0, 6.0) * (1 / 6)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (the last by default).

    Example:
        >>> [round(v, 4) for v in wg.activations.softmax(wg.tensor([1.0, 2.0, 3.0])).tolist()]
        [0.09, 0.2447, 0.6652]
    """
    return F.softmax(x, axis)


def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit x·Φ(x), exact (with erf) as Keras 3 and PyTorch compute it;
    ``approximate=True`` takes the tanh approximation (GPT-2's).

    Example:
        >>> x = wg.tensor([-1.0, 0.0, 2.0])
        >>> [round(v, 4) for v in wg.activations.gelu(x).tolist()]
        [-0.1587, 0.0, 1.9545]
        >>> [round(v, 4) for v in wg.activations.gelu(x, approximate=True).tolist()]
        [-0.1588, 0.0, 1.9546]
    """
    return F.gelu(x, approximate)


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x), also called swish.

    Example:
        >>> [round(v, 4) for v in wg.activations.silu(wg.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-0.2689, 0.0, 1.7616]
    """
    return F.silu(x)


swish = silu


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, else ``negative_slope * x`` (0.2, as Keras' activation).

    Example:
        >>> wg.activations.leaky_relu(wg.tensor([-10.0, 5.0])).tolist()
        [-2.0, 5.0]
        >>> [round(v, 4) for v in wg.activations.leaky_relu(wg.tensor([-10.0, 5.0]), negative_slope=0.01).tolist()]
        [-0.1, 5.0]
    """
    return F.leaky_relu(x, negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x for x > 0, else alpha * (exp(x) - 1).

    Example:
        >>> [round(v, 4) for v in wg.activations.elu(wg.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-0.6321, 0.0, 2.0]
    """
    return x.where(x > 0, (x.minimum(0.0).exp() - 1.0) * alpha)


def selu(x: Tensor) -> Tensor:
    """Scaled ELU with the self-normalizing constants.

    Example:
        >>> [round(v, 4) for v in wg.activations.selu(wg.tensor([-1.0, 0.0, 2.0])).tolist()]
        [-1.1113, 0.0, 2.1014]
    """
    return elu(x, 1.6732632423543772) * 1.0507009873554805


def softplus(x: Tensor) -> Tensor:
    """log(1 + exp(x)), stable: max(x, 0) + log(1 + exp(-|x|)).

    Example:
        >>> [round(v, 4) for v in wg.activations.softplus(wg.tensor([-1.0, 0.0, 100.0])).tolist()]
        [0.3133, 0.6931, 100.0]
    """
    return x.relu() + ((-x.abs()).exp() + 1.0).log()


def softsign(x: Tensor) -> Tensor:
    """x / (1 + |x|).

    Example:
        >>> wg.activations.softsign(wg.tensor([-1.0, 0.0, 3.0])).tolist()
        [-0.5, 0.0, 0.75]
    """
    return x / (x.abs() + 1.0)


def exponential(x: Tensor) -> Tensor:
    """exp(x).

    Example:
        >>> [round(v, 4) for v in wg.activations.exponential(wg.tensor([0.0, 1.0])).tolist()]
        [1.0, 2.7183]
    """
    return x.exp()


ALL = {f.__name__: f for f in (linear, relu, relu6, tanh, sigmoid, hard_sigmoid, softmax, gelu, silu, leaky_relu, elu,
                               selu, softplus, softsign, exponential)}
ALL["swish"] = silu


def get(identifier):
    """An activation function from a name, a callable (returned as is) or None (linear).

    Example:
        >>> wg.activations.get("relu") is wg.activations.relu, wg.activations.get(None) is wg.activations.linear
        (True, True)
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in ALL:
        return ALL[identifier]
    raise unknown("activation", identifier, ALL)


def name_of(fn) -> str:
    """The registered name of an activation function (for summaries and configs).

    Example:
        >>> wg.activations.name_of(wg.activations.tanh), wg.activations.name_of(wg.activations.get("swish"))
        ('tanh', 'silu')
    """
    return next((n for n, f in ALL.items() if f is fn), getattr(fn, "__name__", repr(fn)))


del math
