"""Datasets with seeds, needing no NumPy and no download: the TensorFlow Playground's six
problems, the 8x8 digits, and ``Batches``, the shuffling batch iterator ``fit`` uses.

    >>> import webgrad as wg
    >>> (x, y), _ = wg.datasets.load_playground("xor", noise=0.1, seed=3)
    >>> x.shape
    (250, 2)
"""
from . import playground
from .batches import Batches, as_device_tensor
from .digits import digits_lists, load_digits

load_playground = playground.load

__all__ = ["Batches", "as_device_tensor", "digits_lists", "load_digits", "load_playground", "playground"]
