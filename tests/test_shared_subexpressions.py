"""Fused kernels are DAGs: a value several ops read is computed once, and a traced chain that
reuses its values (residuals, gates, normalizations) costs WGSL linear in its depth.

Before expressions were interned, every level of ``x = tanh(x * 1.01 + y) * 0.5 + sigmoid(x)``
doubled the expression tree: depth 7 took 109 s to trace on lavapipe, depth 10 never finished.
"""
import numpy as np
import pytest

import webgrad as wg
from webgpu_kernels.expr import load, render_body, substitute, topological

from conftest import assert_close


def test_equal_expressions_are_one_node():
    x, y = load(0, "f32"), load(1, "f32")
    assert (x * 2.0 + y) is (x * 2.0 + y)
    assert (x + 0.0) is not (x + -0.0)          # equal in Python, different constants in WGSL
    assert len({x + 1.0, x + 1.0, x + 2.0}) == 2


def _gated_chain(depth):
    """Each level reads the previous one three times."""
    x, y = load(0, "f32"), load(1, "f32")
    for _ in range(depth):
        x = (x * 1.01 + y) * 0.5 + x * x
    return x


@pytest.mark.parametrize("depth", [40, 400])
def test_a_deep_chain_renders_each_node_once(depth):
    e = _gated_chain(depth)
    nodes = topological([e])
    assert len(nodes) == 2 + 2 + 5 * depth          # two loads, two constants, five ops a level
    lets, text = render_body(e, ["a", "b"])
    assert len(lets) <= 2 * depth + 1
    total = sum(map(len, lets)) + len(text)
    assert total < 80 * depth                        # linear: the tree it unfolds to has 2**depth leaves
    # substitute keeps the sharing: the chain fed into itself is twice as deep, with twice the ops
    twice = substitute(e, [e, load(1, "f32")])
    assert len(topological([twice])) == len(nodes) + 5 * depth


def _chain(depth):
    def chain(x, y):
        for _ in range(depth):
            x = (x * 1.01 + y).tanh() * 0.5 + x.sigmoid()
        return (x * y).sum()
    return chain


def _wgsl_chars(fn) -> int:
    return sum(len(kernel.source) for kernel, _, _ in fn.plan.steps)


def test_traced_chain_with_reuse_equals_eager_and_grows_linearly(gpu):
    rng = np.random.default_rng(0)
    x = wg.tensor(rng.normal(size=4096).astype(np.float32), device=gpu)
    y = wg.tensor(rng.normal(size=4096).astype(np.float32), device=gpu)
    sizes = {}
    for depth in (5, 10, 40):
        eager = _chain(depth)(x, y).item()
        traced = wg.function(_chain(depth))
        assert_close(traced(x, y).item(), eager, 1e-5, f"depth {depth}")
        sizes[depth] = _wgsl_chars(traced)
    per_level = (sizes[10] - sizes[5]) / 5
    assert 0 < per_level < 1000, sizes
    assert sizes[40] <= sizes[10] + 30 * per_level * 1.1, sizes


def test_gradient_of_a_chain_with_reuse(gpu):
    """The backward pass reads every forward value again: the same DAG, traced and fused."""
    rng = np.random.default_rng(1)
    x0 = rng.normal(size=256).astype(np.float32)
    y = wg.tensor(rng.normal(size=256).astype(np.float32), device=gpu)

    def loss_and_grad(x):
        loss = _chain(20)(x, y)
        loss.backward()
        return loss, x.grad

    want = loss_and_grad(wg.tensor(x0, device=gpu, requires_grad=True))
    got = wg.function(loss_and_grad)(wg.tensor(x0, device=gpu, requires_grad=True))
    assert_close(got[0].numpy(), want[0].numpy(), 1e-5, "loss")
    assert_close(got[1].numpy(), want[1].numpy(), 1e-4, "gradient")


def _residual_mlp(gpu, depth=10, width=8, seed=0):
    rng = np.random.default_rng(seed)
    make = lambda *s, scale=1.0: wg.tensor((rng.normal(size=s) * scale).astype(np.float32), device=gpu,
                                            requires_grad=True)
    params = [make(2, width)]
    for _ in range(depth):
        params += [make(width, width, scale=0.3), make(width, scale=0.1)]
    params.append(make(width, 1, scale=0.3))
    return params


def _residual_step(params, lr=0.05):
    def step(x, y):
        h = x @ params[0]
        for k in range(1, len(params) - 1, 2):
            h = h + (h @ params[k] + params[k + 1]).tanh()        # a residual block
        loss = wg.binary_cross_entropy_with_logits(h @ params[-1], y)
        loss.backward()
        with wg.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        return loss
    return step


def test_single_kernel_step_of_a_residual_mlp_with_ten_hidden_layers(gpu):
    steps, batch = 20, 10
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(steps, batch, 2)).astype(np.float32)
    ys = (xs[..., :1] * xs[..., 1:] > 0).astype(np.float32)
    ref_params = _residual_mlp(gpu)
    ref = _residual_step(ref_params)                   # eager, one step at a time
    want = [ref(wg.tensor(xs[k], device=gpu), wg.tensor(ys[k], device=gpu)).item() for k in range(steps)]
    params = _residual_mlp(gpu)
    fn = wg.function(_residual_step(params), steps_per_execution=steps)
    losses = fn(wg.tensor(xs, device=gpu), wg.tensor(ys, device=gpu))
    assert fn.plan.summary()["lowering"] == "single_kernel", fn.plan.summary()
    assert_close(losses.numpy(), np.array(want, np.float32), 1e-4, "losses")
    for p, q in zip(params, ref_params):
        assert_close(p.numpy(), q.numpy(), 1e-4, "parameters")
