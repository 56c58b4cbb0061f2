"""Keras's ``utils`` that scripts call: ``to_categorical`` and ``set_random_seed``.

    >>> import webgrad as wg
    >>> wg.utils.to_categorical([0, 2], num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""
from __future__ import annotations

import random

from ..tensor import Tensor, manual_seed, tensor


def to_categorical(x, num_classes: int | None = None) -> Tensor:
    """Class ids (a list, a tensor or a NumPy array of ints) as one-hot float32 rows; ``num_classes`` defaults to
    the largest id + 1. A trailing axis of size 1 is dropped first, as Keras drops it.

    Example:
        >>> wg.utils.to_categorical(wg.tensor([[1], [0]])).tolist()
        [[0.0, 1.0], [1.0, 0.0]]
    """
    ids = x if isinstance(x, Tensor) else tensor(x.tolist() if hasattr(x, "tolist") else x)
    ids = ids.int()
    if ids.ndim > 1 and ids.shape[-1] == 1:
        ids = ids.reshape(ids.shape[:-1])
    if num_classes is None:
        num_classes = int(ids.max().item()) + 1
    if ids.numel() and (int(ids.min().item()) < 0 or int(ids.max().item()) >= num_classes):
        raise ValueError(f"to_categorical: class ids must be in [0, {num_classes}), got "
                         f"{int(ids.min().item())}..{int(ids.max().item())}")
    return ids.one_hot(int(num_classes))


def set_random_seed(seed: int) -> None:
    """Seed webgrad's generator (weights, dropout, shuffles) and Python's ``random``, as Keras seeds its backend,
    Python and NumPy (NumPy too, where it is installed).

    Example:
        >>> wg.utils.set_random_seed(1); a = wg.rand(2).tolist()
        >>> wg.utils.set_random_seed(1); a == wg.rand(2).tolist()
        True
    """
    manual_seed(int(seed))
    random.seed(int(seed))
    try:
        import numpy
    except ImportError:
        return
    numpy.random.seed(int(seed))
