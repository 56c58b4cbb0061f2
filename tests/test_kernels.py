"""Each kernel variant against NumPy on this adapter: a valid shader can compute wrong results
on one adapter and raise nothing, so every variant is checked, not only the one the device picks."""
import numpy as np
import pytest

import webgrad as wg
from webgpu_kernels.matmul import VARIANTS

from conftest import assert_close

CASES = [((1, 1), (1, 1)), ((37, 19), (19, 53)), ((64, 64), (64, 64)), ((130, 7), (7, 129)),
         ((3, 33, 17), (17, 65)), ((2, 1, 5, 9), (3, 9, 4)), ((4, 70, 66), (4, 66, 3))]


@pytest.fixture(params=VARIANTS + ("naive",))
def matmul_variant(request, gpu):
    gpu.force_variant("matmul", request.param)
    yield request.param
    gpu.force_variant("matmul", None)


@pytest.mark.parametrize("sa,sb", CASES)
def test_matmul_variant_matches_numpy(gpu, matmul_variant, sa, sb):
    rng = np.random.default_rng(sum(sa) + sum(sb))
    a, b = rng.normal(size=sa).astype(np.float32), rng.normal(size=sb).astype(np.float32)
    got = wg.tensor(a, device=gpu) @ wg.tensor(b, device=gpu)
    assert_close(got.numpy(), a.astype(np.float64) @ b, 1e-4, f"{matmul_variant} {sa} @ {sb}")


def test_matmul_variant_reads_strided_views(gpu, matmul_variant):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(45, 30)).astype(np.float32), rng.normal(size=(45, 20)).astype(np.float32)
    ta, tb = wg.tensor(a, device=gpu), wg.tensor(b, device=gpu)
    assert_close((ta.T @ tb).numpy(), a.T.astype(np.float64) @ b, 1e-4, "a.T @ b")
    g = wg.tensor(rng.normal(size=(1, 20)).astype(np.float32), device=gpu)   # stride 0 along rows
    assert_close((g.expand(45, 20).T @ ta).numpy(), np.broadcast_to(g.numpy(), (45, 20)).T.astype(np.float64) @ a,
                 1e-4, "expanded (stride-0) operand")
    assert_close((ta @ wg.ones(1, 1, device=gpu).expand(30, 7)).numpy(), a.astype(np.float64) @ np.ones((30, 7)),
                 1e-4, "expanded right operand")
    assert_close((tb[::2].T @ ta[::2][:, 1:]).numpy(), b[::2].T.astype(np.float64) @ a[::2][:, 1:], 1e-4, "slices")


def test_matmul_variant_in_half_precision(gpu, matmul_variant):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(20, 36)).astype(np.float16), rng.normal(size=(36, 12)).astype(np.float16)
    got = (wg.tensor(a, device=gpu) @ wg.tensor(b, device=gpu)).numpy()
    assert got.dtype == np.float16
    assert_close(got.astype(np.float32), a.astype(np.float64) @ b.astype(np.float64), 2e-2, "f16")


def test_the_device_measured_and_kept_a_variant(gpu):
    (wg.ones(64, 64, device=gpu) @ wg.ones(64, 64, device=gpu)).numpy()
    assert gpu.choices.get("matmul") in VARIANTS


def _matmul_kernel(gpu, sa, sb):
    from webgrad.devices.gpu import GPUArray
    from webgpu_kernels.view import View
    ins = [GPUArray(None, View.contiguous(s), wg.float32) for s in (sa, sb)]
    (launch,) = gpu.launches_for(wg.OPS["matmul"], ins, {}, sa[:-1] + sb[-1:], wg.float32)
    return launch.kernel.name


def test_small_matmuls_take_the_kernel_that_compiles_fastest(gpu):
    """A Playground-size matmul costs its compile, not its arithmetic: SwiftShader compiles the
    blocked kernel in about a second and the naive one in 30 ms, so small problems take naive."""
    assert _matmul_kernel(gpu, (10, 8), (8, 8)) == "matmul_naive"
    assert _matmul_kernel(gpu, (2, 30, 8), (8, 8)) == "matmul_naive"
    assert _matmul_kernel(gpu, (32, 64), (64, 64)) == f"matmul_{gpu.variant(wg.OPS['matmul'])}"
    gpu.force_variant("matmul", "blocked")        # a forced variant (the variant tests) wins at any size
    try:
        assert _matmul_kernel(gpu, (10, 8), (8, 8)) == "matmul_blocked"
    finally:
        gpu.force_variant("matmul", None)


@pytest.mark.parametrize("n_out,n_in", [(1, 100_000), (3, 5000), (300, 3000), (7, 1)])
def test_reduction_paths(gpu, n_out, n_in):
    """Short and long reductions take different launch plans (one pass, or chunks then a fold)."""
    a = np.random.default_rng(n_in).normal(size=(n_out, n_in)).astype(np.float32)
    x = wg.tensor(a, device=gpu)
    assert_close(x.sum(1).numpy(), a.astype(np.float64).sum(1), 1e-4, "sum")
    assert_close(x.max(1).numpy(), a.max(1), 0, "max")
    assert_close(x.min(0).numpy(), a.min(0), 0, "min over the first axis")
    assert x.argmax(1).tolist() == a.argmax(1).tolist()


def test_large_elementwise_uses_a_second_grid_dimension(gpu):
    n = 65535 * 256 + 1000          # more workgroups than one dimension allows
    x = wg.ones(n, device=gpu) * 2
    assert x.sum().item() == 2 * n


def test_one_random_kernel_draws_any_number_of_values(gpu):
    """The count travels in the params buffer, not the source: a new layer width compiles nothing."""
    from webgpu_kernels.random import random_launches
    source = lambda n: random_launches("normal", n, "f32")[0].kernel.source
    assert source(3) == source(1000) == source(7 * 9)
    before = len(gpu.pipelines)
    for shape in ((3,), (1000,), (7, 9)):
        wg.randn(*shape, device=gpu).numpy()
    assert len(gpu.pipelines) - before <= 1
    draw = lambda n: wg.rand(n, device=gpu, generator=wg.random.Generator(3)).tolist()
    assert draw(9)[:5] == draw(5)                 # the same stream, whatever the count


def test_eager_ops_of_a_new_size_compile_nothing(gpu):
    """Small eager matmuls, whole-tensor elementwise ops and random draws take their sizes from
    constant buffers: a new inner width reuses every pipeline, and the results stay right."""
    def run(k):
        rng = np.random.default_rng(k)
        a, b = rng.normal(size=(10, k)).astype(np.float32), rng.normal(size=(k, 8)).astype(np.float32)
        got = (wg.tensor(a, device=gpu) @ wg.tensor(b, device=gpu)).tanh() * 2.0 + 1.0
        assert_close(got.numpy(), np.tanh(a.astype(np.float64) @ b) * 2 + 1, 1e-4, f"width {k}")
        wg.rand(10, k, device=gpu).numpy()
    run(7)
    before = len(gpu.pipelines)
    run(9)
    run(12)
    assert len(gpu.pipelines) == before
