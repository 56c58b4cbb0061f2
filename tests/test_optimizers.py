"""Optimizers against NumPy transcriptions of Keras' update rules; schedules; clipping;
losses and metrics against NumPy."""
import math

import numpy as np
import pytest

import webgrad as wg
from webgrad import optimizers as O

from conftest import assert_close


def reference_steps(name, cfg, p, grads, lrs):
    """Keras 3's update rules in float64."""
    p = p.astype(np.float64).copy()
    s = {}
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        g = g.astype(np.float64)
        if name == "sgd":
            mom = cfg.get("momentum", 0.0)
            if not mom:
                p -= lr * g
            else:
                v = s.get("v", np.zeros_like(p))
                v = mom * v - lr * g
                s["v"] = v
                p = p + mom * v - lr * g if cfg.get("nesterov") else p + v
        elif name in ("adam", "adamw"):
            b1, b2, eps = 0.9, 0.999, 1e-7
            if name == "adamw":
                p -= lr * cfg["weight_decay"] * p
            m = s.get("m", np.zeros_like(p)) * b1 + (1 - b1) * g
            v = s.get("v", np.zeros_like(p)) * b2 + (1 - b2) * g * g
            s["m"], s["v"] = m, v
            if cfg.get("amsgrad"):
                s["vm"] = np.maximum(s.get("vm", np.zeros_like(p)), v)
                v = s["vm"]
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            p -= alpha * m / (np.sqrt(v) + eps)
        elif name == "rmsprop":
            rho, eps, mom = 0.9, 1e-7, cfg.get("momentum", 0.0)
            v = s.get("v", np.zeros_like(p)) * rho + (1 - rho) * g * g
            s["v"] = v
            denom = v
            if cfg.get("centered"):
                mg = s.get("mg", np.zeros_like(p)) * rho + (1 - rho) * g
                s["mg"] = mg
                denom = v - mg * mg
            inc = lr * g / np.sqrt(denom + eps)
            if mom:
                s["mom"] = s.get("mom", np.zeros_like(p)) * mom + inc
                inc = s["mom"]
            p -= inc
        elif name == "adagrad":
            acc = s.get("acc", np.full_like(p, 0.1)) + g * g
            s["acc"] = acc
            p -= lr * g / np.sqrt(acc + 1e-7)
    return p


CASES = [("sgd", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.9, "nesterov": True}),
         ("adam", {}), ("adam", {"amsgrad": True}), ("adamw", {"weight_decay": 0.01}),
         ("rmsprop", {}), ("rmsprop", {"momentum": 0.5, "centered": True}), ("adagrad", {})]


@pytest.mark.parametrize("name,cfg", CASES, ids=[f"{n}{c}" for n, c in CASES])
def test_update_rules_match_keras(gpu, name, cfg):
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 4)).astype("float32")
    grads = [rng.standard_normal((3, 4)).astype("float32") for _ in range(4)]
    opt = O.get(name).__class__(learning_rate=0.05, **cfg)
    p = wg.tensor(p0, device=gpu, requires_grad=True)
    for g in grads:
        opt.apply([wg.tensor(g, device=gpu)], [p])
    want = reference_steps(name, cfg, p0, grads, [0.05] * 4)
    assert_close(p.numpy(), want, 2e-5, f"{name} {cfg}")
    assert opt.iterations == 4


def test_eager_steps_compile_nothing_new(gpu):
    """Adam's step size changes every step; the values are uploaded, never baked into a new shader."""
    w = wg.tensor(np.ones((4, 3), np.float32), device=gpu, requires_grad=True)
    opt = O.Adam(learning_rate=O.ExponentialDecay(0.1, 1, 0.9))
    x = wg.tensor(np.arange(8, dtype=np.float32).reshape(2, 4), device=gpu)

    def step():
        loss = (x @ w).tanh().sum()
        loss.backward()
        opt.apply([w.grad], [w])
        w.grad = None
        return loss.item()
    for _ in range(3):
        step()
    before = gpu.stats()["pipelines"]
    losses = [step() for _ in range(20)]
    assert gpu.stats()["pipelines"] == before
    assert losses[-1] < losses[0]


def test_schedules_on_host_and_as_tensors(gpu):
    cases = [(O.ExponentialDecay(0.1, 10, 0.5), lambda s: 0.1 * 0.5 ** (s / 10)),
             (O.ExponentialDecay(0.1, 10, 0.5, staircase=True), lambda s: 0.1 * 0.5 ** (s // 10)),
             (O.CosineDecay(0.1, 20, alpha=0.1), lambda s: 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * min(s, 20) / 20)) + 0.1)),
             (O.StepDecay(0.1, 7, 0.5), lambda s: 0.1 * 0.5 ** (s // 7)),
             (O.PiecewiseConstantDecay([5, 15], [0.1, 0.05, 0.01]), lambda s: 0.1 if s <= 5 else 0.05 if s <= 15 else 0.01)]
    for schedule, want in cases:
        for step in (0, 3, 5, 10, 15, 19, 25):
            assert abs(schedule(step) - want(step)) < 1e-9, (schedule, step)
            traced = schedule(wg.tensor(float(step), device=gpu)).item()
            assert abs(traced - want(step)) < 1e-6, (schedule, step, traced)
    assert O.schedules.CosineDecay is O.CosineDecay


def test_schedule_drives_the_learning_rate(gpu):
    opt = O.SGD(O.StepDecay(1.0, step_size=2, factor=0.5))
    p = wg.tensor([0.0], device=gpu, requires_grad=True)
    for _ in range(4):
        opt.apply([wg.tensor([1.0], device=gpu)], [p])
    assert p.tolist() == [-(1.0 + 1.0 + 0.5 + 0.5)]


def test_gradient_clipping(gpu):
    g = np.array([3.0, 4.0], dtype="float32")          # norm 5
    for kwargs, want in (({"clipnorm": 1.0}, g / 5), ({"global_clipnorm": 2.5}, g / 5 * 2.5 / np.sqrt(2)),
                         ({"clipvalue": 3.5}, np.clip(g, -3.5, 3.5))):
        opt = O.SGD(1.0, **kwargs)
        p, q = wg.zeros(2, device=gpu, requires_grad=True), wg.zeros(2, device=gpu, requires_grad=True)
        opt.apply([wg.tensor(g, device=gpu), wg.tensor(g, device=gpu)], [p, q])
        assert_close(-p.numpy(), want, 1e-6, str(kwargs))
    with pytest.raises(ValueError, match="clipnorm .* or global_clipnorm"):
        O.SGD(clipnorm=1.0, global_clipnorm=1.0)


def test_sparse_cross_entropy_of_masked_logits_is_finite(gpu):
    # A logit of -inf (a masked class, as attention masks and Keras's `mask` produce) that is not the
    # label contributes nothing, as in Keras and PyTorch: 0, not 0 * -inf = nan.
    logits = wg.tensor([[0.0, float("-inf"), 1.0]], device=gpu, requires_grad=True)
    loss = wg.losses.SparseCategoricalCrossentropy(from_logits=True)(wg.tensor([2], device=gpu), logits)
    loss.backward()
    assert_close(loss.item(), np.log1p(np.exp(-1.0)), 1e-6, "loss")
    assert_close(logits.grad.numpy(), [[1 / (1 + np.e), 0.0, -1 / (1 + np.e)]], 1e-6, "grad")


def test_losses_match_numpy(gpu):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, 4)).astype("float32")
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4, dtype="float32")[labels]
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    probs = np.exp(logp)
    t = lambda a: wg.tensor(a, device=gpu)   # noqa: E731
    ce = -(onehot * logp).sum(-1).mean()
    assert_close(wg.losses.SparseCategoricalCrossentropy(from_logits=True)(t(labels), t(logits)).item(), ce, 1e-5, "scce logits")
    assert_close(wg.losses.SparseCategoricalCrossentropy()(t(labels[:, None]), t(probs)).item(), ce, 1e-4, "scce probs")
    assert_close(wg.losses.CategoricalCrossentropy(from_logits=True)(t(onehot), t(logits)).item(), ce, 1e-5, "cce")
    y = (rng.random((6, 1)) > 0.5).astype("float32")
    z = logits[:, :1]
    p = 1 / (1 + np.exp(-z))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean()
    assert_close(wg.losses.BinaryCrossentropy(from_logits=True)(t(y), t(z)).item(), bce, 1e-5, "bce logits")
    assert_close(wg.losses.BinaryCrossentropy()(t(y[:, 0]), t(p)).item(), bce, 1e-4, "bce probs, (N,) targets")
    assert_close(wg.losses.get("mse")(t(y), t(z)).item(), ((y - z) ** 2).mean(), 1e-5, "mse")
    assert_close(wg.losses.get("mae")(t(y), t(z)).item(), np.abs(y - z).mean(), 1e-5, "mae")
    d = np.abs(y - z)
    assert_close(wg.losses.Huber(1.0)(t(y), t(z)).item(), np.where(d < 1, 0.5 * d * d, d - 0.5).mean(), 1e-5, "huber")


def test_loss_shape_errors_say_what_to_use(gpu):
    logits = wg.zeros(4, 3, device=gpu)
    with pytest.raises(wg.ShapeError, match=r"integer labels should have shape \(4,\).*got \(4, 3\); for one-hot "
                                            r"targets use categorical_crossentropy"):
        wg.losses.get("sparse_categorical_crossentropy")(wg.zeros(4, 3, device=gpu), logits)
    with pytest.raises(wg.ShapeError, match="for integer class labels use sparse_categorical_crossentropy"):
        wg.losses.get("categorical_crossentropy")(wg.tensor([0, 1, 2, 0], device=gpu), logits)


def test_metrics_accumulate_over_batches(gpu):
    rng = np.random.default_rng(2)
    t = lambda a: wg.tensor(a, device=gpu)   # noqa: E731
    y = (rng.random(300) > 0.6).astype("float32")
    p = np.clip(0.35 * y + rng.random(300) * 0.65, 0, 1).astype("float32")
    auc, acc, mae = wg.metrics.AUC(), wg.metrics.BinaryAccuracy(), wg.metrics.MeanAbsoluteError()
    for lo in range(0, 300, 100):
        for m in (auc, acc, mae):
            m.update_state(t(y[lo:lo + 100, None]), t(p[lo:lo + 100, None]))
    pos, neg = p[y == 1], p[y == 0]
    exact_auc = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
    assert abs(auc.result() - exact_auc) < 2e-3
    assert abs(acc.result() - ((p > 0.5) == (y > 0.5)).mean()) < 1e-6
    assert abs(mae.result() - np.abs(p - y).mean()) < 1e-6
    acc.reset_state()
    assert acc.result() == 0.0
    sparse = wg.metrics.get("accuracy", wg.losses.get("sparse_categorical_crossentropy"))
    sparse.update_state(t([2, 0]), t([[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]))
    assert sparse.result() == 0.5
    pr, rc = wg.metrics.Precision(), wg.metrics.Recall()
    for m in (pr, rc):
        m.update_state(t(y), t(p))
    tp = ((p > 0.5) & (y > 0.5)).sum()
    assert abs(pr.result() - tp / (p > 0.5).sum()) < 1e-6
    assert abs(rc.result() - tp / (y > 0.5).sum()) < 1e-6
