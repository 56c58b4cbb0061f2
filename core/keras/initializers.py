"""Weight initializers, as Keras: ``Dense(8, kernel_initializer="he_normal")``.

Variance-scaling initializers count fans as Keras does: a Dense kernel (in, out) has fan_in = in,
fan_out = out; a Conv2D kernel (KH, KW, C, F) has fan_in = KH * KW * C and fan_out = KH * KW * F.
Random numbers come from webgrad's counter-based generator: ``seed=`` gives the same weights on
every device; without a seed they follow ``wg.manual_seed``.

    >>> import webgrad as wg
    >>> w = wg.initializers.get("glorot_uniform")((64, 32), seed=1)
    >>> w.shape, abs(w).max().item() <= (6 / 96) ** 0.5
    ((64, 32), True)
"""
from __future__ import annotations

import math
from math import prod

from ..random import Generator
from ..tensor import Tensor, full, rand, randn
from .identifiers import from_identifier


def compute_fans(shape) -> tuple[float, float]:
    """(fan_in, fan_out) of a weight of ``shape``.

    Example:
        >>> compute_fans((64, 32)), compute_fans((3, 3, 16, 32))      # Dense (in, out); Conv2D (KH, KW, C, F)
        ((64.0, 32.0), (144.0, 288.0))
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _draw(kind: str, shape, seed, device) -> Tensor:
    generator = None if seed is None else Generator(int(seed))   # a seed of its own leaves the global stream be
    draw = rand if kind == "uniform" else randn
    return draw(*shape, device=device, generator=generator)


class Initializer:
    """Base class: ``init(shape, dtype=None, device=None)`` returns a new tensor.

    Example:
        >>> class Eye(wg.initializers.Initializer):
        ...     def __call__(self, shape, dtype=None, device=None, seed=None):
        ...         return wg.tensor([[float(i == j) for j in range(shape[1])] for i in range(shape[0])], device=device)
        >>> Eye()((2, 2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def __call__(self, shape, dtype=None, device=None, seed=None) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The initializer's arguments as a dict, as ``repr`` shows them.

            >>> wg.initializers.RandomNormal(stddev=0.01, seed=1).get_config()
            {'mean': 0.0, 'stddev': 0.01, 'seed': 1}
        """
        return {"seed": self.seed}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros: ``Dense(8, bias_initializer="zeros")``.

    Example:
        >>> wg.initializers.Zeros()((2, 3)).tolist()
        [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """

    def __call__(self, shape, dtype=None, device=None, seed=None):
        return full(tuple(shape), 0.0, dtype=dtype or "float32", device=device)


class Ones(Initializer):
    """All ones (BatchNormalization's gamma).

    Example:
        >>> wg.initializers.Ones()((3,)).tolist()
        [1.0, 1.0, 1.0]
    """

    def __call__(self, shape, dtype=None, device=None, seed=None):
        return full(tuple(shape), 1.0, dtype=dtype or "float32", device=device)


class Constant(Initializer):
    """Every entry ``value``: ``Constant(0.1)``.

    Example:
        >>> wg.initializers.Constant(0.5)((2, 2)).tolist()
        [[0.5, 0.5], [0.5, 0.5]]
    """

    def __init__(self, value: float = 0.0):
        super().__init__()
        self.value = float(value)

    def __call__(self, shape, dtype=None, device=None, seed=None):
        return full(tuple(shape), self.value, dtype=dtype or "float32", device=device)

    def get_config(self):
        """The fill value as a dict (a Constant takes no seed).

        Example:
            >>> wg.initializers.Constant(0.1).get_config()
            {'value': 0.1}
        """
        return {"value": self.value}


class RandomUniform(Initializer):
    """Uniform on [minval, maxval): ``RandomUniform(-0.05, 0.05)`` (Embedding's default).

    Example:
        >>> w = wg.initializers.RandomUniform(-1.0, 1.0, seed=0)((1000,))
        >>> w.shape, -1.0 <= w.min().item() <= w.max().item() < 1.0
        ((1000,), True)
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None, device=None, seed=None):
        u = _draw("uniform", tuple(shape), seed if seed is not None else self.seed, device)
        return u * (self.maxval - self.minval) + self.minval

    def get_config(self):
        """``minval``, ``maxval`` and ``seed`` as a dict.

        Example:
            >>> wg.initializers.RandomUniform(-0.1, 0.1, seed=2).get_config()
            {'minval': -0.1, 'maxval': 0.1, 'seed': 2}
        """
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """Normal with ``mean`` and ``stddev``.

    Example:
        >>> w = wg.initializers.RandomNormal(mean=1.0, stddev=0.1, seed=0)((1000,))
        >>> round(w.mean().item(), 1), round(w.std().item(), 2)
        (1.0, 0.1)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None, device=None, seed=None):
        return _draw("normal", tuple(shape), seed if seed is not None else self.seed, device) * self.stddev + self.mean

    def get_config(self):
        """``mean``, ``stddev`` and ``seed`` as a dict.

        Example:
            >>> wg.initializers.RandomNormal(mean=1.0).get_config()
            {'mean': 1.0, 'stddev': 0.05, 'seed': None}
        """
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Variance ``scale / n`` with n the fan in, out or their average; uniform or truncated normal.

    The truncated normal redraws entries beyond two standard deviations (three rounds, then
    clips), and its stddev is corrected by 0.8796... as in Keras so the variance is ``scale / n``.

    Example:
        >>> init = wg.initializers.VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)
        >>> w = init((200, 100))                  # uniform on +-sqrt(3 * 2 / 200), stddev sqrt(2 / 200)
        >>> abs(w).max().item() <= (3 * 2.0 / 200) ** 0.5, round(w.std().item(), 2)
        (True, 0.1)
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(f"VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' or "
                             f"'uniform', got {distribution!r}")
        super().__init__(seed)
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=None, device=None, seed=None):
        shape = tuple(shape)
        seed = seed if seed is not None else self.seed
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * var)
            return _draw("uniform", shape, seed, device) * (2 * limit) - limit
        if self.distribution == "untruncated_normal":
            return _draw("normal", shape, seed, device) * math.sqrt(var)
        z = _draw("normal", shape, seed, device)
        for i in range(3):
            z = z.where(z.abs() <= 2.0, _draw("normal", shape, None if seed is None else seed + 7919 * (i + 1), device))
        return z.clip(-2.0, 2.0) * (math.sqrt(var) / 0.87962566103423978)

    def get_config(self):
        """``scale``, ``mode``, ``distribution`` and ``seed`` as a dict.

        Example:
            >>> wg.initializers.VarianceScaling(2.0, "fan_out").get_config()
            {'scale': 2.0, 'mode': 'fan_out', 'distribution': 'truncated_normal', 'seed': None}
        """
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class GlorotUniform(VarianceScaling):
    """Uniform on ±sqrt(6 / (fan_in + fan_out)) (Xavier); Dense's and Conv2D's default kernel initializer.

    Example:
        >>> w = wg.initializers.GlorotUniform(seed=0)((200, 100))        # fan_in 200, fan_out 100
        >>> abs(w).max().item() <= (6 / 300) ** 0.5, round(w.std().item(), 2)
        (True, 0.08)
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(VarianceScaling):
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).

    Example:
        >>> w = wg.initializers.GlorotNormal(seed=0)((200, 100))        # fan_in 200, fan_out 100
        >>> w.shape, round(w.std().item(), 2)
        ((200, 100), 0.08)
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeUniform(VarianceScaling):
    """Uniform on ±sqrt(6 / fan_in), for ReLU networks.

    Example:
        >>> w = wg.initializers.HeUniform(seed=0)((200, 100))        # fan_in 200, fan_out 100
        >>> abs(w).max().item() <= (6 / 200) ** 0.5, round(w.std().item(), 2)
        (True, 0.1)
    """

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class HeNormal(VarianceScaling):
    """Truncated normal with stddev sqrt(2 / fan_in), for ReLU networks.

    Example:
        >>> w = wg.initializers.HeNormal(seed=0)((200, 100))        # fan_in 200, fan_out 100
        >>> w.shape, round(w.std().item(), 2)
        ((200, 100), 0.1)
    """

    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class LecunUniform(VarianceScaling):
    """Uniform on ±sqrt(3 / fan_in), as Keras' ``LecunUniform``.

    Example:
        >>> w = wg.initializers.LecunUniform(seed=0)((200, 100))        # fan_in 200, fan_out 100
        >>> abs(w).max().item() <= (3 / 200) ** 0.5, round(w.std().item(), 2)
        (True, 0.07)
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class LecunNormal(VarianceScaling):
    """Truncated normal with stddev sqrt(1 / fan_in), as Keras' ``LecunNormal`` (for SELU networks).

    Example:
        >>> w = wg.initializers.LecunNormal(seed=0)((200, 100))        # fan_in 200, fan_out 100
        >>> w.shape, round(w.std().item(), 2)
        ((200, 100), 0.07)
    """

    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


ALL = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_uniform": RandomUniform,
       "random_normal": RandomNormal, "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
       "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
       "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal}


def get(identifier) -> Initializer:
    """An initializer from a name ('he_normal'), an Initializer, or any callable ``f(shape, dtype, device)``.

    Example:
        >>> wg.initializers.get("he_normal")
        HeNormal(scale=2.0, mode='fan_in', distribution='truncated_normal', seed=None)
        >>> wg.initializers.get("ones")((2,)).tolist()
        [1.0, 1.0]
    """
    function = lambda f: f if callable(f) and not isinstance(f, type) else None
    return from_identifier("initializer", identifier, Initializer, ALL, otherwise=function)
