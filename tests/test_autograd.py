"""Reverse-mode autodiff from the tape: backward, accumulation, broadcasting, grad(), no_grad()."""
import numpy as np
import pytest

import webgrad as wg

from conftest import assert_close


def test_gradients_accumulate_across_backward_calls(gpu):
    w = wg.tensor([1.0, 2.0], requires_grad=True, device=gpu)
    (w * 3).sum().backward()
    (w * w).sum().backward()
    assert w.grad.tolist() == [3.0 + 2.0, 3.0 + 4.0]


def test_a_tensor_used_twice_gets_both_contributions(gpu):
    x = wg.tensor(3.0, requires_grad=True, device=gpu)
    y = x * x + x.exp() * x
    y.backward()
    assert_close(x.grad.numpy(), 2 * 3 + np.exp(3) * (1 + 3), 1e-5)


def test_gradients_broadcast_back_to_input_shapes(gpu):
    x = wg.tensor(np.ones((4, 3), np.float32), requires_grad=True, device=gpu)
    b = wg.tensor([1.0, 2.0, 3.0], requires_grad=True, device=gpu)
    s = wg.tensor(2.0, requires_grad=True, device=gpu)
    ((x + b) * s).sum().backward()
    assert b.grad.shape == (3,) and b.grad.tolist() == [8.0, 8.0, 8.0]
    assert s.grad.shape == () and s.grad.item() == pytest.approx(4 * (3 + 6))
    assert x.grad.shape == (4, 3)


def test_grad_function_like_jax(gpu):
    f = lambda x: (x.sin() * x).sum()
    x = wg.tensor([0.5, 1.0, 2.0], device=gpu)
    a = np.array([0.5, 1.0, 2.0])
    assert_close(wg.grad(f)(x).numpy(), np.cos(a) * a + np.sin(a), 1e-5)
    gx, gy = wg.grad(lambda x, y: (x * y).sum(), argnums=(0, 1))(x, x * 2)
    assert gx.tolist() == (x * 2).tolist() and gy.tolist() == x.tolist()


def test_no_grad_records_nothing(gpu):
    w = wg.ones(3, requires_grad=True, device=gpu)
    with wg.no_grad():
        y = (w * 2).sum()
    assert not y.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_in_place_update_of_a_leaf_needs_no_grad(gpu):
    w = wg.ones(2, requires_grad=True, device=gpu)
    (w * w).sum().backward()
    with pytest.raises(RuntimeError, match="no_grad"):
        w -= 0.1 * w.grad
    with wg.no_grad():
        w -= 0.1 * w.grad
    assert w.tolist() == pytest.approx([0.8, 0.8]) and w.requires_grad


def test_backward_of_a_non_scalar_needs_its_gradient(gpu):
    x = wg.ones(2, 2, requires_grad=True, device=gpu)
    y = x * 3
    with pytest.raises(RuntimeError, match="pass the gradient"):
        y.backward()
    y.backward(wg.ones(2, 2, device=gpu))
    assert x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_integer_results_are_not_differentiable(gpu):
    x = wg.tensor([1.0, 2.0], requires_grad=True, device=gpu)
    assert not x.argmax().requires_grad and not (x > 1).requires_grad


def test_deep_chain_does_not_recurse(gpu):
    x = wg.tensor(1.0, requires_grad=True, device=gpu)
    y = x
    for _ in range(3000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
