"""Graph mode: tracing, passes, lowering and replay give the eager results, with fewer dispatches."""
import numpy as np
import pytest

import webgrad as wg
from webgrad.graph import passes as P

from conftest import assert_close
from test_training import XOR_X, XOR_Y, make_mlp, sgd_step


def test_traced_training_follows_the_eager_loss_curve(gpu):
    x, y = wg.tensor(XOR_X, device=gpu), wg.tensor(XOR_Y, device=gpu)
    eager_params = make_mlp(gpu, seed=3)
    eager = [sgd_step(eager_params, x, y)[0].item() for _ in range(60)]
    params = make_mlp(gpu, seed=3)
    step = wg.function(lambda x, y: sgd_step(params, x, y)[0])
    traced = [step(x, y).item() for _ in range(60)]
    assert step.traces == 1
    assert_close(np.array(traced), np.array(eager), 1e-5, "loss curve")
    for p, q in zip(params, eager_params):
        assert_close(p.numpy(), q.numpy(), 1e-5, "parameters")
        assert p.grad is None


def test_traced_step_uses_fewer_dispatches(gpu):
    x, y = wg.tensor(XOR_X, device=gpu), wg.tensor(XOR_Y, device=gpu)
    params = make_mlp(gpu)
    before = gpu.stats()["dispatches"]
    sgd_step(params, x, y)
    eager = gpu.stats()["dispatches"] - before
    step = wg.function(lambda x, y: sgd_step(params, x, y)[0])
    step(x, y)
    before = gpu.stats()["dispatches"]
    step(x, y)
    traced = gpu.stats()["dispatches"] - before
    assert traced == step.plan.summary()["dispatches"]
    assert traced <= eager * 0.6, (traced, eager)
    summary = step.plan.summary()
    assert summary["temp_buffers"] < summary["temp_slots"], summary   # buffers shared by liveness


def _random_function(gpu):
    rng = np.random.default_rng(0)
    w = wg.tensor(rng.normal(size=(5, 4)).astype(np.float32), device=gpu)

    def f(a, b):
        h = (a @ w + 1.0).tanh()
        h2 = (a @ w + 1.0).tanh()              # a common subexpression
        c = wg.ones(4, device=gpu) * 2 + 1     # constants to fold
        dead = (a * 100).exp()                 # dead code   # noqa: F841
        z = (h * c + h2 * 0 + b * 1).sigmoid() - (-(-h))
        return z.sum(-1), (z.T @ z).reshape(-1)[::3] / 1.0
    return f, rng


@pytest.mark.parametrize("passes", [
    (P.eliminate_dead_code,), (P.eliminate_common_subexpressions,), (P.simplify,), (P.fold_constants,),
    (P.fuse_elementwise,), P.PIPELINE], ids=["dce", "cse", "simplify", "fold", "fuse", "all"])
def test_each_pass_keeps_the_results(gpu, passes):
    f, rng = _random_function(gpu)
    for trial in range(3):
        a = wg.tensor(rng.normal(size=(3, 5)).astype(np.float32), device=gpu)
        b = wg.tensor(rng.normal(size=(3, 4)).astype(np.float32), device=gpu)
        want = [t.numpy() for t in f(a, b)]
        traced = wg.graph.Function(f, passes=passes)
        got = [t.numpy() for t in traced(a, b)]
        for g, w in zip(got, want):
            assert_close(g, w, 1e-5, str([p.__name__ for p in passes]))


def test_passes_do_their_job(gpu):
    f, rng = _random_function(gpu)
    a = wg.tensor(rng.normal(size=(3, 5)).astype(np.float32), device=gpu)
    b = wg.tensor(rng.normal(size=(3, 4)).astype(np.float32), device=gpu)
    raw = wg.function(f, optimize=False)
    raw(a, b)
    opt = wg.function(f)
    opt(a, b)
    ops = lambda g: [n.op for n in g.nodes]
    assert "exp" not in ops(raw.graph)                         # dead code is never lowered
    assert ops(raw.graph).count("matmul") == 3 and ops(opt.graph).count("matmul") == 2   # CSE
    assert ops(raw.graph).count("neg") == 2 and "neg" not in ops(opt.graph)            # --h is h
    assert "full" in ops(raw.graph) and "full" not in ops(opt.graph)                   # folded
    assert opt.plan.summary()["dispatches"] < raw.plan.summary()["dispatches"] - 5
    assert any("fused" in k for k in opt.plan.summary()["kernels"])


def test_reading_a_value_while_tracing_names_the_line(gpu):
    @wg.function
    def f(x):
        if x.sum() > 0:       # data-dependent Python control flow
            return x
        return -x
    with pytest.raises(wg.TraceError, match=r"test_graph.py, line \d+.*if x.sum\(\) > 0.*eagerly"):
        f(wg.ones(3, device=gpu))


def test_retraces_on_new_shapes_and_dtypes_only(gpu):
    f = wg.function(lambda x: x * 2)
    f(wg.ones(3, device=gpu))
    f(wg.zeros(3, device=gpu))
    assert f.traces == 1
    assert f(wg.ones(2, 2, device=gpu)).tolist() == [[2.0, 2.0], [2.0, 2.0]]
    assert f(wg.tensor([1, 2], device=gpu)).tolist() == [2, 4]
    assert f.traces == 3


def test_pure_functions_trace(gpu):
    def step(params, x, y):
        w, b = params
        loss = ((x @ w + b - y) ** 2).mean()
        gw, gb = wg.grad(lambda w, b: ((x @ w + b - y) ** 2).mean(), argnums=(0, 1))(w, b)
        return loss, [w - 0.1 * gw, b - 0.1 * gb]
    rng = np.random.default_rng(1)
    x = wg.tensor(rng.normal(size=(8, 3)).astype(np.float32), device=gpu)
    y = wg.tensor(rng.normal(size=(8, 1)).astype(np.float32), device=gpu)
    params = [wg.zeros(3, 1, device=gpu), wg.zeros(1, device=gpu)]
    traced = wg.function(step)
    p_eager, p_traced = params, params
    for _ in range(5):
        le, p_eager = step(p_eager, x, y)
        lt, p_traced = traced(p_traced, x, y)
        assert_close(lt.numpy(), le.numpy(), 1e-5, "loss")
    assert traced.traces == 1
    assert_close(p_traced[0].numpy(), p_eager[0].numpy(), 1e-5, "w")


def test_random_numbers_change_between_calls(gpu):
    f = wg.function(lambda x: x + wg.rand(4, device=gpu))
    a, b = f(wg.zeros(4, device=gpu)).tolist(), f(wg.zeros(4, device=gpu)).tolist()
    assert a != b and f.traces == 1


def test_results_stay_valid_after_the_next_call(gpu):
    f = wg.function(lambda x: x * 3)
    first = f(wg.ones(2, device=gpu))
    f(wg.full((2,), 5.0, device=gpu))
    assert first.tolist() == [3.0, 3.0]


def test_graph_listing_and_json(gpu):
    w = wg.ones(2, 3, device=gpu, requires_grad=True)

    @wg.function
    def f(x):
        loss = (x @ w).tanh().sum()
        loss.backward()
        with wg.no_grad():
            w.assign(w - 0.5 * w.grad)
        w.grad = None
        return loss
    f(wg.ones(4, 2, device=gpu))
    text = str(f.graph)
    assert text.startswith("{ lambda in0:f32[4,2] ;") and "matmul" in text and "<-" in text
    import json
    data = json.loads(f.graph.to_json())
    assert {"nodes", "edges", "writes"} <= set(data)
    ops = {n["op"] for n in data["nodes"]}
    assert {"matmul", "tanh", "input", "capture"} <= ops
    assert any(n["group"] is not None for n in data["nodes"])
    ids = {n["id"] for n in data["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in data["edges"])


@pytest.mark.parametrize("n", [7, 5000])    # one pass, and chunks then a fold
def test_reductions_take_their_elementwise_tail(gpu, n):
    rng = np.random.default_rng(n)
    a = wg.tensor(rng.normal(size=(3, n)).astype(np.float32), device=gpu)
    bias = wg.tensor(rng.normal(size=(3,)).astype(np.float32), device=gpu)

    def f(x):
        m = x.mean(-1)                                 # sum, then a scale
        top = (x.max(-1, keepdims=True).reshape(3) - m).exp()
        with wg.no_grad():
            bias.assign(bias - 0.1 * x.min(-1))        # an update of a captured tensor, in place
        return m, top
    before = bias.numpy()
    want = [t.numpy() for t in f(a)]
    want_bias = bias.numpy()
    bias.assign(wg.tensor(before, device=gpu))
    traced = wg.function(f)
    got = [t.numpy() for t in traced(a)]
    for g_, w_ in zip(got, want):
        assert_close(g_, w_, 1e-5, "reduction with a tail")
    assert_close(bias.numpy(), want_bias, 1e-5, "bias updated in place")
    kernels = traced.plan.summary()["kernels"]
    assert sum(k.endswith("_fused") for k in kernels) == 2, kernels
    assert "write_back" not in kernels, kernels


@pytest.mark.parametrize("variant", ["blocked", "tiled", "naive"])
@pytest.mark.parametrize("shape", [(10, 2, 8), (2, 33, 20, 7)])      # (batch..., m, k, n): edges, a batch
def test_matmuls_take_their_elementwise_tail(gpu, variant, shape):
    """Bias add and activation after a matmul run in the matmul's kernel; so does an update of a
    captured weight by a matmul (a gradient), written in place."""
    *batch, m, k, n = shape
    rng = np.random.default_rng(m)
    x = wg.tensor(rng.normal(size=(*batch, m, k)).astype(np.float32), device=gpu)
    w = wg.tensor(rng.normal(size=(k, n)).astype(np.float32), device=gpu)
    b = wg.tensor(rng.normal(size=(n,)).astype(np.float32), device=gpu)
    g = wg.tensor(rng.normal(size=(*batch, m, n)).astype(np.float32), device=gpu)

    def f(x, g):
        h = (x @ w + b).tanh()
        with wg.no_grad():
            w.assign(w - 0.1 * (x.transpose(-1, -2) @ g).reshape(-1, k, n).sum(0) if batch else
                     w - 0.1 * (x.transpose(-1, -2) @ g))
        return h
    w0 = w.numpy()
    x64, g64 = x.numpy().astype(np.float64), g.numpy().astype(np.float64)
    want = np.tanh(x64 @ w0 + b.numpy())
    grad = np.swapaxes(x64, -1, -2) @ g64
    want_w = w0 - 0.1 * (grad.reshape(-1, k, n).sum(0) if batch else grad)
    gpu.force_variant("matmul", variant)
    try:
        traced = wg.function(f)
        got = traced(x, g).numpy()
    finally:
        gpu.force_variant("matmul", None)
    assert_close(got, want, 1e-4, f"tanh(x @ w + b), {variant}")
    assert_close(w.numpy(), want_w, 1e-4, f"w updated by a matmul, {variant}")
    kernels = traced.plan.summary()["kernels"]
    assert f"matmul_{variant}_fused" in kernels, kernels
    assert "tanh" not in " ".join(k for k in kernels if "matmul" not in k), kernels
    if not batch:      # the update is the second matmul's epilogue, written into w itself
        assert kernels == [f"matmul_{variant}_fused"] * 2, kernels


@pytest.mark.parametrize("single_kernel", [False, True], ids=["plan", "single_kernel"])
def test_gathers_and_their_gradients_take_their_elementwise_tail(gpu, single_kernel):
    """An embedding lookup's scaling runs in the gather's kernel, and the SGD update of the table runs
    in the kernel of its gradient (a scatter-add), written in place: in the plan and in one kernel,
    from the one fusion the two share."""
    rng = np.random.default_rng(3)
    table = wg.tensor(rng.normal(size=(6, 4)).astype(np.float32), device=gpu, requires_grad=True)
    idx = wg.tensor(np.array([[0, 5, 2], [2, 2, -1]], np.int32), device=gpu)
    t0 = table.numpy().astype(np.float64)

    def step(idx):
        h = table.gather(idx.reshape(-1), 0).reshape(2, 3, 4) * 2.0 + 1.0
        loss = (h * h).mean()
        loss.backward()
        with wg.no_grad():
            table.assign(table - 0.5 * table.grad)
            table.grad = None
        return h
    f = wg.function(step, single_kernel=single_kernel)
    got = f(idx).numpy()
    flat = idx.numpy().reshape(-1) % 6
    h = t0[flat] * 2.0 + 1.0
    grad = np.zeros_like(t0)
    np.add.at(grad, flat, 2.0 * 2.0 * h / h.size)
    assert_close(got, h.reshape(2, 3, 4), 1e-5, "gathered rows, scaled")
    assert_close(table.numpy(), t0 - 0.5 * grad, 1e-5, "table after one SGD step")
    if single_kernel:
        names = [u.name for u in f.plan.analysis.units]
        assert "gather+fused_mul_add" in names and any(n.startswith("scatter_add+") for n in names), names
    else:
        kernels = f.plan.summary()["kernels"]
        assert "gather_fused" in kernels and "scatter_add_fused" in kernels, kernels
        assert "sub" not in " ".join(k for k in kernels if "scatter_add" not in k), kernels


def test_adam_updates_run_in_the_kernels_of_their_gradients(gpu):
    """Each parameter's Adam update (moments and parameter, in place) is the epilogue of the matmul
    or the sum that computes its gradient: no kernel of the step is a bare matmul or reduction."""
    rng = np.random.default_rng(3)
    w = wg.tensor(rng.normal(size=(2, 8)).astype(np.float32), device=gpu, requires_grad=True)
    b = wg.tensor(np.zeros(8, np.float32), device=gpu, requires_grad=True)
    opt = wg.optimizers.Adam(0.01)
    x = wg.tensor(rng.normal(size=(10, 2)).astype(np.float32), device=gpu)

    def step(x):
        loss = (x @ w + b).tanh().square().mean()
        loss.backward()
        opt.apply([w.grad, b.grad], [w, b])
        w.grad = b.grad = None
        return loss
    f = wg.function(step)
    losses = [f(x).item() for _ in range(3)]
    assert losses[2] < losses[0]
    kernels = f.plan.summary()["kernels"]
    assert not [k for k in kernels if k in ("matmul_blocked", "matmul_tiled", "sum")], kernels
    assert "write_back" not in kernels, kernels


@pytest.mark.parametrize("n", [7, 5000])    # one pass, and chunks then a fold
def test_reductions_take_their_elementwise_head(gpu, n):
    """The elementwise ops whose one result a reduction alone reads run inside the reduction's
    kernel (its prologue), also with a tail after it, and in a single-kernel plan."""
    rng = np.random.default_rng(n)
    pred = rng.normal(size=(3, n)).astype(np.float32)
    y = rng.normal(size=(3, n)).astype(np.float32)
    s = rng.normal(size=(3,)).astype(np.float32)

    def f(p, y, s):
        mse = (p - y).square().mean()                     # a head and a tail: one kernel
        dot = (p * y.T.T).sum(-1) + s                     # through a view
        hits = (p > 0).float().max(-1)                    # a lone op over a bool
        return mse, dot, hits
    p64, y64 = pred.astype(np.float64), y.astype(np.float64)
    want = [((p64 - y64) ** 2).mean(), (p64 * y64).sum(-1) + s, (p64 > 0).max(-1).astype(np.float64)]
    args = [wg.tensor(a, device=gpu) for a in (pred, y, s)]
    traced = wg.function(f)
    for got, w in zip(traced(*args), want):
        assert_close(got.numpy(), w, 1e-4, "reduction of an expression")
    kernels = traced.plan.summary()["kernels"]
    assert sum("of_expression" in k for k in kernels) == 3, kernels
    assert not [k for k in kernels if k.startswith("fused_")], kernels
    if n == 7:
        one = wg.function(f, single_kernel=True)
        for got, w in zip(one(*args), want):
            assert_close(got.numpy(), w, 1e-4, "reduction of an expression, single kernel")
        assert one.plan.summary()["lowering"] == "single_kernel"


def test_in_place_updates_wait_for_whole_reads(gpu):
    """A tensor updated by the epilogue of a kernel that reads all of it (a sum, a matmul) is not
    written in place by that kernel: other invocations may still be reading it."""
    rng = np.random.default_rng(5)
    b0 = rng.normal(size=(300,)).astype(np.float32)
    w0 = rng.normal(size=(16, 16)).astype(np.float32) * 0.3
    b, w = wg.tensor(b0, device=gpu), wg.tensor(w0, device=gpu)

    def f():
        with wg.no_grad():
            b.assign(b - 0.01 * (b * b).sum())
            w.assign(w - 0.1 * (w.T @ w))
        return b.sum()
    wg.function(f)()
    b64, w64 = b0.astype(np.float64), w0.astype(np.float64)
    assert_close(b.numpy(), b64 - 0.01 * (b64 * b64).sum(), 1e-4, "b")
    assert_close(w.numpy(), w64 - 0.1 * (w64.T @ w64), 1e-4, "w")


def test_lowering_copies_views_for_kernels_that_read_contiguous_inputs(gpu):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    f = wg.function(lambda t: t.T.gather([2, 0], 0) + t[1:].T.pad(((0, 0), (0, 1)))[:2, :3])
    want = a.T[[2, 0]] + np.pad(a[1:].T, ((0, 0), (0, 1)))[:2, :3]
    assert f(wg.tensor(a, device=gpu)).tolist() == want.tolist()


@pytest.mark.parametrize("make", [lambda: wg.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                                  lambda: wg.optimizers.Adam(0.05),
                                  lambda: wg.optimizers.Adam(wg.optimizers.ExponentialDecay(0.05, 5, 0.5))],
                         ids=["sgd-nesterov", "adam", "adam-schedule"])
def test_optimizers_inside_a_traced_step_follow_eager(gpu, make):
    rng = np.random.default_rng(0)
    x = wg.tensor(rng.normal(size=(32, 2)).astype(np.float32), device=gpu)
    y = wg.tensor((rng.random((32, 1)) < 0.5).astype(np.float32), device=gpu)

    def losses(traced):
        wg.manual_seed(0)
        w1 = wg.randn(2, 16, device=gpu).requires_grad_()
        w2 = (wg.randn(16, 1, device=gpu) * 0.25).requires_grad_()
        opt = make()

        def step(x, y):
            loss = wg.binary_cross_entropy_with_logits((x @ w1).tanh() @ w2, y)
            loss.backward()
            opt.apply([w1.grad, w2.grad], [w1, w2])
            w1.grad = w2.grad = None
            return loss
        f = wg.function(step) if traced else step
        out = [f(x, y).item() for _ in range(12)]
        return out, opt.iterations
    (eager, n_eager), (traced, n_traced) = losses(False), losses(True)
    assert_close(np.array(traced), np.array(eager), 1e-5, "loss curve")
    assert n_eager == n_traced == 12


@pytest.mark.parametrize("make", [lambda: wg.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
                                  lambda: wg.optimizers.Adam(0.01, amsgrad=True),
                                  lambda: wg.optimizers.RMSprop(0.01, momentum=0.5, centered=True)],
                         ids=["sgd_nesterov", "adam_amsgrad", "rmsprop_centered"])
def test_fused_kernels_bind_at_most_eight_buffers(gpu, make):
    """WebGPU guarantees 8 storage buffers per shader stage (lavapipe allows 32, so only counting
    shows a kernel that a browser would reject): fusion around matmuls, reductions and in-place
    optimizer updates stays within 8."""
    rng = np.random.default_rng(1)
    dims = [3, 6, 5, 1]
    params = []
    for a, b in zip(dims, dims[1:]):
        params += [wg.tensor(rng.normal(size=(a, b)).astype(np.float32), device=gpu, requires_grad=True),
                   wg.tensor(np.zeros(b, np.float32), device=gpu, requires_grad=True)]
    opt = make()

    def step(x, y):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            h = h.tanh() if i + 2 < len(params) else h
        loss = ((h - y) ** 2).mean()
        loss.backward()
        opt.apply([p.grad for p in params], params)
        for p in params:
            p.grad = None
        return loss
    f = wg.function(step)
    x = wg.tensor(rng.normal(size=(7, 3)).astype(np.float32), device=gpu)
    y = wg.tensor(rng.normal(size=(7, 1)).astype(np.float32), device=gpu)
    losses = [f(x, y).item() for _ in range(4)]
    assert losses[-1] < losses[0]
    # storage buffers, as the browser's limit counts them (a shape-generic kernel's sizes are a uniform)
    assert max(k.source.count("var<storage") for k, _, _ in f.plan.steps) <= 8


def test_in_place_updates_reach_later_readers_through_views(gpu):
    """A tensor updated in place is read afterwards through a view (p.T) by a reduction's prologue
    and by a matmul: they read the updated tensor, not the temporary it replaced."""
    rng = np.random.default_rng(4)
    p0, q0, r0 = (rng.normal(size=s).astype(np.float32) for s in ((4, 4), (4,), (4, 4)))
    x = wg.tensor(rng.normal(size=(4, 4)).astype(np.float32), device=gpu)
    p, q, r = (wg.tensor(a, device=gpu) for a in (p0, q0, r0))

    def f(x):
        with wg.no_grad():
            p.assign(p - 0.1 * x)
            q.assign(q - 0.1 * (p.T * x).sum(0))
            r.assign(r - 0.1 * (p.T @ x))
        return x * 1
    wg.function(f)(x)
    x64 = x.numpy().astype(np.float64)
    pn = p0 - 0.1 * x64
    assert_close(p.numpy(), pn, 1e-5, "p")
    assert_close(q.numpy(), q0 - 0.1 * (pn.T * x64).sum(0), 1e-5, "q")
    assert_close(r.numpy(), r0 - 0.1 * (pn.T @ x64), 1e-5, "r")


def test_captures_that_are_views_count_as_their_own_bindings(gpu):
    """Only a captured tensor that is all of its buffer is updated in place; transposed or sliced
    captures are written back, so fusion counts their input and output bindings separately."""
    rng = np.random.default_rng(6)
    y = wg.tensor(rng.normal(size=(4, 4)).astype(np.float32), device=gpu)
    bases = [rng.normal(size=(4, 5)).astype(np.float32) for _ in range(4)]
    cs = [wg.tensor(b, device=gpu).T[1:].T for b in bases]          # b[:, 1:]: transposed twice, at an offset

    def f(y):
        g = y.tanh()
        with wg.no_grad():
            for k, c in enumerate(cs):
                c.assign(c - (0.1 * (k + 1)) * g)
        return y * 1
    traced = wg.function(f)
    traced(y)
    g = np.tanh(y.numpy().astype(np.float64))
    for k, (c, b) in enumerate(zip(cs, bases)):
        assert_close(c.numpy(), b[:, 1:] - 0.1 * (k + 1) * g, 1e-5, f"capture {k}")
    assert max(k.source.count("var<storage") for k, _, _ in traced.plan.steps) <= 8
