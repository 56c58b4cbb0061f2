"""The 8x8 handwritten digits (UCI ML hand-written digits, as bundled with scikit-learn):
1,797 images with pixels 0..16 and labels 0..9, read from a 44 KB file in this package.

    >>> import webgrad as wg
    >>> (x, y), (x_test, y_test) = wg.datasets.load_digits(test_fraction=0.2, seed=0)
    >>> x.shape, y.shape, x_test.shape, y.dtype
    ((1438, 64), (1438,), (359, 64), webgrad.int32)
"""
from __future__ import annotations

import gzip
import struct
from importlib import resources

from ..tensor import tensor
from .batches import split

MAGIC = b"WGDIGITS"
_cache: dict = {}


def _read() -> tuple[bytes, bytes, int, int, int]:
    if "raw" not in _cache:
        raw = gzip.decompress(resources.files(__package__).joinpath("digits.bin.gz").read_bytes())
        if raw[:8] != MAGIC:
            raise ValueError("digits.bin.gz is not a webgrad digits file; rebuild it with "
                             "`python -m webgrad.datasets.convert_digits`")
        n, h, w = struct.unpack_from("<III", raw, 8)
        start = 8 + 12
        _cache["raw"] = (raw[start:start + n * h * w], raw[start + n * h * w:start + n * h * w + n], n, h, w)
    return _cache["raw"]


def digits_lists() -> tuple[list[list[int]], list[int]]:
    """All 1,797 images as lists of 64 ints (0..16), and their labels: no tensors, no NumPy.

    Example:
        >>> images, labels = digits_lists()
        >>> len(images), len(images[0]), max(max(im) for im in images), labels[:5]
        (1797, 64, 16, [0, 1, 2, 3, 4])
    """
    pixels, labels, n, h, w = _read()
    size = h * w
    return [list(pixels[i * size:(i + 1) * size]) for i in range(n)], list(labels)


def load_digits(test_fraction: float = 0.2, seed=0, images: bool = False, normalize: bool = True, device=None):
    """``(x_train, y_train), (x_test, y_test)`` as tensors.

    x is (n, 64) float32, or (n, 8, 8, 1) channels-last images with ``images=True``; pixels are
    scaled to [0, 1] unless ``normalize=False`` (then 0..16). y is int32 class ids (n,). The split
    shuffles with ``seed``.

    Example:
        >>> (x, y), (x_test, y_test) = load_digits(images=True)
        >>> x.shape, x_test.shape, x.max().item(), y.dtype
        ((1438, 8, 8, 1), (359, 8, 8, 1), 1.0, webgrad.int32)
    """
    pixels, labels, n, h, w = _read()
    train, test = split(n, test_fraction, seed)
    size = h * w
    scale = 1 / 16 if normalize else 1.0

    def part(idx):
        flat = [pixels[i * size + j] * scale for i in idx for j in range(size)]
        x = tensor(flat, dtype="float32", device=device)
        x = x.reshape(len(idx), h, w, 1) if images else x.reshape(len(idx), size)
        return x, tensor([labels[i] for i in idx], dtype="int32", device=device)

    return part(train), part(test)
