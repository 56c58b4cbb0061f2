"""The graph viewer beside TensorBoard's graph dashboard, on the same logged training steps, in the same run.

Fits three Keras models for one epoch with the ``TensorBoard`` callback (``write_graph=True``, its default), which
logs each traced training step twice: as webgrad's graph view and as a GraphDef for TensorBoard. Then, in headless
Chromium (1400x900):

- webgrad (``webgrad serve --logdir``): opening ``/graph?run=R`` until the graph is drawn collapsed (its phases),
  "expand all" until every node is drawn, and panning the fully expanded graph, fitted to the screen (every
  node painted): frames a second while the view moves every frame (the median frame time of 120 frames);
- TensorBoard (``tensorboard --logdir``): opening ``#graphs&run=R`` until its graph is drawn (its collapsed
  name-scope view; it has no "expand all"). What it draws is the GraphDef the callback logs for it, the model's
  layer graph (a node a layer), not the traced step webgrad's viewer draws: a much smaller graph, so its column
  is the time to a first graph on screen, not the same drawing.

Prints a markdown table; ``--write`` puts it in BENCHMARKS.md under its own heading.

    $ .venv/bin/python benchmarks/graph_view.py --write
"""
from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.browser import machine, make_cache, serve_logdir, serve_tensorboard  # noqa: E402
from benchmarks.dashboard import tensorboard_version, wait_for  # noqa: E402
from benchmarks.playground import publish  # noqa: E402
from e2e.conftest import CHROMIUM, QUIET_ARGS  # noqa: E402

HEADING = "## Graph viewer: webgrad's /graph and TensorBoard's graph dashboard on one logged step"
TRIALS = 3


def models():
    """(run name, model, x, y): the playground's 2-8-1 MLP, a 12-layer MLP and the digits CNN example's model."""
    import webgrad as wg
    L = wg.layers
    wg.manual_seed(0)
    (x, y), _ = wg.datasets.load_digits(test_fraction=0.2, seed=0, images=True)
    flat = x.reshape((x.shape[0], 64))
    two = wg.randn(64, 2)
    return [
        ("mlp_2-8-1", wg.Sequential([wg.Input(shape=(2,)), L.Dense(8, activation="tanh"), L.Dense(1)], name="mlp_2_8_1"),
         two, wg.randn(64, 1), "mean_squared_error"),
        ("mlp_12x32", wg.Sequential([wg.Input(shape=(64,)), *[L.Dense(32, activation="relu") for _ in range(12)],
                                     L.Dense(10)], name="mlp_12x32"), flat, y, "sparse"),
        ("digits_cnn", wg.Sequential([wg.Input(shape=(8, 8, 1)), L.Conv2D(16, 3, padding="same", activation="relu"),
                                      L.MaxPool2D(), L.Conv2D(32, 3, padding="same", activation="relu"), L.Flatten(),
                                      L.Dense(64, activation="relu"), L.Dense(10)], name="digits_cnn"), x, y, "sparse"),
    ]


def log_runs(logdir: Path) -> dict:
    """Each model fit one epoch into its run; the run's graph view's node, edge and kernel counts."""
    import webgrad as wg
    out = {}
    for name, model, x, y, loss in models():
        loss = wg.losses.SparseCategoricalCrossentropy(from_logits=True) if loss == "sparse" else loss
        model.compile(optimizer="adam", loss=loss)
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[wg.callbacks.TensorBoard(str(logdir / name))])
        view = wg.graph_view(model)
        out[f"{name}/train"] = {"nodes": len(view["nodes"]), "edges": len(view["edges"]), "kernels": len(view["kernels"]),
                     "dispatches": view["dispatches"]}
    return out


PAN = """() => new Promise((done) => {
  const v = document.getElementById("viewport"), start = v.getAttribute("transform"), times = [];
  let i = 0;
  const step = (t) => {
    times.push(t);
    v.setAttribute("transform", `translate(${-3 * i},${-2 * i}) ` + start);
    if (++i <= 120) requestAnimationFrame(step); else { v.setAttribute("transform", start); done(times); }
  };
  requestAnimationFrame(step);
})"""


def measure_webgrad(logdir: Path, runs: dict, cache: str) -> dict:
    from playwright.sync_api import sync_playwright
    proc, url = serve_logdir(logdir, cache)
    out = {}
    try:
        logged = lambda: set(runs) <= {r["name"] for r in httpx.get(url + "/api/runs", timeout=30).json()["runs"] if r["graph"]}  # noqa: E731
        wait_for(logged, 120, "webgrad: every run's graph")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=QUIET_ARGS)
            for run, counts in runs.items():
                opened, expanded, layout_ms, fps = [], [], [], []
                for _ in range(TRIALS):
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    t = time.perf_counter()
                    page.goto(f"{url}/graph?run={quote(run)}")
                    page.wait_for_selector("body[data-state=ready]", timeout=120_000)
                    opened.append(time.perf_counter() - t)
                    page.evaluate("document.body.dataset.state = 'asked'")
                    t = time.perf_counter()
                    page.click("#expand-all")
                    page.wait_for_selector("body[data-state=ready]", timeout=120_000)
                    expanded.append(time.perf_counter() - t)
                    layout_ms.append(int(page.get_attribute("body", "data-layout-ms")))
                    drawn = page.locator("#viewport .node").count()
                    assert drawn == counts["nodes"], f"{run}: {drawn} nodes drawn of {counts['nodes']}"
                    times = page.evaluate(PAN)
                    fps.append(1000 / statistics.median(b - a for a, b in zip(times, times[1:])))
                    page.close()
                out[run] = {"open_s": statistics.median(opened), "expand_s": statistics.median(expanded),
                            "layout_ms": statistics.median(layout_ms), "fps": statistics.median(fps)}
            browser.close()
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def measure_tensorboard(logdir: Path, runs: dict) -> dict:
    from playwright.sync_api import sync_playwright
    proc, url = serve_tensorboard(logdir)
    out = {}
    try:
        wait_for(lambda: set(runs) <= set(httpx.get(url + "/data/plugin/graphs/info", timeout=30).json()), 120,
                 "TensorBoard: every run's graph")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=QUIET_ARGS)
            for run in runs:
                opened = []
                for _ in range(TRIALS):
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    t = time.perf_counter()
                    page.goto(f"{url}/#graphs&run={quote(run)}")
                    page.wait_for_selector("svg g.node", timeout=120_000)      # its scene (in shadow roots)
                    opened.append(time.perf_counter() - t)
                    page.close()
                out[run] = {"open_s": statistics.median(opened)}
            browser.close()
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def table(runs: dict, ours: dict, theirs: dict) -> str:
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    rows = [f"| {run} | {c['nodes']} / {c['edges']} / {c['kernels']} ({c['dispatches']}) | {ours[run]['open_s']:.2f} s "
            f"| {ours[run]['expand_s']:.2f} s ({ours[run]['layout_ms'] / 1000:.2f} s layout) | {ours[run]['fps']:.0f} "
            f"| {theirs[run]['open_s']:.2f} s |" for run, c in runs.items()]
    return "\n".join([
        HEADING, "",
        f"{when}, {machine()}; `python benchmarks/graph_view.py`: one Adam training step traced and logged by the "
        f"TensorBoard callback; medians of {TRIALS} fresh pages. TensorBoard {tensorboard_version()}.", "",
        "| run | nodes / edges / kernels (dispatches a step) | webgrad: open, collapsed | webgrad: expand all "
        "| webgrad: pan, fps (all expanded, fitted) | TensorBoard: open (its layer graph) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |", *rows, ""])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="put the table in BENCHMARKS.md (its own section)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="webgrad-bench-graph-") as tmp:
        root = Path(tmp)
        runs = log_runs(root / "logs")
        cache = str(root / "cache")
        make_cache(cache)
        theirs = measure_tensorboard(root / "logs", runs)
        ours = measure_webgrad(root / "logs", runs, cache)
    text = table(runs, ours, theirs)
    publish(text, HEADING, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
