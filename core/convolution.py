"""Convolution and pooling of channels-last images (N, H, W, C), built on the ``unfold`` and
``fold`` primitives (core/ops/conv.py): a convolution is im2col then one matmul, a pool is im2col
then a max or a sum over each window.

    >>> import webgrad as wg
    >>> x = wg.ones(1, 4, 4, 1)
    >>> wg.conv2d(x, wg.ones(3, 3, 1, 2), padding="same")[0, :, :, 0].tolist()[0]
    [4.0, 6.0, 6.0, 4.0]
    >>> wg.max_pool2d(wg.arange(16, dtype="float32").reshape(1, 4, 4, 1), 2).reshape(-1).tolist()
    [5.0, 7.0, 13.0, 15.0]
"""
from __future__ import annotations

from .ops import OPS, ShapeError
from .ops.registry import fmt
from .tensor import Tensor, apply, tensor


def pair(value, name: str = "value") -> tuple[int, int]:
    """``3`` -> (3, 3); ``(3, 2)`` stays."""
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"{name} needs one int or two (height, width), got {value}")
    return value


def padding_amounts(padding: str, size, kernel, stride) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) for 'valid' (none) or 'same' (output size ceil(size / stride),
    the odd pixel at the bottom/right, as TensorFlow)."""
    padding = padding.lower() if isinstance(padding, str) else padding
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding != "same":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    out = []
    for n, k, s in zip(size, kernel, stride):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def _check_images(what: str, x: Tensor):
    if x.ndim != 4:
        raise ShapeError(f"{what}: needs a batch of channels-last images (N, H, W, C), got shape {fmt(x.shape)}")


def unfold(x: Tensor, kernel_size, strides=1, padding="valid", value: float = 0.0) -> Tensor:
    """Every window as a row: (N, H, W, C) -> (N, OH, OW, KH * KW * C), entries ordered (i, j, c)."""
    _check_images("unfold", x)
    k, s = pair(kernel_size, "kernel_size"), pair(strides, "strides")
    pads = padding_amounts(padding, x.shape[1:3], k, s) if isinstance(padding, str) else padding
    return apply(OPS["unfold"], x, kernel=k, stride=s, padding=pads, value=float(value))


def conv2d(x: Tensor, kernel: Tensor, bias: Tensor | None = None, strides=1, padding="valid") -> Tensor:
    """2-D convolution (cross-correlation, as every framework): x (N, H, W, C), kernel (KH, KW, C, F).

    Example:
        >>> x = wg.arange(9, dtype="float32").reshape(1, 3, 3, 1)
        >>> wg.conv2d(x, wg.ones(2, 2, 1, 1)).reshape(-1).tolist()      # the sum of each 2x2 window
        [8.0, 12.0, 20.0, 24.0]
        >>> wg.conv2d(wg.ones(2, 8, 8, 3), wg.ones(3, 3, 3, 4), strides=2, padding="same").shape
        (2, 4, 4, 4)
    """
    _check_images("conv2d", x)
    kh, kw, c, f = kernel.shape
    if x.shape[-1] != c:
        raise ShapeError(f"conv2d: the kernel {fmt(kernel.shape)} takes {c} input channels, the images "
                         f"{fmt(x.shape)} have {x.shape[-1]}")
    patches = unfold(x, (kh, kw), strides, padding)
    n, oh, ow, kc = patches.shape
    out = (patches.reshape(n * oh * ow, kc) @ kernel.reshape(kc, f)).reshape(n, oh, ow, f)
    return out + bias if bias is not None else out


def max_pool2d(x: Tensor, pool_size=2, strides=None, padding="valid") -> Tensor:
    """The max of each window (padding never wins: it reads -inf).

    Example:
        >>> x = wg.tensor([[-1.0, -2.0], [-3.0, -4.0]]).reshape(1, 2, 2, 1)
        >>> wg.max_pool2d(x, 2, strides=1, padding="same").reshape(-1).tolist()
        [-1.0, -2.0, -3.0, -4.0]
    """
    _check_images("max_pool2d", x)
    k = pair(pool_size, "pool_size")
    patches = unfold(x, k, strides if strides is not None else k, padding, value=float("-inf"))
    n, oh, ow, _ = patches.shape
    return patches.reshape(n, oh, ow, k[0] * k[1], x.shape[-1]).max(3)


def avg_pool2d(x: Tensor, pool_size=2, strides=None, padding="valid") -> Tensor:
    """The mean of each window; with 'same' padding, of the pixels inside the image only (as TensorFlow).

    Example:
        >>> wg.avg_pool2d(wg.arange(16, dtype="float32").reshape(1, 4, 4, 1), 2).reshape(-1).tolist()
        [2.5, 4.5, 10.5, 12.5]
        >>> wg.avg_pool2d(wg.ones(1, 3, 3, 1), 2, padding="same").reshape(-1).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    _check_images("avg_pool2d", x)
    k = pair(pool_size, "pool_size")
    s = pair(strides if strides is not None else k, "strides")
    pads = padding_amounts(padding, x.shape[1:3], k, s)
    patches = unfold(x, k, s, pads)
    n, oh, ow, _ = patches.shape
    total = patches.reshape(n, oh, ow, k[0] * k[1], x.shape[-1]).sum(3)
    if pads == ((0, 0), (0, 0)):
        return total * (1.0 / (k[0] * k[1]))
    counts = [[1.0 / _covered(i, j, x.shape[1:3], k, s, pads) for j in range(ow)] for i in range(oh)]
    return total * tensor(counts, device=x.device).reshape(1, oh, ow, 1)


def _covered(i, j, size, k, s, pads) -> int:
    """How many pixels of the image the window at output (i, j) covers."""
    rows = min(i * s[0] - pads[0][0] + k[0], size[0]) - max(i * s[0] - pads[0][0], 0)
    cols = min(j * s[1] - pads[1][0] + k[1], size[1]) - max(j * s[1] - pads[1][0], 0)
    return max(rows, 0) * max(cols, 0)
