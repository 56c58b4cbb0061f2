"""A person trains a small MLP on XOR in the console: eagerly, then traced with ``@wg.function``.

The script is plain webgrad, so the same text also runs on the desktop (wgpu-py) in this process:
the page's loss curve is checked against the desktop's as well as against its own traced run.
"""
from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

from .test_console import open_console, run
from .test_parity import assert_close

XOR_SCRIPT = """import time
import webgrad as wg

# XOR with a 2-8-1 MLP and hand-written SGD, on the page's WebGPU.
X = wg.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = wg.tensor([[0.0], [1.0], [1.0], [0.0]])

wg.manual_seed(0)
w1 = wg.randn(2, 8).requires_grad_()
b1 = wg.zeros(8, requires_grad=True)
w2 = (wg.randn(8, 1) * 8 ** -0.5).requires_grad_()
b2 = wg.zeros(1, requires_grad=True)
params = [w1, b1, w2, b2]

def forward(x):
    return (x @ w1 + b1).tanh() @ w2 + b2

def step(x, y, lr=0.5):
    loss = wg.binary_cross_entropy_with_logits(forward(x), y)
    loss.backward()
    with wg.no_grad():
        for p in params:
            p -= lr * p.grad
            p.grad = None
    return loss

start = time.perf_counter()
for i in range(501):
    loss = step(X, Y)
    if i % 50 == 0:
        print(f"step {i:3d}   loss {loss.item():.8f}")
print(f"500 steps in {time.perf_counter() - start:.1f} s")

p = forward(X).sigmoid()
errors = int(((p > 0.5).float() != Y).float().sum().item())
for (a, b), (q,), (y,) in zip(X.tolist(), p.tolist(), Y.tolist()):
    print(f"{a:.0f} xor {b:.0f} = {y:.0f}   predicted {q:.3f}")
print(f"errors: {errors} of 4")
"""

TRACE = "step = wg.function(step)   # traced on the first call, then replayed\n"
TRACED_SCRIPT = XOR_SCRIPT.replace("start = time.perf_counter()\n", TRACE + "start = time.perf_counter()\n") + \
    'print(f"traced {step.traces} time(s)")\n'

LOSS = re.compile(r"^step +(\d+) +loss ([0-9.]+)$", re.M)


def losses(out: str) -> np.ndarray:
    found = LOSS.findall(out)
    assert [int(s) for s, _ in found] == list(range(0, 501, 50)), f"not the 11 loss lines:\n{out}"
    return np.array([float(v) for _, v in found])


def run_on_desktop(script: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(script, "xor.py", "exec"), {"__name__": "__main__"})
    return out.getvalue()


@pytest.fixture(scope="module")
def trained(browser_context, server):
    """The console after the eager XOR script ran in it, and the output it showed."""
    page = browser_context.new_page()
    page.on("console", lambda m: print(f"[browser {m.type}] {m.text}"))
    open_console(page, server)
    out = run(page, XOR_SCRIPT)
    yield page, out
    page.close()


def test_mlp_learns_xor_in_the_console(trained, artifacts):
    page, out = trained
    assert "— done in" in out and "Traceback" not in out, out
    assert "errors: 0 of 4" in out, out
    curve = losses(out)
    assert curve[0] > 0.5 and curve[-1] < 0.05 and (np.diff(curve) < 0).all(), curve
    page.set_viewport_size({"width": 1280, "height": 1080})   # the whole script and output in view
    page.locator(".cm-scroller").evaluate("e => { e.scrollTop = 0; }")
    page.screenshot(path=str(artifacts / "console_xor.png"))

    desktop = losses(run_on_desktop(XOR_SCRIPT))   # the same script on wgpu-py: the same curve
    assert_close(curve, desktop, 1e-3, "XOR loss curve, browser vs desktop")
    print(out.strip().splitlines()[-7])


def test_traced_xor_follows_the_eager_loss_curve(trained):
    page, eager = trained
    out = run(page, TRACED_SCRIPT)
    assert "errors: 0 of 4" in out.split("— done in")[-2], out
    assert out.rstrip().splitlines()[-2] == "traced 1 time(s)", out
    traced = losses(out.split("— done in")[-2])
    assert_close(traced, losses(eager), 1e-5, "XOR loss curve, traced vs eager")
    print([l for l in out.splitlines() if l.startswith("500 steps in")])
