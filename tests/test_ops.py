"""Every registered op on the WebGPU device against its NumPy reference, and every gradient
against finite differences. A new op is covered by registering it with a `sample`."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import webgrad as wg
from webgrad.ops import OPS
from webgrad.ops.registry import Meta
from webgrad.tensor import apply

from conftest import assert_close, to

SEEDS = range(6)


def run(op, device, arrays, attrs):
    return apply(op, *to(device, arrays), device=device, **attrs) if arrays else \
        apply(op, device=device, **attrs)


def test_every_op_has_a_reference_and_a_sample():
    for name, op in OPS.items():
        assert op.sample is not None, f"op {name} has no sample inputs, so no test covers it"
        assert op.expr or op.view or op.kernel, f"op {name} has no way to run on WebGPU"


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("seed", SEEDS)
def test_op_matches_reference(gpu, name, seed):
    op = OPS[name]
    arrays, attrs = op.sample(np.random.default_rng(seed))
    want = np.asarray(op.reference(*arrays, **attrs))
    got = run(op, gpu, arrays, attrs)
    meta = op.infer(*(Meta(a.shape, wg.dtypes.as_dtype(a.dtype)) for a in arrays), **attrs)
    assert got.shape == meta.shape == want.shape
    assert_close(got.numpy(), want, op.tolerance, f"{name} seed {seed}")


def _fd_gradient(op, arrays, attrs, i, weights, eps=1e-4):
    """d sum(weights * op(...)) / d arrays[i], by central differences in float64."""
    xs = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    g = np.zeros_like(xs[i])
    flat = g.reshape(-1)
    for j in range(flat.size):
        for sign in (1, -1):
            xj = [x.copy() for x in xs]
            xj[i].reshape(-1)[j] += sign * eps
            flat[j] += sign * float((weights * op.reference(*xj, **attrs)).sum()) / (2 * eps)
    return g


DIFFERENTIABLE = sorted(n for n, op in OPS.items() if op.grad is not None)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
@pytest.mark.parametrize("seed", range(3))
def test_gradient_matches_finite_differences(gpu, name, seed):
    op = OPS[name]
    rng = np.random.default_rng(100 + seed)
    arrays, attrs = op.sample(rng)
    xs = [wg.tensor(a, device=gpu, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = apply(op, *xs, **attrs)
    if not out.dtype.is_float:   # integer and bool results carry no gradient
        assert not out.requires_grad
        return
    weights = rng.uniform(-1, 1, size=out.shape).astype("float32")
    (out * wg.tensor(weights, device=gpu)).sum().backward()
    for i, (a, x) in enumerate(zip(arrays, xs)):
        if a.dtype.kind != "f":
            continue
        want = _fd_gradient(op, arrays, attrs, i, weights.astype(np.float64))
        assert x.grad is not None, f"{name}: no gradient reached input {i}"
        assert_close(x.grad.numpy(), want, op.tolerance, f"d {name} / d input {i}")


BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "lt", "ge", "eq"]


@pytest.mark.parametrize("name", BINARY)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4))
def test_binary_broadcasting(gpu, name, shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.uniform(0.5, 2.0, size=s).astype("float32") for s in shapes.input_shapes)
    op = OPS[name]
    got = apply(op, *to(gpu, [a, b]))
    assert got.shape == shapes.result_shape
    assert_close(got.numpy(), op.reference(a, b), 3e-4, f"{name}{shapes.input_shapes}")


@pytest.mark.parametrize("name", sorted(OPS))
def test_numpy_device_runs_every_op(ref, name):
    op = OPS[name]
    arrays, attrs = op.sample(np.random.default_rng(0))
    got = run(op, ref, arrays, attrs)
    assert_close(got.numpy(), np.asarray(op.reference(*arrays, **attrs)), 1e-6, name)


ONE_KERNEL = sorted(n for n, op in OPS.items() if op.expr or op.view or op.loop)


@pytest.mark.parametrize("name", ONE_KERNEL)
def test_op_matches_reference_inside_one_kernel(gpu, name):
    """Every op with a single-kernel form (its ``expr``, ``view`` or ``loop``: declared once, beside
    its kernel) gives its reference inside a traced step compiled to one kernel."""
    op = OPS[name]
    for seed in range(3):
        arrays, attrs = op.sample(np.random.default_rng(seed))
        want = np.asarray(op.reference(*arrays, **attrs))
        fn = wg.function(lambda *xs: apply(op, *xs, device=gpu, **attrs), single_kernel=True)
        got = fn(*to(gpu, arrays))
        assert fn.plan.summary()["lowering"] == "single_kernel", fn.plan.summary()
        assert_close(got.numpy(), want, op.tolerance, f"{name} seed {seed}")
