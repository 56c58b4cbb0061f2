"""A person types a Keras-style training script into the console and reads its test accuracy.

The Playground's circle (issue 4: >= 98 % test accuracy) with the recipe of
tests/test_convergence.py: two hidden layers of 8 tanh units, Adam(0.03), 20 epochs of batches
of 25. The script needs no NumPy (Pyodide has none here). The same text runs on the desktop
(wgpu-py) in this process with the same seed: both accuracies must agree within 2 points.
"""
from __future__ import annotations

import re
import time

from .test_console import open_console, run
from .test_xor import run_on_desktop

EPOCHS = 20
THRESHOLD = 0.98

KERAS_SCRIPT = f"""import webgrad as wg

# The TensorFlow Playground's circle: 2 -> 8 -> 8 -> 1, tanh, trained with Keras' fit.
wg.manual_seed(0)
(x, y), (x_test, y_test) = wg.datasets.load_playground("circle", noise=0.0, seed=0)

model = wg.Sequential([
    wg.Input(shape=(2,)),
    wg.layers.Dense(8, activation="tanh"),
    wg.layers.Dense(8, activation="tanh"),
    wg.layers.Dense(1),                       # a logit: the loss applies the sigmoid
], name="circle")
model.compile(optimizer=wg.optimizers.Adam(0.03),
              loss=wg.losses.BinaryCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x, y, batch_size=25, epochs={EPOCHS})

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print(f"circle: test accuracy {{results['accuracy']:.4f}}, test loss {{results['loss']:.4f}}")
"""

RESULT = re.compile(r"^circle: test accuracy ([0-9.]+), test loss ([0-9.]+)$", re.M)
EPOCH = re.compile(r"^Epoch (\d+)/(\d+)$", re.M)
STEP_LINE = re.compile(r"^10/10 .*accuracy: [0-9.]+ - loss: [0-9.]+$", re.M)


def accuracy(out: str) -> float:
    found = RESULT.findall(out)
    assert len(found) == 1, f"no single result line:\n{out}"
    return float(found[0][0])


def test_keras_fit_reaches_the_circle_accuracy_in_the_console(page, server, artifacts):
    open_console(page, server)
    start = time.monotonic()
    out = run(page, KERAS_SCRIPT)
    elapsed = time.monotonic() - start
    page.set_viewport_size({"width": 1280, "height": 1080})   # the whole script and output in view
    page.locator(".cm-scroller").evaluate("e => { e.scrollTop = 0; }")
    page.screenshot(path=str(artifacts / "console_keras.png"))
    assert "— done in" in out and "Traceback" not in out, out

    # The progress output: one "Epoch i/N" header and one finished "10/10 ..." line per epoch.
    assert [int(e) for e, _ in EPOCH.findall(out)] == list(range(1, EPOCHS + 1)), out
    assert all(int(n) == EPOCHS for _, n in EPOCH.findall(out)), out
    assert len(STEP_LINE.findall(out)) == EPOCHS, out

    browser = accuracy(out)
    assert browser >= THRESHOLD, f"circle test accuracy in the page {browser:.4f}\n{out}"

    desktop = accuracy(run_on_desktop(KERAS_SCRIPT))   # the same script on wgpu-py
    assert abs(browser - desktop) <= 0.02, f"page {browser:.4f} vs desktop {desktop:.4f}"
    print(f"circle test accuracy: page {browser:.4f}, desktop {desktop:.4f}; page run {elapsed:.1f} s")
