"""The Tensor API as a user meets it: creation, reading back, operators, indexing, dtypes, errors."""
import math
from array import array

import numpy as np
import pytest

import webgrad as wg

from conftest import assert_close


def test_readme_example(gpu):
    x = wg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=gpu)
    y = (x @ x.T).relu().sum()
    y.backward()
    assert y.item() == 52.0
    assert x.grad.tolist() == [[8.0, 12.0], [8.0, 12.0]]
    assert "llvmpipe" in wg.default_device().name or "webgpu" in wg.default_device().name


def test_creation_from_lists_numpy_and_buffers(gpu):
    assert wg.tensor([[1, 2], [3, 4]], device=gpu).dtype is wg.int32
    assert wg.tensor([True, False], device=gpu).tolist() == [True, False]
    assert wg.tensor(2.5, device=gpu).shape == ()
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert wg.tensor(a, device=gpu).numpy().tolist() == a.tolist()
    from array import array
    assert wg.tensor(array("f", [1, 2, 3]), device=gpu).tolist() == [1.0, 2.0, 3.0]
    assert wg.tensor(memoryview(a), device=gpu).shape == (3, 4)
    with pytest.raises(ValueError, match="rectangular"):
        wg.tensor([[1, 2], [3]], device=gpu)


def test_factories(gpu):
    assert wg.zeros(2, 3, device=gpu).tolist() == [[0.0] * 3] * 2
    assert wg.ones((2,), device=gpu).tolist() == [1.0, 1.0]
    assert wg.full((2, 2), 7, device=gpu).tolist() == [[7, 7], [7, 7]]
    assert wg.arange(5, device=gpu).tolist() == [0, 1, 2, 3, 4]
    assert wg.arange(0.0, 1.0, 0.25, device=gpu).tolist() == [0.0, 0.25, 0.5, 0.75]
    assert wg.eye(2, 3, device=gpu).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert wg.linspace(0, 1, 5, device=gpu).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_random_is_the_same_on_every_device(gpu, ref):
    for fn in (lambda d: wg.rand(5, 7, device=d), lambda d: wg.randint(-3, 9, (64,), device=d)):
        wg.manual_seed(1234)
        a = fn(gpu).numpy()
        wg.manual_seed(1234)
        b = fn(ref).numpy()
        np.testing.assert_array_equal(a, b)     # bitwise: integer math only
    wg.manual_seed(7)
    n = wg.randn(4096, device=gpu).numpy()
    wg.manual_seed(7)
    assert_close(n, wg.randn(4096, device=ref).numpy(), 1e-4, "randn")
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    u = wg.rand(10000, device=gpu).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
    assert not np.array_equal(wg.rand(8, device=gpu).numpy(), wg.rand(8, device=gpu).numpy())


def test_operators_and_scalars(gpu):
    x = wg.tensor([1.0, 2.0, 3.0], device=gpu)
    assert (2 * x + 1).tolist() == [3.0, 5.0, 7.0]
    assert (1 / x).tolist() == pytest.approx([1.0, 0.5, 1 / 3])
    assert (x ** 2).tolist() == [1.0, 4.0, 9.0]
    n = wg.tensor([-2.0, -1.5, 0.0, 2.0], device=gpu)
    assert (n ** 2).tolist() == [4.0, 2.25, 0.0, 4.0] and (n ** 3).tolist() == pytest.approx([-8.0, -3.375, 0.0, 8.0])
    assert np.isnan((n ** 0.5).tolist()[0]) and (n ** 0.5).tolist()[3] == pytest.approx(2 ** 0.5)
    assert (-x).tolist() == [-1.0, -2.0, -3.0]
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert (~(x == 2.0)).tolist() == [True, False, True]
    i = wg.tensor([1, 2, 3], device=gpu)
    assert (i + 1).dtype is wg.int32 and (i * 0.5).dtype is wg.float32
    assert (i / 2).tolist() == [0.5, 1.0, 1.5]
    assert wg.where(x > 1.5, x, 0.0).tolist() == [0.0, 2.0, 3.0]


def test_indexing_and_slicing(gpu):
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    x = wg.tensor(a, device=gpu)
    for key in [0, -1, (1, 2), (slice(None), 1), (..., 2), (slice(1, None), slice(None, None, 2)),
                (None, 1), (slice(None, None, -1),), (1, slice(3, 0, -1), None, 4), ([2, 0, 2],),
                (slice(None), [1, 3])]:
        assert_close(x[key].numpy(), a[key], 0, str(key))
    with pytest.raises(IndexError, match="out of range"):
        x[3]
    with pytest.raises(IndexError, match="out of range"):
        x[[0, 5]]


def test_views_and_movement(gpu):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = wg.tensor(a, device=gpu)
    assert_close(x.reshape(4, -1).numpy(), a.reshape(4, -1), 0)
    assert_close(x.permute(2, 0, 1).numpy(), a.transpose(2, 0, 1), 0)
    assert_close(x.transpose(0, 2).reshape(-1).numpy(), a.transpose(2, 1, 0).reshape(-1), 0)
    assert_close(x[:, :1].expand(2, 3, 4).numpy(), np.broadcast_to(a[:, :1], (2, 3, 4)), 0)
    assert_close(x.flatten(1).numpy(), a.reshape(2, 12), 0)
    assert_close(x.unsqueeze(1).squeeze(1).numpy(), a, 0)
    assert_close(wg.cat([x, x * 2], axis=1).numpy(), np.concatenate([a, a * 2], 1), 0)
    assert_close(wg.stack([x, x], axis=-1).numpy(), np.stack([a, a], -1), 0)
    assert_close(x.pad(((0, 0), (1, 2))).numpy(), np.pad(a, ((0, 0), (1, 2), (0, 0))), 0)
    # A transposed view is copied before a reshape that needs it; the original is untouched.
    assert_close(x.T.reshape(4, 6).numpy(), a.T.reshape(4, 6), 0)
    assert_close(x.numpy(), a, 0)


def test_reductions(gpu):
    a = np.random.default_rng(0).normal(size=(3, 4, 5)).astype(np.float32)
    x = wg.tensor(a, device=gpu)
    assert_close(x.sum().numpy(), a.sum(), 1e-5)
    assert_close(x.mean((0, 2)).numpy(), a.mean((0, 2)), 1e-5)
    assert_close(x.max(1, keepdims=True).numpy(), a.max(1, keepdims=True), 0)
    assert x.argmax(-1).tolist() == a.argmax(-1).tolist()
    assert_close(x.var(1).numpy(), a.var(1), 1e-4)
    assert_close(x.std(correction=1).numpy(), a.std(ddof=1), 1e-4)
    big = np.random.default_rng(1).normal(size=100_000).astype(np.float32)   # two-stage reduction
    assert_close(wg.tensor(big, device=gpu).sum().numpy(), big.astype(np.float64).sum(), 1e-4)
    assert_close(wg.tensor(big, device=gpu).max().numpy(), big.max(), 0)


def test_composites_against_numpy(gpu):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 6)).astype(np.float32) * 3
    x = wg.tensor(a, device=gpu)
    e = np.exp(a - a.max(-1, keepdims=True))
    assert_close(wg.softmax(x).numpy(), e / e.sum(-1, keepdims=True), 1e-5)
    lse = np.log(np.exp(a).sum(-1))
    assert_close(wg.logsumexp(x, -1).numpy(), lse, 1e-5)
    assert_close(wg.log_softmax(x).numpy(), a - lse[:, None], 1e-5)
    labels = [0, 5, 2, 1]
    assert_close(wg.cross_entropy(x, labels).numpy(), np.mean(lse - a[range(4), labels]), 1e-5)
    ln = (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-5)
    assert_close(wg.layer_norm(x).numpy(), ln, 1e-4)
    gelu = 0.5 * a * (1 + np.vectorize(math.erf)(a / np.sqrt(2)))
    assert_close(wg.gelu(x).numpy(), gelu, 1e-5)
    assert_close(wg.silu(x).numpy(), a / (1 + np.exp(-a)), 1e-5)
    y = (rng.random((4, 6)) < 0.5).astype(np.float32)
    bce = np.maximum(a, 0) - a * y + np.log1p(np.exp(-np.abs(a)))
    assert_close(wg.binary_cross_entropy_with_logits(x, wg.tensor(y, device=gpu)).numpy(), bce.mean(), 1e-5)


def test_float16_where_the_adapter_has_it(gpu):
    assert gpu.has_f16, "lavapipe offers shader-f16; this test checks the f16 kernels run"
    x = wg.tensor([1.5, -2.25, 3.0], device=gpu).half()
    assert x.dtype is wg.float16
    y = (x * 2 + 1).relu()
    assert y.dtype is wg.float16 and y.tolist() == [4.0, 0.0, 7.0]
    assert (x.float() @ wg.ones(3, 1, device=gpu)).tolist() == [2.25]
    m = x.reshape(1, 3) @ wg.ones(3, 2, device=gpu).half()
    assert m.dtype is wg.float16 and m.tolist() == [[2.25, 2.25]]
    assert x.sum().dtype is wg.float16 and x.sum().item() == 2.25


def test_nan_is_not_swallowed(gpu):
    x = wg.tensor([1.0, float("nan"), 3.0], device=gpu)
    assert np.isnan(x.sum().item())
    assert np.isnan(x.max().item()) and np.isnan(x.min().item())
    assert x.argmax().item() == 1          # NumPy: the first NaN
    assert x.isnan().tolist() == [False, True, False]
    assert np.isnan((x * 0).numpy()[1])
    for f in (lambda t: t.relu(), lambda t: t ** 0.5, lambda t: t.maximum(0.0), lambda t: t.minimum(5.0),
              lambda t: t.exp(), lambda t: t.tanh(), lambda t: t.sigmoid(), lambda t: wg.softmax(t)):
        assert np.isnan(f(x).numpy()[1])


def test_errors_name_the_op_and_shapes(gpu):
    a, b = wg.ones(3, 4, device=gpu), wg.ones(5, device=gpu)
    with pytest.raises(wg.ShapeError, match=r"add: shapes \(3, 4\) and \(5,\) cannot broadcast"):
        a + b
    with pytest.raises(wg.ShapeError, match=r"matmul: \(3, 4\) @ \(3, 4\): inner dimensions 4 and 3 differ"):
        a @ a
    with pytest.raises(wg.ShapeError, match="reshape: cannot reshape"):
        a.reshape(5, 2)
    with pytest.raises(wg.ShapeError, match="log: needs a floating-point tensor"):
        wg.tensor([1, 2], device=gpu).log()
    with pytest.raises(wg.ShapeError, match="axis 3 is out of range"):
        a.sum(3)
    with pytest.raises(wg.ShapeError, match="different devices"):
        a + wg.ones(3, 4, device="numpy")


def test_errors_come_before_any_dispatch(gpu):
    a, b = wg.ones(2, 3, device=gpu), wg.ones(2, 3, device=gpu)
    before = gpu.stats()["dispatches"]
    with pytest.raises(wg.ShapeError):
        a @ b
    assert gpu.stats()["dispatches"] == before


def test_buffer_limit_is_named(gpu):
    limit = gpu.max_binding
    with pytest.raises(MemoryError, match=f"{limit:,}"):
        wg.zeros(limit // 4 + 1, device=gpu)


def test_compile_errors_show_the_wgsl_line(gpu):
    from webgpu_kernels.kernel import Kernel
    bad = Kernel("broken", "@compute @workgroup_size(1)\nfn main() {\n    let x = undefined_thing;\n}\n", (1, 1, 1), 0)
    with pytest.raises(wg.KernelCompileError) as e:
        gpu.dispatch(bad, [])
    assert "broken" in str(e.value) and "undefined_thing" in str(e.value) and ">    3 |" in str(e.value)


def test_numpy_device_fallback(ref):
    x = wg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, device=ref)
    y = (x @ x.T).relu().sum()
    y.backward()
    assert y.item() == 52.0 and x.grad.tolist() == [[8.0, 12.0], [8.0, 12.0]]


def test_devices_lists_the_adapter():
    names = wg.devices()
    assert names[0].startswith("webgpu:") and "numpy" in names


def test_index_kernels_read_views_as_the_view_says(gpu):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = wg.tensor(a, device=gpu)
    assert x.T.gather([1, 0], 0).tolist() == a.T[[1, 0]].tolist()
    assert x[1:].gather([0], 0).tolist() == a[1:][[0]].tolist()
    assert x.T.pad(((1, 0), (0, 0))).tolist() == np.pad(a.T, ((1, 0), (0, 0))).tolist()
    assert wg.tensor([[2, 0], [1, 1]], device=gpu).T.one_hot(3).tolist() == np.eye(3)[[[2, 1], [0, 1]]].tolist()


def test_a_tensor_dying_in_a_reference_cycle_leaves_the_pool_sound(gpu):
    import gc

    class Holder:
        pass
    h = Holder()
    h.me, h.t = h, wg.tensor([1.0] * 1000, device=gpu)
    del h
    gc.collect()
    assert (wg.ones(1000, device=gpu) * 3).sum().item() == 3000.0


def test_strided_views_read_back_without_a_copy_kernel(gpu):
    a = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    x = wg.tensor(a, device=gpu)
    before = gpu.stats()["dispatches"]
    for key in [np.s_[:, 1], np.s_[..., ::2], np.s_[1, :, 3], np.s_[::2]]:
        assert x[key].tolist() == a[key].tolist()
    assert x.T.tolist() == a.T.tolist() and x[:, :, 0].T.numpy().tolist() == a[:, :, 0].T.tolist()
    assert gpu.stats()["dispatches"] == before
    assert x[::-1].tolist() == a[::-1].tolist()          # negative strides take the copy kernel
    assert wg.tensor([True, False, True, True], device=gpu)[::2].tolist() == [True, True]


@pytest.mark.parametrize("n", [3, 2000])     # uploaded, and filled by a kernel
def test_full_rounds_and_rejects_like_numpy(gpu, n):
    assert wg.full((n,), 1e40, device=gpu).numpy()[-1] == np.float32(np.inf)
    assert wg.full((n,), -1e40, device=gpu).numpy()[0] == -np.float32(np.inf)
    assert wg.full((n,), 0.1, device=gpu).numpy()[0] == np.float32(0.1)
    with pytest.raises(ValueError, match="int32"):
        wg.full((n,), 2 ** 31, dtype="int32", device=gpu)


@pytest.mark.parametrize("make,error,message", [
    (lambda: wg.tensor("abc"), TypeError, r"tensor: got 'abc' \(a str\); tensor takes a number, nested lists"),
    (lambda: wg.tensor(None), TypeError, r"tensor: got None"),
    (lambda: wg.tensor({"a": 1}), TypeError, r"tensor: got \{'a': 1\} \(a dict\)"),
    (lambda: wg.tensor([[1.0, 2.0], [3.0, "x"]]), TypeError, r"tensor: element \[1, 1\] is 'x' \(a str\)"),
    (lambda: wg.tensor([1.0, None]), TypeError, r"tensor: element \[1\] is None"),
    (lambda: wg.tensor(2 + 1j), TypeError, r"tensor: got \(2\+1j\) \(a complex number; webgrad has no complex dtype\)"),
    (lambda: wg.tensor([[1, 2], [3]]), ValueError,
     r"tensor: nested lists must be rectangular, but item \[1\] has shape \(1,\) and item \[0\] has shape \(2,\)"),
    (lambda: wg.tensor([1, [2]]), ValueError, r"tensor: nested lists must be rectangular"),
    (lambda: wg.tensor([2 ** 40]), ValueError, r"tensor: 1099511627776 does not fit in int32 .*dtype=wg.float32"),
    (lambda: wg.tensor(np.array(["a", "b"])), TypeError, r"tensor: a NumPy array of dtype <U1; webgrad has"),
    (lambda: wg.tensor(b"abc"), ValueError, r"tensor: 3 bytes are not a whole number of float32 elements"),
    (lambda: wg.zeros(-1, 3), ValueError, r"zeros: size of axis 0 is -1; sizes must be 0 or more"),
    (lambda: wg.zeros(2.5), TypeError, r"zeros: size of axis 0 is 2.5 \(a float\); sizes are whole numbers, "
                                       r"as in zeros\(2, 3\) or zeros\(\(2, 3\)\)"),
    (lambda: wg.ones((2, "3")), TypeError, r"ones: size of axis 1 is '3' \(a str\)"),
    (lambda: wg.ones(True), TypeError, r"ones: size of axis 0 is True \(a bool\)"),
    (lambda: wg.zeros(10 ** 5, 10 ** 5), ValueError,
     r"zeros: shape \(100000, 100000\) has 10,000,000,000 elements; a tensor holds at most 2,147,483,647"),
    (lambda: wg.full((2, 2), "x"), TypeError, r"full: value is 'x' \(a str\); full takes numbers"),
    (lambda: wg.full(-3, 1.0), ValueError, r"full: size of axis 0 is -3"),
    (lambda: wg.arange(0, 10, 0), ValueError, r"arange: step is 0"),
    (lambda: wg.arange("a"), TypeError, r"arange: stop is 'a' \(a str\); arange takes numbers"),
    (lambda: wg.arange(10 ** 12), ValueError, r"arange: shape \(1000000000000,\) has 1,000,000,000,000 elements"),
    (lambda: wg.linspace(0, 1, -5), ValueError, r"linspace: num is -5; sizes must be 0 or more"),
    (lambda: wg.linspace(0, 1, 2.5), TypeError, r"linspace: num is 2.5 \(a float\)"),
    (lambda: wg.eye(-2), ValueError, r"eye: n is -2"),
    (lambda: wg.eye(3, 1.5), TypeError, r"eye: m is 1.5 \(a float\)"),
    (lambda: wg.rand(-1), ValueError, r"rand: size of axis 0 is -1"),
    (lambda: wg.randn(2, "a"), TypeError, r"randn: size of axis 1 is 'a' \(a str\)"),
    (lambda: wg.randint(0, 2 ** 40, (3,)), ValueError, r"randint: high is 1099511627776, outside int32's range"),
    (lambda: wg.randint(0, 1.5, (3,)), TypeError, r"randint: high is 1.5 \(a float\)"),
    (lambda: wg.randint(5, shape=(-2,)), ValueError, r"randint: size of axis 0 is -2"),
])
def test_constructors_name_what_they_were_given_and_what_they_take(gpu, make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_constructors_take_what_numpy_takes(gpu):
    assert wg.tensor([]).shape == (0,) and wg.tensor([[], []]).shape == (2, 0)
    assert wg.zeros(0, 3).shape == (0, 3) and wg.zeros(np.int64(2), 3).shape == (2, 3)
    assert wg.tensor([[np.float32(1.5), 2], [3, True]]).tolist() == [[1.5, 2.0], [3.0, 1.0]]
    assert wg.tensor([np.array([1, 2]), np.array([3, 4])], device=gpu).tolist() == [[1, 2], [3, 4]]
    assert wg.tensor(array("i", [1, 2, 3])).tolist() == [1, 2, 3]
    assert wg.tensor(memoryview(array("f", [0.5, 1.5])).cast("B")).tolist() == [0.5, 1.5]
    assert wg.tensor(bytes(array("i", [7, 8])), dtype=wg.int32).tolist() == [7, 8]
    assert wg.linspace(0, 1, 0).shape == (0,) and wg.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
