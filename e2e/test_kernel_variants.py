"""Every kernel variant on SwiftShader, not only the one the page's device picks.

A valid shader can compute wrong results on one adapter and raise nothing, so each matmul variant
and each single-kernel variant runs in the page and is checked: matmuls against NumPy on the inputs
the test sends, single-kernel training against the normal traced plan in the same page.
"""
from __future__ import annotations

import json

import numpy as np

from .test_console import open_console, run
from .test_parity import assert_close

MATMUL_CASES = [((1, 1), (1, 1), ""), ((37, 19), (19, 53), ""), ((130, 7), (7, 129), ""),
                ((30, 45), (30, 20), "a.T"), ((3, 33, 17), (17, 65), ""), ((2, 1, 5, 9), (3, 9, 4), ""),
                ((45, 20), (45, 20), "expand")]

MATMUL_SCRIPT = """import json
import webgrad as wg
dev = wg.default_device()
cases = json.loads(CASES)
out = {}
for variant in ("blocked", "tiled", "naive"):
    dev.force_variant("matmul", variant)
    results = []
    for a, b, how in cases:
        ta, tb = wg.tensor(a), wg.tensor(b)
        if how == "a.T":
            ta = ta.T
        if how == "expand":
            ta = ta[:1].expand(*ta.shape).T
        results.append((ta @ tb).tolist())
    out[variant] = results
dev.force_variant("matmul", None)
print("RESULT " + json.dumps(out))
"""

SINGLE_KERNEL_SCRIPT = """import json
import webgrad as wg
dev = wg.default_device()
K, B = 20, 10

def train(variant, h1, h2):
    wg.manual_seed(0)
    params = [wg.randn(2, h1).requires_grad_(), wg.zeros(h1, requires_grad=True),
              (wg.randn(h1, h2) * h1 ** -0.5).requires_grad_(), wg.zeros(h2, requires_grad=True),
              (wg.randn(h2, 1) * h2 ** -0.5).requires_grad_(), wg.zeros(1, requires_grad=True)]
    w1, b1, w2, b2, w3, b3 = params

    def step(x, y):
        loss = wg.binary_cross_entropy_with_logits(((x @ w1 + b1).tanh() @ w2 + b2).tanh() @ w3 + b3, y)
        loss.backward()
        with wg.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        return loss
    wg.manual_seed(1)
    xs = wg.randn(K, B, 2)
    ys = ((xs[..., :1] * xs[..., 1:]) > 0).float()
    if variant is None:                      # the normal traced plan, one call per step
        f = wg.function(step, single_kernel=False)
        losses = [f(xs[k], ys[k]).item() for k in range(K)]
        lowering = f.plan.summary()["lowering"]
    else:
        dev.force_variant("single_kernel", variant)
        f = wg.function(step, steps_per_execution=K, single_kernel=True)
        losses = f(xs, ys).tolist()
        summary = f.plan.summary()
        lowering = summary["lowering"] + ":" + str(summary.get("variant"))
        dev.force_variant("single_kernel", None)
    return {"losses": losses, "w1": w1.tolist(), "lowering": lowering}

# 2-8-8-1, and 2-6-5-1: matmul blocks of 5 rows by 6, 5 or 3 columns (blocks divide their matrix)
print("RESULT " + json.dumps({f"{h1}-{h2}": {v or "plan": train(v, h1, h2) for v in
                                            (None, "workgroup", "small_workgroup", "invocation")}
                              for h1, h2 in ((8, 8), (6, 5))}))
"""


def _result(text: str) -> dict:
    line = next(ln for ln in text.splitlines() if ln.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def test_every_matmul_variant_is_right_on_swiftshader(page, server):
    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=sa).astype(np.float32), rng.normal(size=sb).astype(np.float32), how)
             for sa, sb, how in MATMUL_CASES]
    payload = json.dumps([(a.tolist(), b.tolist(), how) for a, b, how in cases])
    open_console(page, server)
    text = run(page, f"CASES = {payload!r}\n" + MATMUL_SCRIPT)
    assert "Traceback" not in text, text
    got = _result(text)
    assert set(got) == {"blocked", "tiled", "naive"}
    for variant, results in got.items():
        for (a, b, how), r in zip(cases, results):
            a = a.astype(np.float64)
            if how == "a.T":
                a = a.T
            if how == "expand":
                a = np.broadcast_to(a[:1], a.shape).T
            assert_close(np.array(r), a @ b, 1e-4, f"{variant} {a.shape} @ {b.shape} {how}")


def test_every_single_kernel_variant_trains_like_the_plan_on_swiftshader(page, server):
    open_console(page, server)
    text = run(page, SINGLE_KERNEL_SCRIPT)
    assert "Traceback" not in text, text
    for widths, got in _result(text).items():
        plan = got.pop("plan")
        assert plan["lowering"] == "plan"
        for variant, r in got.items():
            assert r["lowering"] == f"single_kernel:{variant}", r["lowering"]
            assert_close(np.array(r["losses"]), np.array(plan["losses"]), 1e-4, f"2-{widths}-1 {variant} losses")
            assert_close(np.array(r["w1"]), np.array(plan["w1"]), 1e-4, f"2-{widths}-1 {variant} parameters")


SIN_COS_SCRIPT = """import json
import webgrad as wg
dev = wg.default_device()
x = wg.tensor(json.loads(X))
out = {}
for variant in ("workgroup", "small_workgroup", "invocation"):
    dev.force_variant("single_kernel", variant)
    f = wg.function(lambda t: (t.sin(), (t * 0.5).cos()), steps_per_execution=x.shape[0], single_kernel=True)
    s, c = f(x)
    out[variant] = {"sin": s.tolist(), "cos": c.tolist(), "lowering": f.plan.summary()["lowering"]}
dev.force_variant("single_kernel", None)
print("RESULT " + json.dumps(out))
"""


def test_single_kernel_sin_and_cos_are_precise_on_swiftshader(page, server):
    """SwiftShader's builtin sin and cos are off by 1.9e-4; every kernel shape, scalar or four
    lanes at a time, uses webgrad's own (about 1 ulp)."""
    x = np.random.default_rng(2).uniform(-60, 60, size=(3, 8, 16)).astype(np.float32)
    open_console(page, server)
    text = run(page, f"X = {json.dumps(x.tolist())!r}\n" + SIN_COS_SCRIPT)
    assert "Traceback" not in text, text
    x64 = x.astype(np.float64)
    for variant, r in _result(text).items():
        assert r["lowering"] == "single_kernel", variant
        assert np.abs(np.array(r["sin"]) - np.sin(x64)).max() < 2e-6, variant
        assert np.abs(np.array(r["cos"]) - np.cos(x64 * 0.5)).max() < 2e-6, variant


FUSED_SCRIPT = """import json
import webgrad as wg
dev = wg.default_device()
data = json.loads(DATA)
out = {}
for variant in ("blocked", "tiled", "naive"):
    dev.force_variant("matmul", variant)
    x, g, b = wg.tensor(data["x"]), wg.tensor(data["g"]), wg.tensor(data["b"])
    w = wg.tensor(data["w"])
    def f(x, g):
        h = (x @ w + b).tanh()                       # bias and activation in the matmul's kernel
        with wg.no_grad():
            w.assign(w - 0.1 * (x.T @ g))            # an update as the gradient matmul's epilogue
        return h
    traced = wg.function(f)
    h = traced(x, g)
    out[variant] = {"h": h.tolist(), "w": w.tolist(), "kernels": traced.plan.summary()["kernels"]}
dev.force_variant("matmul", None)
p, y = wg.tensor(data["p"]), wg.tensor(data["y"])
red = wg.function(lambda p, y: ((p - y).square().mean(), (p * y.T.T).sum(-1) * 2.0))
mse, dot = red(p, y)
out["reductions"] = {"mse": mse.item(), "dot": dot.tolist(), "kernels": red.plan.summary()["kernels"]}
print("RESULT " + json.dumps(out))
"""


def test_fused_kernels_are_right_on_swiftshader(page, server):
    """Matmul epilogues (each matmul variant, an in-place weight update among them) and reduction
    prologues (one pass, and a long reduction in two launches) against NumPy, in the page."""
    rng = np.random.default_rng(3)
    arrays = {"x": (10, 7), "g": (10, 9), "w": (7, 9), "b": (9,), "p": (3, 5000), "y": (3, 5000)}
    data = {k: rng.normal(size=s).astype(np.float32) for k, s in arrays.items()}
    open_console(page, server)
    text = run(page, f"DATA = {json.dumps({k: v.tolist() for k, v in data.items()})!r}\n" + FUSED_SCRIPT)
    assert "Traceback" not in text, text
    got = _result(text)
    d = {k: v.astype(np.float64) for k, v in data.items()}
    for variant in ("blocked", "tiled", "naive"):
        r = got[variant]
        assert r["kernels"] == [f"matmul_{variant}_fused"] * 2, r["kernels"]
        assert_close(np.array(r["h"]), np.tanh(d["x"] @ d["w"] + d["b"]), 1e-4, f"{variant} epilogue")
        assert_close(np.array(r["w"]), d["w"] - 0.1 * (d["x"].T @ d["g"]), 1e-4, f"{variant} in-place update")
    r = got["reductions"]
    assert sum("of_expression" in k for k in r["kernels"]) == 2, r["kernels"]     # then each one's fold
    assert not [k for k in r["kernels"] if k.startswith("fused_")], r["kernels"]
    assert_close(np.array(r["mse"]), ((d["p"] - d["y"]) ** 2).mean(), 1e-4, "mse prologue")
    assert_close(np.array(r["dot"]), (d["p"] * d["y"]).sum(-1) * 2, 1e-4, "dot prologue and tail")


TIERED_SCRIPT = """import json, time
import webgrad as wg
dev = wg.default_device()
a, b = wg.rand(64, 64), wg.rand(64, 64)
t = time.perf_counter()
first = (a @ b).tolist()                     # past the naive size: the variants are not compiled yet
first_ms = (time.perf_counter() - t) * 1e3

w = wg.rand(64, 64, requires_grad=True)
@wg.function
def step(x):
    loss = ((x @ w) * 0.01).tanh().sum()
    loss.backward()
    with wg.no_grad():
        w.assign(w - 0.1 * w.grad)
        w.grad = None
    return loss
before = [step(a).item()]
compiling = len(dev.background)       # the traced step's kernels (and the variants to time) queued
before.append(step(a).item())
kernels_before = step.plan.summary()["kernels"]
after = []
for _ in range(4):     # the variants are measured once they compile; then the chosen kernel compiles
    dev.finish_compiles()
    after.append(step(a).item())
    if not step.plan.provisional:
        break
print("RESULT " + json.dumps({"first": first, "first_ms": first_ms, "compiling": compiling,
                              "again": (a @ b).tolist(), "choices": dev.choices,
                              "kernels_before": kernels_before, "kernels_after": step.plan.summary()["kernels"],
                              "losses": before + after, "a": a.tolist(), "b": b.tolist()}))
"""


def test_a_matmul_runs_on_its_stand_in_while_its_kernel_compiles_in_the_background(page, server):
    # Tiered compiling: nobody waits seconds for SwiftShader to compile a blocked matmul; the naive
    # kernel (compiled in ~30 ms, one for all shapes) runs until the chosen one is ready.
    open_console(page, server)
    out = _result(run(page, TIERED_SCRIPT))
    a, b = np.array(out["a"], np.float32), np.array(out["b"], np.float32)
    assert_close(np.array(out["first"]), a @ b, 1e-5, "the stand-in's result")
    assert_close(np.array(out["again"]), a @ b, 1e-5, "the chosen kernel's result")
    assert out["compiling"] >= 1, out["compiling"]                 # they compile in the background
    assert out["choices"].get("matmul") in ("blocked", "tiled"), out["choices"]
    assert any(k.startswith("matmul_naive") for k in out["kernels_before"]), out["kernels_before"]
    assert not any(k.startswith("matmul_naive") for k in out["kernels_after"]), out["kernels_after"]
    losses = out["losses"]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0], losses   # the step trains across the swap
    print(f"first 64x64 matmul on its stand-in: {out['first_ms']:.0f} ms")


GATHER_SCRIPT = """import json
import webgrad as wg
out = {}
for single in (False, True):
    table = wg.tensor(TABLE, requires_grad=True)
    idx = wg.tensor(IDX, dtype="int32")
    def step(idx):
        h = table.gather(idx.reshape(-1), 0).reshape(2, 3, 4) * 2.0 + 1.0
        loss = (h * h).mean()
        loss.backward()
        with wg.no_grad():
            table.assign(table - 0.5 * table.grad)
            table.grad = None
        return wg.cat([h.reshape(6, 4), table], axis=0)
    f = wg.function(step, single_kernel=single)
    got = f(idx)
    out[str(single)] = {"got": got.tolist(), "lowering": f.plan.summary()["lowering"],
                        "kernels": f.plan.summary().get("kernels", [])}
print("RESULT " + json.dumps(out))
"""


def test_gather_scatter_and_cat_with_their_tails_are_right_on_swiftshader(page, server):
    """The gather and scatter-add kernels with the ops fused after them (the plan), and the gather,
    scatter-add and cat loops of one kernel, against NumPy in the page."""
    rng = np.random.default_rng(3)
    table = rng.normal(size=(6, 4)).astype(np.float32)
    idx = np.array([[0, 5, 2], [2, 2, -1]], np.int32)
    open_console(page, server)
    script = f"TABLE = {table.tolist()!r}\nIDX = {idx.tolist()!r}\n" + GATHER_SCRIPT
    text = run(page, script)
    assert "Traceback" not in text, text
    got = _result(text)
    t0, flat = table.astype(np.float64), idx.reshape(-1) % 6
    h = t0[flat] * 2.0 + 1.0
    grad = np.zeros_like(t0)
    np.add.at(grad, flat, 4.0 * h / h.size)
    want = np.concatenate([h, t0 - 0.5 * grad])
    plan, one = got["False"], got["True"]
    assert "gather_fused" in plan["kernels"] and "scatter_add_fused" in plan["kernels"], plan["kernels"]
    assert one["lowering"] == "single_kernel", one["lowering"]
    assert_close(np.array(plan["got"]), want, 1e-5, "plan: gather, scatter-add and their tails")
    assert_close(np.array(one["got"]), want, 1e-5, "one kernel: gather, scatter-add and cat loops")
