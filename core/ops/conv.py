"""Window primitives for convolution and pooling on channels-last images (N, H, W, C).

``unfold`` (im2col) turns every output position's KH x KW window into one row of patches:
(N, H, W, C) -> (N, OH, OW, KH * KW * C), positions in the padding read ``value``. Its adjoint
``fold`` (col2im) sums the patch entries back onto the pixels they came from. Each is the
other's gradient, so a convolution (unfold, then a matmul with the kernel) and the pools (unfold,
then max or sum over the window) differentiate through the registry's rules.

Attributes: ``kernel`` (KH, KW), ``stride`` (SH, SW), ``padding`` ((top, bottom), (left, right)).

    >>> import webgrad as wg
    >>> x = wg.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> x.apply(wg.OPS["unfold"], kernel=(2, 2), stride=(2, 2), padding=((0, 0), (0, 0))).shape
    (1, 2, 2, 4)
"""
from __future__ import annotations

from webgpu_kernels.conv import fold_launches, unfold_launches

from .registry import Meta, Op, ShapeError, fmt, register
from .registry import numpy as _np


def window_output_size(opname: str, size: int, k: int, s: int, pads) -> int:
    """Number of window positions along one axis of ``size`` (with ``pads`` added), as TensorFlow counts them."""
    span = size + pads[0] + pads[1] - k
    if k < 1 or s < 1 or min(pads) < 0:
        raise ShapeError(f"{opname}: kernel {k}, stride {s} and padding {tuple(pads)} must be positive")
    if span < 0:
        raise ShapeError(f"{opname}: a window of {k} does not fit an axis of size {size} padded by {tuple(pads)}")
    return span // s + 1


def _check(opname, shape, kernel, stride, padding):
    if len(shape) != 4:
        raise ShapeError(f"{opname}: needs a channels-last batch of images (N, H, W, C), got shape {fmt(shape)}")
    if len(kernel) != 2 or len(stride) != 2 or len(padding) != 2:
        raise ShapeError(f"{opname}: kernel, stride and padding need two entries (height, width); got "
                         f"{kernel}, {stride}, {padding}")


def _unfold_infer(x: Meta, kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0)), value=0.0):
    _check("unfold", x.shape, kernel, stride, padding)
    n, h, w, c = x.shape
    oh = window_output_size("unfold", h, kernel[0], stride[0], padding[0])
    ow = window_output_size("unfold", w, kernel[1], stride[1], padding[1])
    return Meta((n, oh, ow, kernel[0] * kernel[1] * c), x.dtype)


def _fold_infer(p: Meta, size=(1, 1), kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0))):
    _check("fold", p.shape, kernel, stride, padding)
    n, oh, ow, kc = p.shape
    kk = kernel[0] * kernel[1]
    want = (window_output_size("fold", size[0], kernel[0], stride[0], padding[0]),
            window_output_size("fold", size[1], kernel[1], stride[1], padding[1]))
    if kc % kk or (oh, ow) != want:
        raise ShapeError(f"fold: patches of shape {fmt(p.shape)} do not come from images of size {tuple(size)} with "
                         f"kernel {tuple(kernel)}, stride {tuple(stride)}, padding {tuple(padding)} "
                         f"(expected (N, {want[0]}, {want[1]}, a multiple of {kk}))")
    return Meta((n, size[0], size[1], kc // kk), p.dtype)


def _unfold_reference(x, kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0)), value=0.0):
    np = _np()
    x = np.asarray(x)
    (kh, kw), (sh, sw) = kernel, stride
    xp = np.pad(x, ((0, 0), tuple(padding[0]), tuple(padding[1]), (0, 0)), constant_values=value)
    oh = (xp.shape[1] - kh) // sh + 1
    ow = (xp.shape[2] - kw) // sw + 1
    rows = [xp[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :] for i in range(kh) for j in range(kw)]
    return np.concatenate(rows, axis=-1)


def _fold_reference(p, size=(1, 1), kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0))):
    np = _np()
    p = np.asarray(p)
    (kh, kw), (sh, sw), ((pt, pb), (pl, pr)) = kernel, stride, padding
    n, oh, ow, kc = p.shape
    c = kc // (kh * kw)
    out = np.zeros((n, size[0] + pt + pb, size[1] + pl + pr, c), dtype=p.dtype)
    for i in range(kh):
        for j in range(kw):
            k = (i * kw + j) * c
            out[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :] += p[..., k:k + c]
    return out[:, pt:pt + size[0], pl:pl + size[1], :]


def _unfold_kernel(ins, out: Meta, kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0)), value=0.0):
    (view, dtype), = ins
    return unfold_launches(view, kernel, stride, padding, out.shape, dtype.wgsl, value)


def _fold_kernel(ins, out: Meta, size=(1, 1), kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0))):
    (view, dtype), = ins
    return fold_launches(view, kernel, stride, padding, out.shape, dtype.wgsl)


def _unfold_grad(g, out, x, kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0)), value=0.0):
    return (g.apply(FOLD, size=x.shape[1:3], kernel=kernel, stride=stride, padding=padding),)


def _fold_grad(g, out, p, size=(1, 1), kernel=(1, 1), stride=(1, 1), padding=((0, 0), (0, 0))):
    return (g.apply(UNFOLD, kernel=kernel, stride=stride, padding=padding),)


def _window_sample(rng):
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    kernel = tuple(int(k) for k in rng.integers(1, 4, size=2))
    stride = tuple(int(s) for s in rng.integers(1, 3, size=2))
    padding = tuple((int(rng.integers(0, k)), int(rng.integers(0, k))) for k in kernel)
    size = tuple(int(rng.integers(max(1, k - sum(p)), 6)) for k, p in zip(kernel, padding))
    return (n, size[0], size[1], c), {"kernel": kernel, "stride": stride, "padding": padding}


def _unfold_sample(rng):
    shape, attrs = _window_sample(rng)
    return [rng.uniform(-3, 3, size=shape).astype("float32")], dict(attrs, value=float(rng.choice([0.0, -1.5])))


def _fold_sample(rng):
    shape, attrs = _window_sample(rng)
    out = _unfold_infer(Meta(shape, None), **attrs).shape
    return [rng.uniform(-3, 3, size=out).astype("float32")], dict(attrs, size=shape[1:3])


UNFOLD = register(Op("unfold", _unfold_infer, _unfold_reference, grad=_unfold_grad, kernel=_unfold_kernel,
                     sample=_unfold_sample, doc="im2col of channels-last images"))
FOLD = register(Op("fold", _fold_infer, _fold_reference, grad=_fold_grad, kernel=_fold_kernel,
                   sample=_fold_sample, doc="col2im, the adjoint of unfold"))
