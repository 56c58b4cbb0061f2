"""Elementwise primitives: unary math, binary ops with broadcasting, comparisons, where, cast.

Each is an expression over its inputs (webgpu_kernels/expr.py), so a chain of them can fuse
into one kernel; NumPy gives the reference, and the gradient is written with other ops.
"""
from __future__ import annotations

import math

from webgpu_kernels import expr as E

from ..dtypes import as_dtype, bool_, float32, numpy_dtype, promote
from .registry import Meta, Op, ShapeError, broadcast_shapes, register
from .registry import numpy as _np

# ---- unary ----------------------------------------------------------------------------------

def _unary_infer(name, float_only):
    def infer(x: Meta, **_):
        if float_only and not x.dtype.is_float:
            raise ShapeError(f"{name}: needs a floating-point tensor, got {x.dtype.name} (cast it first: x.float())")
        if x.dtype.kind == "b":
            raise ShapeError(f"{name}: does not take bool tensors (cast it first: x.int() or x.float())")
        return x
    return infer


def _unary_sample(lo, hi):
    def sample(rng):
        shape = tuple(int(d) for d in rng.integers(1, 6, size=rng.integers(0, 4)))
        return [rng.uniform(lo, hi, size=shape).astype("float32")], {}
    return sample


def unary(name, expr, reference, grad=None, domain=(-3.0, 3.0), float_only=True, tolerance=1e-4, infer=None):
    return register(Op(name, infer or _unary_infer(name, float_only), reference, grad=grad, expr=expr,
                       sample=_unary_sample(*domain), tolerance=tolerance))


def _tanh(x):
    # tanh(x) = sign(x) (1 - e^-2|x|) / (1 + e^-2|x|): never inf/inf, whatever the adapter's exp does.
    t = E.call("exp", E.const(-2.0, x.type) * E.call("abs", x))
    return E.call("sign", x) * (E.const(1.0, x.type) - t) / (E.const(1.0, x.type) + t)


def _sigmoid(x):
    # Split by sign so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    e = E.call("exp", -E.call("abs", x))
    one = E.const(1.0, x.type)
    return E.select(E.infix(">=", x, E.const(0.0, x.type)), one / (one + e), e / (one + e))


def _np_sigmoid(x):
    np = _np()
    x = np.asarray(x)
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x)))).astype(x.dtype)


def _erf(x):
    # No WGSL builtin. Near 0, the Maclaurin series (exact to float32 for |x| < 0.5, where 1 - erfc
    # would cancel); elsewhere 1 - erfc(|x|) with Numerical Recipes' Chebyshev fit (error < 1.2e-7).
    t = x.type
    c = lambda v: E.const(v, t)
    x2 = x * x
    series = c(0.0)
    for k in range(6, -1, -1):   # 2/sqrt(pi) * sum (-1)^k x^(2k+1) / (k! (2k+1))
        series = series * x2 + c((-1) ** k * 2 / math.sqrt(math.pi) / (math.factorial(k) * (2 * k + 1)))
    z = E.call("abs", x)
    u = c(1.0) / (c(1.0) + c(0.5) * z)
    poly = c(0.17087277)
    for a in (-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196,
              1.00002368, -1.26551223):
        poly = poly * u + c(a)
    erfc = u * E.call("exp", poly - z * z)
    return E.select(E.infix("<", z, c(0.5)), x * series, E.call("sign", x) * (c(1.0) - erfc))


def _np_erf(x):
    np = _np()
    x = np.asarray(x)
    return np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)


unary("neg", lambda x: -x, lambda x: -_np().asarray(x), lambda g, out, x: (-g,), float_only=False)
unary("exp", lambda x: E.call("exp", x), lambda x: _np().exp(x), lambda g, out, x: (g * out,))
unary("log", lambda x: E.call("log", x), lambda x: _np().log(x), lambda g, out, x: (g / x,), domain=(0.1, 5.0))
unary("sqrt", lambda x: E.call("sqrt", x), lambda x: _np().sqrt(x), lambda g, out, x: (g * 0.5 / out,), domain=(0.1, 5.0))
unary("rsqrt", lambda x: E.call("inverseSqrt", x), lambda x: 1 / _np().sqrt(x),
      lambda g, out, x: (g * -0.5 * out * out * out,), domain=(0.1, 5.0))
unary("abs", lambda x: E.call("abs", x), lambda x: _np().abs(x), lambda g, out, x: (g * x.sign(),), float_only=False)
unary("sign", lambda x: E.call("sign", x), lambda x: _np().sign(x), None, float_only=False)
unary("sin", lambda x: E.call("sin", x), lambda x: _np().sin(x), lambda g, out, x: (g * x.cos(),))
unary("cos", lambda x: E.call("cos", x), lambda x: _np().cos(x), lambda g, out, x: (-g * x.sin(),))
unary("tanh", _tanh, lambda x: _np().tanh(x), lambda g, out, x: (g * (1 - out * out),))
unary("sigmoid", _sigmoid, _np_sigmoid, lambda g, out, x: (g * out * (1 - out),))
unary("relu", lambda x: _nan_through(E.call("max", x, E.const(0, x.type)), x), lambda x: _np().maximum(x, 0),
      lambda g, out, x: (g * (x > 0),), float_only=False)
unary("reciprocal", lambda x: E.const(1.0, x.type) / x, lambda x: 1 / _np().asarray(x),
      lambda g, out, x: (-g * out * out,), domain=(0.5, 3.0))
unary("erf", _erf, _np_erf, lambda g, out, x: (g * (2 / math.sqrt(math.pi)) * (-(x * x)).exp(),))
unary("floor", lambda x: E.call("floor", x), lambda x: _np().floor(x), None)
unary("isnan", E.isnan, lambda x: _np().isnan(x), None,
      infer=lambda x, **_: Meta(x.shape, bool_))


# ---- binary ---------------------------------------------------------------------------------

def _binary_infer(name, result=None, float_result=False):
    def infer(a: Meta, b: Meta, **_):
        shape = broadcast_shapes(name, a.shape, b.shape)
        dtype = promote(a.dtype, b.dtype)
        if float_result and not dtype.is_float:
            dtype = float32
        if result is None and dtype.kind == "b":
            raise ShapeError(f"{name}: does not take two bool tensors (cast one: x.int())")
        return Meta(shape, result or dtype)
    return infer


def _binary_sample(lo, hi):
    def sample(rng):
        rank = int(rng.integers(0, 4))
        shape = [int(d) for d in rng.integers(1, 5, size=rank)]
        other = [d if rng.random() < 0.7 else 1 for d in shape][int(rng.integers(0, rank + 1)):]
        if rng.random() < 0.5:
            shape, other = other, shape
        return [rng.uniform(lo, hi, size=tuple(shape)).astype("float32"),
                rng.uniform(lo, hi, size=tuple(other)).astype("float32")], {}
    return sample


def binary(name, expr, reference, grad=None, domain=(-3.0, 3.0), result=None, float_result=False, tolerance=1e-4):
    def typed_expr(a, b):
        # Compute in the promoted type: int32 + float32 is a float32 add.
        ct = a.type if a.type == b.type else ("f32" if "f32" in (a.type, b.type) else
                                                "f16" if "f16" in (a.type, b.type) else "i32")
        if float_result and ct in ("i32", "bool"):
            ct = "f32"
        if ct == "bool":
            ct = "i32" if result is None else "bool"
        return expr(E.cast(a, ct), E.cast(b, ct))
    return register(Op(name, _binary_infer(name, result, float_result), reference, grad=grad, expr=typed_expr,
                       sample=_binary_sample(*domain), tolerance=tolerance))


binary("add", lambda a, b: a + b, lambda a, b: _np().add(a, b), lambda g, out, a, b: (g, g))
binary("sub", lambda a, b: a - b, lambda a, b: _np().subtract(a, b), lambda g, out, a, b: (g, -g))
binary("mul", lambda a, b: a * b, lambda a, b: _np().multiply(a, b), lambda g, out, a, b: (g * b, g * a))
binary("div", lambda a, b: a / b, lambda a, b: _np().true_divide(a, b),
       lambda g, out, a, b: (g / b, -g * out / b), domain=(0.5, 3.0), float_result=True)
def _nan_through(result, *xs):
    """NaN in, NaN out, as in NumPy: WGSL leaves max, min and pow of NaN undefined (lavapipe gives 0)."""
    if result.type not in ("f32", "f16"):
        return result
    nan_in = E.isnan(xs[0])
    for x in xs[1:]:
        nan_in = E.Expr("infix", "bool", (nan_in, E.isnan(x)), "||")
    total = xs[0]
    for x in xs[1:]:
        total = total + x
    return E.select(nan_in, total, result)


def _pow(a, b):
    # WGSL's pow is undefined for a < 0; NumPy's is defined when b is an integer: (-2) ** 3 = -8.
    r = E.call("pow", E.call("abs", a), b)
    t = a.type
    is_int = E.infix("==", E.call("floor", b), b)
    odd = E.infix("==", E.call("abs", b - E.const(2.0, t) * E.call("floor", b * E.const(0.5, t))), E.const(1.0, t))
    negative = E.select(is_int, E.select(odd, -r, r), E.const(float("nan"), t))
    return _nan_through(E.select(E.infix("<", a, E.const(0.0, t)), negative, r), a, b)


binary("pow", _pow, lambda a, b: _np().power(a, b),
       lambda g, out, a, b: (g * b * a ** (b - 1), g * out * a.log()), domain=(0.5, 2.0), tolerance=3e-4)
binary("maximum", lambda a, b: _nan_through(E.call("max", a, b), a, b), lambda a, b: _np().maximum(a, b),
       lambda g, out, a, b: (g * (a >= b), g * (a < b)))
binary("minimum", lambda a, b: _nan_through(E.call("min", a, b), a, b), lambda a, b: _np().minimum(a, b),
       lambda g, out, a, b: (g * (a <= b), g * (a > b)))
for _name, _sym, _np_name in (("eq", "==", "equal"), ("ne", "!=", "not_equal"), ("lt", "<", "less"),
                              ("le", "<=", "less_equal"), ("gt", ">", "greater"), ("ge", ">=", "greater_equal")):
    binary(_name, (lambda s: lambda a, b: E.infix(s, a, b))(_sym),
           (lambda n: lambda a, b: getattr(_np(), n)(a, b))(_np_name), None, result=bool_)


# ---- where, cast ------------------------------------------------------------------------------

def _where_infer(c: Meta, a: Meta, b: Meta, **_):
    shape = broadcast_shapes("where", c.shape, a.shape, b.shape)
    return Meta(shape, promote(a.dtype, b.dtype))


def _where_expr(c, a, b):
    t = a.type if a.type == b.type else "f32"
    return E.select(E.cast(c, "bool"), E.cast(a, t), E.cast(b, t))


def _where_sample(rng):
    (a, b), _ = _binary_sample(-3, 3)(rng)
    return [rng.random(a.shape) < 0.5, a, b], {}


register(Op("where", _where_infer, lambda c, a, b: _np().where(c, a, b),
            grad=lambda g, out, c, a, b: (None, g * c, g - g * c),
            expr=_where_expr, sample=_where_sample))


def _cast_infer(x: Meta, dtype=float32):
    return Meta(x.shape, as_dtype(dtype))


def _cast_expr(x, dtype=float32):
    d = as_dtype(dtype)
    return E.cast(x, d.value_type)


def _cast_reference(x, dtype=float32):
    return _np().asarray(x).astype(numpy_dtype(as_dtype(dtype)))


def _cast_sample(rng):
    x = (rng.uniform(-5, 5, size=(3, 4)) * 4).astype("float32")
    return [x], {"dtype": "int32"}


register(Op("cast", _cast_infer, _cast_reference,
            grad=lambda g, out, x, dtype=float32: (g.cast(x.dtype) if x.dtype.is_float else None,),
            expr=_cast_expr, sample=_cast_sample))
register(Op("copy", lambda x: x, lambda x: _np().array(x, copy=True), grad=lambda g, out, x: (g,),
            expr=lambda x: x, sample=_unary_sample(-3, 3)))


# ---- creation: elementwise with no inputs -------------------------------------------------------

def _full_infer(shape=(), value=0.0, dtype=float32):
    return Meta(tuple(shape), as_dtype(dtype))


register(Op("full", _full_infer,
            lambda shape=(), value=0.0, dtype=float32: _np().full(shape, value, dtype=_cast_reference(0, dtype).dtype),
            expr=lambda shape=(), value=0.0, dtype=float32: E.const(value, as_dtype(dtype).value_type),
            sample=lambda rng: ([], {"shape": (2, 3), "value": 1.5})))


def _arange_infer(start=0, step=1, n=0, dtype=float32):
    return Meta((int(n),), as_dtype(dtype))


def _arange_expr(start=0, step=1, n=0, dtype=float32):
    t = as_dtype(dtype).value_type
    if t == "i32":
        return E.const(start, t) + E.index() * E.const(step, t)
    return E.const(start, t) + E.cast(E.index(), t) * E.const(step, t)


register(Op("arange", _arange_infer,
            lambda start=0, step=1, n=0, dtype=float32: (start + _np().arange(n) * step).astype(_cast_reference(0, dtype).dtype),
            expr=_arange_expr, sample=lambda rng: ([], {"start": -2.0, "step": 0.5, "n": 9})))


def _eye_expr(n=1, m=1, dtype=float32):
    t = as_dtype(dtype).value_type
    i = E.index()
    diag = E.infix("==", E.Expr("infix", "i32", (i, E.const(m, "i32")), "/"), E.Expr("infix", "i32", (i, E.const(m, "i32")), "%"))
    return E.select(diag, E.const(1, t), E.const(0, t))


register(Op("eye", lambda n=1, m=1, dtype=float32: Meta((n, m), as_dtype(dtype)),
            lambda n=1, m=1, dtype=float32: _np().eye(n, m, dtype=_cast_reference(0, dtype).dtype),
            expr=_eye_expr, sample=lambda rng: ([], {"n": 3, "m": 5})))

