"""Kernels for convolution and pooling on channels-last (NHWC) images: ``unfold`` (im2col: every
output position's window as one row) and its adjoint ``fold`` (col2im: every pixel sums the
windows that cover it). A convolution is then unfold + matmul, a pool is unfold + max or sum.
"""
from __future__ import annotations

from math import prod

from .kernel import Kernel, Launch, header, literal, template
from .view import View, grid


def unfold_launches(x: View, kernel, stride, padding, out_shape, type: str, value: float = 0.0) -> list[Launch]:
    """``x`` is (N, H, W, C), read through its strides; the output (N, OH, OW, KH * KW * C) is contiguous."""
    n, h, w, c = x.shape
    (_, kw), (sh, sw), ((pt, _), (pl, _)) = kernel, stride, padding
    _, oh, ow, kc = out_shape
    xn, xh, xw, xc = x.strides
    src = template("unfold.wgsl", HEADER=header(type), T=type, TOTAL=prod(out_shape), KC=kc, OH=oh, OW=ow,
                   C=c, KW=kw, SH=sh, SW=sw, PT=pt, PL=pl, H=h, W=w, X0=x.offset, XN=xn, XH=xh, XW=xw, XC=xc,
                   VALUE=literal(value, type))
    return [Launch(Kernel("unfold", src, grid(prod(out_shape), 64), 1), ["in0", "out0"])]


def fold_launches(p: View, kernel, stride, padding, out_shape, type: str) -> list[Launch]:
    """``p`` is (N, OH, OW, KH * KW * C), read through its strides; the output (N, H, W, C) is contiguous."""
    _, oh, ow, _ = p.shape
    _, h, w, c = out_shape
    (kh, kw), (sh, sw), ((pt, _), (pl, _)) = kernel, stride, padding
    pn, ph, pw, pk = p.strides
    src = template("fold.wgsl", HEADER=header(type), T=type, TOTAL=prod(out_shape), C=c, H=h, W=w, KH=kh, KW=kw,
                   SH=sh, SW=sw, PT=pt, PL=pl, OH=oh, OW=ow, P0=p.offset, PN=pn, PH=ph, PW=pw, PK=pk)
    return [Launch(Kernel("fold", src, grid(prod(out_shape), 64), 1), ["in0", "out0"])]
