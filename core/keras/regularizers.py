"""Weight penalties added to the training loss, as Keras: ``Dense(8, kernel_regularizer=L2(1e-4))``.

    >>> import webgrad as wg
    >>> wg.regularizers.L2(0.1)(wg.tensor([1.0, -2.0])).item()
    0.5
"""
from __future__ import annotations

from ..tensor import Tensor
from .identifiers import unknown


class Regularizer:
    """A function of a weight tensor returning a scalar penalty.

    Example:
        >>> class MaxAbs(wg.regularizers.Regularizer):
        ...     def __call__(self, w):
        ...         return w.abs().max() * 0.1
        >>> MaxAbs(), round(MaxAbs()(wg.tensor([1.0, -3.0])).item(), 4)
        (MaxAbs(), 0.3)
    """

    def __call__(self, w: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        """The penalty factors as a dict, as ``repr`` shows them.

            >>> wg.regularizers.L1L2(l1=0.01, l2=0.001).get_config()
            {'l1': 0.01, 'l2': 0.001}
        """
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in self.get_config().items())})"


class L1(Regularizer):
    """``l1 * sum(|w|)``.

    Example:
        >>> round(wg.regularizers.L1(0.1)(wg.tensor([1.0, -2.0])).item(), 4)
        0.3
    """

    def __init__(self, l1: float = 0.01):
        self.l1 = float(l1)

    def __call__(self, w):
        return w.abs().sum() * self.l1

    def get_config(self):
        """``{"l1": l1}``.

        Example:
            >>> wg.regularizers.L1(0.1).get_config()
            {'l1': 0.1}
        """
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(w ** 2)`` (no factor 1/2, as in Keras).

    Example:
        >>> round(wg.regularizers.L2(0.5)(wg.tensor([1.0, -2.0])).item(), 4)
        2.5
    """

    def __init__(self, l2: float = 0.01):
        self.l2 = float(l2)

    def __call__(self, w):
        return (w * w).sum() * self.l2

    def get_config(self):
        """``{"l2": l2}``.

        Example:
            >>> wg.regularizers.L2(1e-4).get_config()
            {'l2': 0.0001}
        """
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``.

    Example:
        >>> round(wg.regularizers.L1L2(l1=0.1, l2=0.01)(wg.tensor([1.0, -2.0])).item(), 4)
        0.35
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        out = None
        if self.l1:
            out = w.abs().sum() * self.l1
        if self.l2:
            sq = (w * w).sum() * self.l2
            out = sq if out is None else out + sq
        return out if out is not None else (w * 0.0).sum()

    def get_config(self):
        """``{"l1": l1, "l2": l2}``.

        Example:
            >>> wg.regularizers.L1L2(l2=0.01).get_config()
            {'l1': 0.0, 'l2': 0.01}
        """
        return {"l1": self.l1, "l2": self.l2}


l1, l2, l1_l2 = L1, L2, L1L2
ALL = {"l1": L1, "l2": L2, "l1_l2": L1L2}


def get(identifier):
    """A regularizer from None, a name ('l2', with the default factor 0.01), or a callable.

    Example:
        >>> wg.regularizers.get("l2"), wg.regularizers.get("L1_L2"), wg.regularizers.get(None)
        (L2(l2=0.01), L1L2(l1=0.0, l2=0.0), None)
        >>> wg.regularizers.get("l3")
        Traceback (most recent call last):
        ...
        ValueError: unknown regularizer 'l3'; valid names: l1, l1_l2, l2
    """
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ALL:
        return ALL[identifier.lower()]()
    raise unknown("regularizer", identifier, ALL)
