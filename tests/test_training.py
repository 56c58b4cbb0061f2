"""Training with the plain tensor API: an MLP learns XOR; the buffer pool stays flat."""
import numpy as np

import webgrad as wg

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [[0.0], [1.0], [1.0], [0.0]]


def make_mlp(device, hidden=8, seed=0):
    wg.manual_seed(seed)
    w1 = (wg.randn(2, hidden, device=device) * 1.0).requires_grad_()
    b1 = wg.zeros(hidden, device=device, requires_grad=True)
    w2 = (wg.randn(hidden, 1, device=device) * (1 / hidden ** 0.5)).requires_grad_()
    b2 = wg.zeros(1, device=device, requires_grad=True)
    return [w1, b1, w2, b2]


def sgd_step(params, x, y, lr=0.5):
    w1, b1, w2, b2 = params
    logits = (x @ w1 + b1).tanh() @ w2 + b2
    loss = wg.binary_cross_entropy_with_logits(logits, y)
    loss.backward()
    with wg.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss, logits


def test_mlp_learns_xor_to_zero_errors(gpu):
    x, y = wg.tensor(XOR_X, device=gpu), wg.tensor(XOR_Y, device=gpu)
    params = make_mlp(gpu)
    losses = []
    for step in range(500):
        loss, logits = sgd_step(params, x, y)
        if step % 50 == 0:
            losses.append(loss.item())
    predictions = (logits > 0).float().numpy()
    errors = int((predictions != np.array(XOR_Y)).sum())
    assert errors == 0, f"{errors} XOR errors after 500 steps; losses {losses}"
    assert loss.item() < 0.05, f"final loss {loss.item()}"
    assert losses[0] > 0.5


def test_eager_training_holds_pool_memory_flat(gpu):
    x, y = wg.tensor(XOR_X, device=gpu), wg.tensor(XOR_Y, device=gpu)
    params = make_mlp(gpu, seed=1)
    for _ in range(200):                      # warm up: the pool reaches its working set
        sgd_step(params, x, y)
    gpu.synchronize()
    warm = gpu.stats()
    for _ in range(10_000):
        sgd_step(params, x, y)
    gpu.synchronize()
    after = gpu.stats()
    assert after["buffers_created"] == warm["buffers_created"], (warm, after)
    assert after["bytes_created"] == warm["bytes_created"]
    assert after["live_bytes"] <= warm["live_bytes"]
