"""Single-kernel lowering: K steps in one dispatch give what K calls of the normal plan give.

Every variant is checked against the normal plan on lavapipe: past 65535 loop iterations per
dispatch lavapipe silently leaves its loops, so a kernel that is right for 5 steps can be wrong
for 100 (the lowering splits a call into dispatches that stay under that budget).
"""
import numpy as np
import pytest

import webgrad as wg
from webgrad.graph.single_kernel import SingleKernelPlan, measure_variants
from webgpu_kernels.single_kernel import VARIANTS

from conftest import assert_close

TOL = 1e-4


def make_mlp(gpu, hidden, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(2, hidden), (hidden,), (hidden, hidden), (hidden,), (hidden, 1), (1,)]
    scale = [1.0, 0.0, hidden ** -0.5, 0.0, hidden ** -0.5, 0.0]
    return [wg.tensor((rng.normal(size=s) * c).astype(np.float32), device=gpu, requires_grad=True)
            for s, c in zip(shapes, scale)]


def forward(params, x):
    w1, b1, w2, b2, w3, b3 = params
    return ((x @ w1 + b1).tanh() @ w2 + b2).tanh() @ w3 + b3


def sgd_step(params, lr=0.1):
    def step(x, y):
        loss = wg.binary_cross_entropy_with_logits(forward(params, x), y)
        loss.backward()
        with wg.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        return loss
    return step


def data(gpu, steps, batch, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(steps, batch, 2)).astype(np.float32)
    y = (x[..., :1] * x[..., 1:] > 0).astype(np.float32)
    return wg.tensor(x, device=gpu), wg.tensor(y, device=gpu)


@pytest.fixture
def variant(gpu, request):
    gpu.force_variant("single_kernel", request.param)
    yield request.param
    gpu.force_variant("single_kernel", None)


def run_both(gpu, make_step, hidden, batch, steps, params_of=None):
    """Losses and parameters after ``steps`` calls of the normal plan, and after one call of the
    single-kernel function with ``steps_per_execution=steps``."""
    xs, ys = data(gpu, steps, batch)
    ref_params = make_mlp(gpu, hidden)
    ref = wg.function(make_step(ref_params))
    ref_losses = [ref(xs[k], ys[k]).item() for k in range(steps)]
    assert ref.plan.summary()["lowering"] == "plan"
    params = make_mlp(gpu, hidden)
    fn = wg.function(make_step(params), steps_per_execution=steps)
    losses = fn(xs, ys)
    return ref_losses, ref_params, losses, params, fn


@pytest.mark.parametrize("variant", list(VARIANTS), indirect=True)
@pytest.mark.parametrize("hidden,batch", [(8, 10), (64, 32), (6, 10)])    # 6 by 10: ragged widths, whole blocks
def test_k_steps_in_one_call_match_k_calls_of_the_plan(gpu, variant, hidden, batch):
    ref_losses, ref_params, losses, params, fn = run_both(gpu, sgd_step, hidden, batch, 100)
    summary = fn.plan.summary()
    assert summary["lowering"] == "single_kernel" and summary["variant"] == variant, summary
    assert losses.shape == (100,)
    assert_close(losses.numpy(), np.array(ref_losses, np.float32), TOL, "losses")
    for p, q in zip(params, ref_params):
        assert_close(p.numpy(), q.numpy(), TOL, "parameters")
        assert p.grad is None
    if variant == "workgroup":
        assert summary["dispatches"] == 1, summary


def test_lavapipe_loop_budget_splits_the_call(gpu):
    """The one-invocation kernel of 2-64-64-1 loops ~12,000 times a step: on lavapipe a call of
    100 steps takes several dispatches, each under 65535 iterations."""
    gpu.force_variant("single_kernel", "invocation")
    try:
        xs, ys = data(gpu, 100, 32)
        fn = wg.function(sgd_step(make_mlp(gpu, 64)), steps_per_execution=100)
        fn(xs, ys)
    finally:
        gpu.force_variant("single_kernel", None)
    s = fn.plan.summary()
    if "llvmpipe" in gpu.name:
        assert s["dispatches"] > 1 and s["loop_trips_per_step"] * s["steps_per_dispatch"] < 65535, s


@pytest.mark.parametrize("variant", list(VARIANTS), indirect=True)
def test_momentum_optimizer_state_lives_in_the_arena(gpu, variant):
    if not hasattr(wg, "optimizers"):
        pytest.skip("no optimizers module")

    def make_step(params):
        opt = wg.optimizers.SGD(learning_rate=0.05, momentum=0.9)

        def step(x, y):
            loss = wg.binary_cross_entropy_with_logits(forward(params, x), y)
            loss.backward()
            opt.apply([p.grad for p in params], params)
            for p in params:
                p.grad = None
            return loss
        return step
    ref_losses, ref_params, losses, params, fn = run_both(gpu, make_step, 8, 10, 40)
    assert fn.plan.summary()["lowering"] == "single_kernel"
    assert_close(losses.numpy(), np.array(ref_losses, np.float32), TOL, "losses")
    for p, q in zip(params, ref_params):
        assert_close(p.numpy(), q.numpy(), TOL, "parameters")


def test_tiered_one_step_runs_the_plan_where_nothing_compiles_in_the_background(gpu):
    """single_kernel="tiered" asks for one kernel once it has compiled in the background; on the desktop,
    where a first call would wait for its compile (and its kernel shapes' timing), it is the plan."""
    params = make_mlp(gpu, 8)
    x = wg.tensor(np.random.default_rng(3).normal(size=(10, 2)).astype(np.float32), device=gpu)
    def f(x):
        return forward(params, x)
    tiered, plain = wg.function(f, single_kernel="tiered"), wg.function(f)
    assert_close(tiered(x).numpy(), plain(x).numpy(), TOL, "outputs")
    assert tiered.plan.summary()["lowering"] == "plan"
    with pytest.raises(ValueError, match="single_kernel must be None, True, False or 'tiered', got 'yes'"):
        wg.function(lambda x: x, single_kernel="yes")


def test_outputs_come_back_stacked(gpu):
    params = make_mlp(gpu, 8)
    inner = sgd_step(params)

    def step(x, y):
        logits = forward(params, x)
        return {"loss": inner(x, y), "logits": logits, "count": (logits > 0).int().sum(), "lr": 0.1}
    fn = wg.function(step, steps_per_execution=7)
    xs, ys = data(gpu, 7, 10)
    out = fn(xs, ys)
    assert fn.plan.summary()["lowering"] == "single_kernel"
    assert out["loss"].shape == (7,) and out["logits"].shape == (7, 10, 1) and out["count"].shape == (7,)
    assert out["count"].dtype == wg.int32 and out["lr"] == 0.1
    assert_close(out["count"].numpy(), (out["logits"].numpy() > 0).sum((1, 2)), 0, "count")
    with pytest.raises(ValueError, match="leading axis of 7"):
        fn(xs[0], ys[0])


def test_one_step_forced_and_grads_left_set(gpu):
    """single_kernel=True runs one unstacked step per call; .grad as the function leaves it."""
    ref_params, params = make_mlp(gpu, 8), make_mlp(gpu, 8)

    def make(ps):
        def step(x, y):
            for p in ps:
                p.grad = None
            loss = wg.binary_cross_entropy_with_logits(forward(ps, x), y)
            loss.backward()
            with wg.no_grad():
                ps[0] -= 0.1 * ps[0].grad      # only the first layer learns; grads stay set
            return loss
        return step
    ref, fn = wg.function(make(ref_params)), wg.function(make(params), single_kernel=True)
    xs, ys = data(gpu, 3, 10)
    for k in range(3):
        a, b = ref(xs[k], ys[k]), fn(xs[k], ys[k])
        assert b.shape == ()
        assert_close(b.numpy(), a.numpy(), TOL, "loss")
    assert fn.plan.summary()["lowering"] == "single_kernel"
    for p, q in zip(params, ref_params):
        assert_close(p.numpy(), q.numpy(), TOL, "parameters")
        assert_close(p.grad.numpy(), q.grad.numpy(), TOL, "gradients")


def test_softmax_cross_entropy_views_and_reductions(gpu):
    """one_hot, max/logsumexp, transposes, slices, broadcasting and a gather's gradient."""
    rng = np.random.default_rng(3)

    def make(seed):
        r = np.random.default_rng(seed)
        w = wg.tensor(r.normal(size=(4, 5)).astype(np.float32), device=gpu, requires_grad=True)
        table = wg.tensor(r.normal(size=(6, 4)).astype(np.float32), device=gpu, requires_grad=True)

        def step(ids, labels):
            h = table.gather(ids, 0)                                  # (8, 4) embedding lookup
            logits = (h @ w)[:, ::1] - h.T.sum(0).reshape(8, 1) * 0.1
            loss = wg.cross_entropy(logits, labels) + logits.max(-1).mean() * 0.01
            loss.backward()
            with wg.no_grad():
                for p in (w, table):
                    p -= 0.5 * p.grad
                    p.grad = None
            return loss, logits.argmax(-1)
        return step, (w, table)
    ids = wg.tensor(rng.integers(0, 6, size=(5, 8)).astype(np.int32), device=gpu)
    labels = wg.tensor(rng.integers(0, 5, size=(5, 8)).astype(np.int32), device=gpu)
    ref_step, ref_params = make(0)
    ref = wg.function(ref_step)
    want = [ref(ids[k], labels[k]) for k in range(5)]
    step, params = make(0)
    fn = wg.function(step, steps_per_execution=5)
    loss, arg = fn(ids, labels)
    assert fn.plan.summary()["lowering"] == "single_kernel", fn.plan.summary()
    assert_close(loss.numpy(), np.array([w[0].item() for w in want], np.float32), TOL, "loss")
    assert_close(arg.numpy(), np.stack([w[1].numpy() for w in want]), 0, "argmax")
    for p, q in zip(params, ref_params):
        assert_close(p.numpy(), q.numpy(), TOL, "parameters")


def test_not_eligible_falls_back_to_the_plan(gpu):
    w = wg.tensor(np.ones((3, 3), np.float32), device=gpu)

    def step(x):
        return (x @ w).pad(((1, 0), (0, 0)))
    fn = wg.function(step, steps_per_execution=4)
    x = wg.tensor(np.arange(24, dtype=np.float32).reshape(4, 2, 3), device=gpu)
    out = fn(x)
    s = fn.plan.summary()
    assert s["lowering"] == "plan" and "pad" in s["single_kernel"] and s["dispatches"] == 4 * s["dispatches_per_step"]
    want = np.stack([np.pad(x.numpy()[k] @ np.ones((3, 3)), ((1, 0), (0, 0))) for k in range(4)])
    assert_close(out.numpy(), want, 1e-6, "fallback")
    with pytest.warns(UserWarning, match="random"):
        drop = wg.function(lambda x: x * (wg.rand(2, 3, device=gpu) > 0.5), single_kernel=True)
        drop(x[0])
    assert drop.plan.summary()["lowering"] == "plan"


def test_parameters_stay_usable_outside_and_plans_mix(gpu):
    """Parameters live in the arena as views: eager code reads and updates them, and a normal
    plan that updates them in place runs between single-kernel calls."""
    params = make_mlp(gpu, 8, seed=5)
    ref_params = make_mlp(gpu, 8, seed=5)
    fn = wg.function(sgd_step(params), steps_per_execution=3)
    plan_fn = wg.function(sgd_step(params))
    ref = wg.function(sgd_step(ref_params))
    xs, ys = data(gpu, 3, 10)
    for rnd in range(2):
        fn(xs, ys)
        for k in range(3):
            ref(xs[k], ys[k])
        with wg.no_grad():                     # eager update: the tensor leaves the arena
            params[1] -= 0.25
            ref_params[1] -= 0.25
        plan_fn(xs[0], ys[0])                  # a plan that writes them in place
        ref(xs[0], ys[0])
    for p, q in zip(params, ref_params):
        assert_close(p.numpy(), q.numpy(), TOL, "parameters")
    assert fn.plan.summary()["lowering"] == "single_kernel" and fn.traces == 1


def test_variant_is_measured_checked_and_cached(gpu):
    params = make_mlp(gpu, 8, seed=7)
    fn = wg.function(sgd_step(params), steps_per_execution=20)
    xs, ys = data(gpu, 20, 10)
    fn(xs, ys)
    plan = fn.plan
    assert isinstance(plan, SingleKernelPlan)
    handles, _ = plan.bind([xs, ys], gpu.pool.alloc(4 * plan.out_elements).handle)
    choice = measure_variants(plan, handles)
    assert choice in plan.usable
    assert any(k.startswith("single_kernel:") and v == choice for k, v in gpu.choices.items())


def _kernel_zoo(gpu, seed):
    """Functions over odd shapes that walk the generated code's paths (vec4 and scalar reads,
    transposed and batched matmuls, reductions over several axes, ints and bools)."""
    r = np.random.default_rng(seed)
    f32 = lambda *s: wg.tensor(r.normal(size=s).astype(np.float32), device=gpu)
    a, b, c, v = f32(3, 5, 12), f32(12, 7), f32(2, 1, 8, 12), f32(5, 8)
    state = f32(5, 12)

    def matmuls(x):
        y = x @ b                                   # (3, 5, 12) @ (12, 7): scalar columns
        z = (c @ x.reshape(3, 12, 5)[:1].transpose(-1, -2).transpose(-1, -2))  # batched, broadcast
        t = x.transpose(-1, -2)[0] @ x[1]           # (12, 5) @ (5, 12): transposed a
        w = v.T @ x[2]                              # (8, 5) @ (5, 12)
        return y.relu(), z.tanh().sum((0, 2)), t * 0.5, (w @ w.T).sigmoid()

    def reductions(x):
        m = x.max(-1, keepdims=True)
        s = (x - m).exp().sum((0, 1))
        mn = x.min((0, 2))
        am = x.argmax(-1)
        cnt = (x > 0).sum(-1)
        return s, mn, am, cnt, (x.abs().mean() + 1).log(), x.sum(1).int() * 3

    def updates(x):
        with wg.no_grad():
            state.assign(state * 0.9 + x[0])               # elementwise, in place
            a.assign(a + x.reshape(3, 5, 12) * 0.01)
            v.assign((x[1][:, :8] + v.T.T) * 0.5)           # through views
        return state.sum(), a.mean()
    shapes = {"matmuls": (3, 5, 12), "reductions": (3, 5, 12), "updates": (3, 5, 12)}
    return {"matmuls": matmuls, "reductions": reductions, "updates": updates}, shapes


@pytest.mark.parametrize("variant", list(VARIANTS), indirect=True)
@pytest.mark.parametrize("name", ["matmuls", "reductions", "updates"])
def test_generated_code_paths_match_the_plan(gpu, variant, name):
    fns, shapes = _kernel_zoo(gpu, 0)
    ref_fns, _ = _kernel_zoo(gpu, 0)
    steps = 3
    xs = wg.tensor(np.random.default_rng(9).normal(size=(steps,) + shapes[name]).astype(np.float32), device=gpu)
    ref = wg.function(ref_fns[name])
    want = [ref(xs[k]) for k in range(steps)]
    fn = wg.function(fns[name], steps_per_execution=steps)
    got = fn(xs)
    assert fn.plan.summary()["lowering"] == "single_kernel", fn.plan.summary()
    for j, g in enumerate(got):
        w = np.stack([wk[j].numpy() for wk in want])
        assert_close(g.numpy(), w, 1e-4, f"{name} output {j}")
