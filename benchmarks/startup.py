"""Start-up latency: how long a person waits, from a link to a training model, and after changing it.

Starts ``webgrad serve`` and, in headless Chromium on SwiftShader (the e2e tests' flags), for each of
3 fresh browser profiles measures

- cold: navigation to the console's "ready" (WebGPU opened, Pyodide started, webgrad installed
  and imported), then in that page: ready to the first finished step of fresh models — a 2-8-8-1
  MLP with ``fit`` (one batch of 10) and with a ``@wg.function`` step, a 2-64-64-1 with ``fit``,
  the digits CNN of ``examples/digits_cnn.py`` with ``fit`` (one batch of 32) — and the time to
  the next step after changing a layer's width, adding a layer, and switching the activation;
- warm: the same page loaded again in the same profile (the browser's caches filled, and the first
  page's background compiles finished before it closed), and the same steps run again in it
  (kernels compiled once in that page's life are not kept across loads: this measures what a
  second visit costs).

The same first-step figures are measured on the desktop (wgpu-py, lavapipe) in this run, in a
fresh Python process. Each cell is the median of the 3 profiles. Prints a markdown table and
appends it to BENCHMARKS.md under its own heading.

    $ python benchmarks/startup.py              # or --no-write to only print
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.browser import MARK, fresh_browser, machine, run_in_console, start_server  # noqa: E402  (one way for benchmarks)
from benchmarks.train_step_browser import problem, start_peer_server  # noqa: E402  (the peers' page and data)
from e2e.conftest import CHROMIUM, WEBGPU_ARGS  # noqa: E402  (the e2e tests' browser and its flags)

HEADING = "## Start-up latency (headless Chromium, SwiftShader; desktop wgpu-py, lavapipe)"
PROFILES = 3

# Plain webgrad, run as is in the page (typed into the console) and on the desktop.
STEPS = r'''
import json, time
import webgrad as wg
L = wg.layers

def timed(f):
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1e3

def mlp(widths, activation="tanh"):
    m = wg.Sequential([wg.Input(shape=(2,))] + [L.Dense(w, activation=activation) for w in widths] + [L.Dense(1)])
    m.compile(wg.optimizers.SGD(0.1), "mse")
    return m

def fit_once(model, x, y, batch):
    return lambda: model.fit(x, y, batch_size=batch, epochs=1, verbose=0)

wg.manual_seed(0)
x, y = wg.rand(10, 2), wg.rand(10, 1)
out = {}
out["fit_8"] = timed(fit_once(mlp([8, 8]), x, y, 10))

params = [wg.randn(2, 8, requires_grad=True), wg.zeros(8, requires_grad=True), wg.randn(8, 8, requires_grad=True),
          wg.zeros(8, requires_grad=True), wg.randn(8, 1, requires_grad=True), wg.zeros(1, requires_grad=True)]

@wg.function
def step(x, y):
    w1, b1, w2, b2, w3, b3 = params
    loss = ((((x @ w1 + b1).tanh() @ w2 + b2).tanh() @ w3 + b3 - y) ** 2).mean()
    loss.backward()
    with wg.no_grad():
        for p in params:
            p -= 0.1 * p.grad
            p.grad = None
    return loss
out["function_8"] = timed(lambda: step(x, y).item())
out["fit_64"] = timed(fit_once(mlp([64, 64]), x, y, 10))

images, labels = wg.rand(32, 8, 8, 1), wg.randint(0, 10, (32,))
cnn = wg.Sequential([wg.Input(shape=(8, 8, 1)), L.Conv2D(16, 3, padding="same", activation="relu"), L.MaxPool2D(),
                     L.Conv2D(32, 3, padding="same", activation="relu"), L.Flatten(), L.Dense(64, activation="relu"),
                     L.Dense(10)])
cnn.compile(wg.optimizers.Adam(0.004), wg.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
out["fit_cnn"] = timed(fit_once(cnn, images, labels, 32))

out["change_width"] = timed(fit_once(mlp([9, 8]), x, y, 10))          # after 2-8-8-1 trained in this page
out["add_layer"] = timed(fit_once(mlp([8, 8, 8]), x, y, 10))
out["switch_activation"] = timed(fit_once(mlp([8, 8], "relu"), x, y, 10))
out["device"] = wg.default_device().name
print("MARK" + json.dumps(out))
'''.replace("MARK", MARK)

# Before a page closes: the kernels it still compiles in the background (matmul variants) finish,
# so the warm visit measures a second visit and not the tail of the first one's compiles.
SETTLE = f'import webgrad as wg; wg.default_device().finish_compiles(); print("{MARK}{{}}")'

ROWS = [  # (label, key, cold target, warm target) in seconds; None: no target
    ("navigation to ready (`/console`)", "ready", 3.0, 1.2),
    ("ready to the first step, 2-8-8-1, `fit`", "fit_8", 0.5, 0.3),
    ("ready to the first step, 2-8-8-1, `@wg.function`", "function_8", 0.5, 0.3),
    ("first step, 2-64-64-1, `fit`", "fit_64", 1.0, 0.5),
    ("first step, digits CNN, `fit`", "fit_cnn", 2.0, 1.0),
    ("change a layer's width (2-9-8-1), next step", "change_width", 0.15, 0.15),
    ("add a layer (2-8-8-8-1), next step", "add_layer", 0.15, 0.15),
    ("switch the activation (relu), next step", "switch_activation", 0.15, 0.15),
]


def _result(text: str) -> dict:
    line = next((ln for ln in text.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        sys.exit(f"no result was printed:\n{text}")
    return json.loads(line[len(MARK):])


def _ready(page, url: str) -> dict:
    page.goto(url + "/console")
    page.wait_for_selector("body[data-state=ready]", timeout=120_000)
    return page.evaluate("window.webgradReady")


def measure_browser(url: str) -> tuple[list[dict], list[dict]]:
    """(cold, warm): per profile, the ready time and the step times, in ms."""
    from playwright.sync_api import sync_playwright
    cold, warm = [], []
    with sync_playwright() as p:
        for i in range(PROFILES):
            with fresh_browser(p, "webgrad-startup-chromium-") as context:
                for runs in (cold, warm):
                    page = context.new_page()
                    ready = _ready(page, url)
                    runs.append(dict(run_in_console(page, STEPS), ready=ready["total"]))
                    run_in_console(page, SETTLE)      # a person comes back later, not mid-compile
                    page.close()
                    print(f"profile {i + 1} {'cold' if runs is cold else 'warm'}: {runs[-1]}", file=sys.stderr,
                          flush=True)
    return cold, warm


PEERS = [("jax-webgpu", "jax-js webgpu, `jit` of the step"), ("jax-wasm", "jax-js wasm, `jit` of the step"),
         ("tf-webgpu", "TF.js webgpu, `sgd.minimize`"), ("tf-wasm", "TF.js wasm, `sgd.minimize`")]


def measure_peers(url: str) -> list[dict]:
    """The peers in the same browser, a fresh profile each: their page (jax-js and TF.js loaded and
    started) to ready, then per library a fresh 2-8-8-1's first step and a fresh 2-9-9-1's, in ms."""
    from playwright.sync_api import sync_playwright
    runs = []
    with sync_playwright() as p:
        for _ in range(PROFILES):
            with fresh_browser(p, "webgrad-startup-peers-") as context:
                page = context.new_page()
                page.goto(url + "/peers.html")
                page.wait_for_selector("body[data-state=ready]", timeout=120_000)
                run = {"ready": page.evaluate("performance.now()")}
                for system, _ in PEERS:
                    for key, hidden in (("fit_8", 8), ("change_width", 9)):
                        step = page.evaluate("([s, d]) => window.peers.firstStep(s, d, 0.1)",
                                             [system, problem(hidden, 10)])
                        run[f"{system}:{key}"] = step["ms"]
                runs.append(run)
                print(f"peers: {run}", file=sys.stderr, flush=True)
    return runs


def measure_desktop() -> list[dict]:
    """The steps in fresh Python processes on wgpu-py (each one's first compile shows)."""
    runs = []
    for _ in range(PROFILES):
        done = subprocess.run([sys.executable, "-c", STEPS], capture_output=True, text=True, cwd=ROOT,
                              env=dict(os.environ, WEBGRAD_CACHE=tempfile.mkdtemp(prefix="webgrad-startup-")))
        runs.append(_result(done.stdout + done.stderr))
    return runs


def _cell(runs: list[dict], key: str, target) -> str:
    if not runs or key not in runs[0]:
        return "—"
    ms = statistics.median(r[key] for r in runs)
    text = f"{ms / 1e3:.2f} s" if ms >= 1000 else f"{ms:.0f} ms"
    if target is None:
        return text
    return f"{text} ({'met' if ms <= target * 1e3 else 'target'} <= {target:g} s)"


def peer_table(cold, peers) -> str:
    rows = ["| measure (a fresh profile each, medians) | webgrad | " + " | ".join(label for _, label in PEERS) + " |",
            "| --- | ---: |" + " ---: |" * len(PEERS)]
    rows.append(f"| navigation to ready | {_cell(cold, 'ready', None)} (`/console`) | "
                f"{_cell(peers, 'ready', None)} (benchmarks/web/peers.html: all four loaded) |" + " |" * (len(PEERS) - 1))
    for label, key in (("first step of a fresh 2-8-8-1 (SGD, batch 10), from ready", "fit_8"),
                       ("then a fresh model of another width, first step", "change_width")):
        rows.append(f"| {label} | {_cell(cold, key, None)} | " +
                    " | ".join(_cell(peers, f"{system}:{key}", None) for system, _ in PEERS) + " |")
    return "\n".join(rows)


def table(cold, warm, desktop) -> str:
    rows = ["| measure | cold | warm | desktop (fresh process) |", "| --- | ---: | ---: | ---: |"]
    for label, key, cold_target, warm_target in ROWS:
        rows.append(f"| {label} | {_cell(cold, key, cold_target)} | {_cell(warm, key, warm_target)} | "
                    f"{_cell(desktop, key, None) if key != 'ready' else '—'} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set WEBGRAD_CHROMIUM)")
    where, load = machine(), ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "python " + " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    browser_version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    cache = tempfile.mkdtemp(prefix="webgrad-startup-cache-")
    server, url = start_server(cache)
    peer_server, peer_url = start_peer_server()
    try:
        cold, warm = measure_browser(url)
        peers = measure_peers(peer_url)
    finally:
        server.terminate()
        server.wait(10)
        peer_server.shutdown()
        shutil.rmtree(cache, ignore_errors=True)
    desktop = measure_desktop()           # after the browser closed: the cores are not shared
    header = "\n".join([
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {where}",
        f"- browser: {browser_version}, headless, `{' '.join(WEBGPU_ARGS)}`; adapters: {cold[0]['device']} in the "
        f"page, {desktop[0]['device']} on the desktop",
        f"- each cell: the median of {PROFILES} fresh browser profiles (cold: first visit; warm: the page loaded "
        f"again in the same profile) or {PROFILES} fresh Python processes; the step times include the compiles",
        f"- load average before the run (1, 5, 15 min): {load}",
        f"- command: `{command}`",
    ])
    body = (table(cold, warm, desktop) + "\n\nThe peers in the same browser and run (webgrad's column: its `fit` step "
            "and its 2-9-8-1 width change from the table above; each peer's first step includes its own compiles):"
            "\n\n" + peer_table(cold, peers))
    print(header + "\n\n" + body)
    if not args.no_write:
        with open(ROOT / "BENCHMARKS.md", "a") as f:     # append only: other sections belong to other benchmarks
            f.write(f"\n{HEADING}\n\n{header}\n\n{body}\n")
        print("\nappended to BENCHMARKS.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
