"""Training steps per second in the browser: webgrad (eager, traced, single-kernel) next to jax-js
and TensorFlow.js, in ONE headless Chromium on the same SwiftShader adapter.

MLP 2-H-H-1 (tanh hidden layers, sigmoid cross-entropy; SGD lr 0.1, and Adam lr 0.01 with beta 0.9,
0.999 and epsilon 1e-7, each system's own Adam or one written as its users would) on one fixed random 2-D binary
problem (y = x0 * x1 > 0) and the same initial parameters for every system, made here and sent to
each page. Models: 2-8-8-1 batch 10, 2-64-64-1 batch 32 and batch 1024. Each cell is the best of 3
timed runs after a warm-up (webgrad's until its background compiles have landed: "once warmed up"),
the loss read back every step ("every step") and every 100 steps ("pipelined"); the first 5 losses
of every system are checked against a float64 NumPy reference.

- webgrad runs in the console page (Pyodide in a Web Worker, the page's WebGPU) served by
  ``webgrad serve``: eager, ``@wg.function`` (traced), and ``wg.function(step, single_kernel=True)``
  (K=1, every step) / ``steps_per_execution=100`` (pipelined: 100 steps per call, all 100 losses read).
- The peers run in benchmarks/web/peers.html (main thread of an ordinary page), served from
  web/node_modules (devDependencies) by a small static server in this script:
  jax-js 0.1.25 ``jit`` of ``valueAndGrad(loss)`` plus the update (SGD, or Adam by hand: jax-js has
  no optimizer library), on its webgpu and wasm devices
  (wasm also on a cross-origin-isolated copy of the page, where it runs a worker pool);
  TensorFlow.js 4.22 ``tf.variable`` + ``tf.train.sgd()`` / ``tf.train.adam()`` ``.minimize`` on its webgpu and wasm (1 thread)
  backends.
- Eager per-op cost: a chain of 50 adds on 32x64 then one wait (and the marginal cost per add,
  250 vs 50), for webgrad, jax-js webgpu and TF.js webgpu.
- A profile of webgrad's traced step in the page: Python time, JS encode+submit, GPU time.

Prints markdown and appends it to BENCHMARKS.md under "Training steps in the browser".

    $ npm ci --prefix web                              # once: Pyodide and the peers
    $ python benchmarks/train_step_browser.py          # about 14 minutes; --no-write to only print
    $ python benchmarks/train_step_browser.py --quick --no-write    # shorter runs, for checking
"""
from __future__ import annotations

import argparse
import datetime
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from browser import machine, start_server  # noqa: E402  (webgrad serve on a free port, as browser.py)
from e2e.conftest import CHROMIUM, QUIET_ARGS, WEBGPU_ARGS  # noqa: E402  (the e2e tests' browser flags)
from mlp_step import ADAM, OPTIMIZERS  # noqa: E402  (the step itself runs in the page, sent as text)

HEADING = "## Training steps in the browser"
MARK = "BENCH-RESULT "
MODELS = [(8, 10), (64, 32), (64, 1024)]          # (hidden, batch)
PIPELINE = 100
PEERS = [("jax-webgpu", "jax-js 0.1.25 webgpu, `jit(valueAndGrad)` + update"),
         ("jax-wasm", "jax-js 0.1.25 wasm, `jit(valueAndGrad)` + update"),
         ("jax-wasm-iso", "jax-js 0.1.25 wasm, same, on a cross-origin-isolated page (its worker pool)"),
         ("tf-webgpu", "TF.js 4.22 webgpu, `sgd.minimize`"),
         ("tf-wasm", "TF.js 4.22 wasm (1 thread), `sgd.minimize`")]
NPM = ROOT / "web" / "node_modules"
PEER_PACKAGES = ("@jax-js", "@tensorflow")         # what the peers page may load from node_modules


# ---- the problem, and its float64 reference --------------------------------------------------

def problem(hidden: int, batch: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, 2)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:] > 0).astype(np.float32)
    shapes = [(2, hidden), (hidden,), (hidden, hidden), (hidden,), (hidden, 1), (1,)]
    scale = [1.0, 0.0, hidden ** -0.5, 0.0, hidden ** -0.5, 0.0]
    params = [(rng.normal(size=s) * c).astype(np.float32) for s, c in zip(shapes, scale)]
    enc = lambda a: {"data": a.ravel().tolist(), "shape": list(a.shape)}
    return {"x": enc(x), "y": enc(y), "params": [enc(p) for p in params]}


def reference_losses(data: dict, optimizer: str = "sgd", steps: int = 5) -> list[float]:
    """The first losses of SGD or Adam on this problem in float64, by hand-written backprop."""
    dec = lambda a: np.array(a["data"], np.float64).reshape(a["shape"])
    x, y = dec(data["x"]), dec(data["y"])
    p = [dec(a) for a in data["params"]]
    lr, (beta1, beta2, eps) = OPTIMIZERS[optimizer], ADAM
    m, v = [0 * a for a in p], [0 * a for a in p]
    out = []
    for t in range(1, steps + 1):
        w1, b1, w2, b2, w3, b3 = p
        h1 = np.tanh(x @ w1 + b1)
        h2 = np.tanh(h1 @ w2 + b2)
        z = h2 @ w3 + b3
        out.append(float((np.maximum(z, 0) - z * y + np.log1p(np.exp(-abs(z)))).mean()))
        dz = (1 / (1 + np.exp(-z)) - y) / z.size
        dh2 = dz @ w3.T * (1 - h2 ** 2)
        dh1 = dh2 @ w2.T * (1 - h1 ** 2)
        grads = [x.T @ dh1, dh1.sum(0), h1.T @ dh2, dh2.sum(0), h2.T @ dz, dz.sum(0)]
        if optimizer == "sgd":
            p = [a - lr * g for a, g in zip(p, grads)]
            continue
        m = [beta1 * mm + (1 - beta1) * g for mm, g in zip(m, grads)]
        v = [beta2 * vv + (1 - beta2) * g * g for vv, g in zip(v, grads)]
        alpha = lr * (1 - beta2 ** t) ** 0.5 / (1 - beta1 ** t)
        p = [a - alpha * mm / (np.sqrt(vv) + eps) for a, mm, vv in zip(p, m, v)]
    return out


# ---- webgrad, in the console page ------------------------------------------------------------

# Defined once in the console's namespace; each cell then calls webgrad_cell(...).
WEBGRAD_PRELUDE = r'''
import json, time
import webgrad as wg

DEVICE = wg.default_device()

def _bench_call(f):
    try:
        r = f()
    except Exception as e:
        import traceback
        traceback.print_exc()
        r = {"error": f"{type(e).__name__}: {e}"}
    print(MARK + json.dumps(r))

def nest(a):
    flat, shape = a["data"], a["shape"]
    def build(off, dims):
        if not dims:
            return flat[off]
        step = 1
        for d in dims[1:]:
            step *= d
        return [build(off + i * step, dims[1:]) for i in range(dims[0])]
    return build(0, shape)

def fresh(data, optimizer="sgd"):
    return make_step([wg.tensor(nest(p), requires_grad=True) for p in data["params"]], optimizer)

def rate(chunk, steps_per_chunk, seconds):
    t0, n = time.perf_counter(), 0
    while True:
        chunk()
        n += steps_per_chunk
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt

def settle(calls, limit_s=90.0):
    """Run ``calls`` in turn until the device has no background compile left (a matmul variant, a single kernel:
    a plan swaps each in as it lands), at most ``limit_s``: steps/s "once warmed up". The seconds it took."""
    t0 = time.perf_counter()
    while DEVICE.background and time.perf_counter() - t0 < limit_s:
        for call in calls:
            call()
        DEVICE.poll_background()
    return time.perf_counter() - t0


def webgrad_cell(system, data, optimizer, pipeline, seconds, repeats, warmup, first_losses=5, slow_chunk=3.0):
    x, y = wg.tensor(nest(data["x"])), wg.tensor(nest(data["y"]))
    note = ""
    if system in ("eager", "traced"):
        step = fresh(data, optimizer) if system == "eager" else wg.function(fresh(data, optimizer))
        every = lambda: step(x, y).item()
        def chunk():
            for _ in range(pipeline - 1):
                step(x, y)
            return step(x, y).item()
        piped_step = step
    else:                                   # single kernel: K=1 read every step, K=pipeline pipelined
        one = wg.function(fresh(data, optimizer), single_kernel=True)
        many = wg.function(fresh(data, optimizer), steps_per_execution=pipeline, single_kernel=True)
        xs, ys = wg.stack([x] * pipeline), wg.stack([y] * pipeline)
        step = one
        every = lambda: one(x, y).item()
        chunk = lambda: many(xs, ys).tolist()[-1]
    first = [every() for _ in range(first_losses)]
    settled_s = settle([every, chunk])
    est = rate(every, 1, warmup)
    slow = pipeline / est > slow_chunk and system != "single"   # a chunk that long is timed once
    if not slow:
        rate(chunk, pipeline, 0)
    d0 = DEVICE.dispatches
    for _ in range(10):
        every()
    dispatches = (DEVICE.dispatches - d0) / 10
    if system == "traced":
        dispatches = step.plan.summary()["dispatches"]
    elif system == "single":
        s1, sk = one.plan.summary(), many.plan.summary()
        dispatches = sk.get("dispatches_per_step", dispatches)
        note = (f"K=1: {s1.get('lowering')} {s1.get('variant') or ''}; K={pipeline}: {sk.get('lowering')} "
                f"{sk.get('variant') or ''}, {sk.get('dispatches')} dispatch(es) per call").replace("  ", " ")
    if settled_s > 1:
        note = f"{note}; " * bool(note) + f"warmed up for {settled_s:.0f} s (its background compiles landing)"
    every_rates, piped_rates = [], []
    for r in range(repeats):
        every_rates.append(rate(every, 1, seconds))
        if not slow or r == 0:
            piped_rates.append(rate(chunk, pipeline, seconds))
    return {"first": first, "every": every_rates, "piped": piped_rates, "dispatchesPerStep": dispatches,
            "note": note}

def webgrad_chain(trials=15):
    a, one = wg.zeros(32, 64), wg.ones(32, 64)
    def chain(n):
        s = a
        for _ in range(n):
            s = s + one
        wg.synchronize()
    for _ in range(3):
        chain(50), chain(250)
    per = {}
    for n in (50, 250):
        times = []
        for _ in range(trials):
            t0 = time.perf_counter()
            chain(n)
            times.append(time.perf_counter() - t0)
        per[n] = sorted(times)[len(times) // 2]
    d0 = DEVICE.dispatches
    chain(50)
    return {"usPerOp50": per[50] / 50 * 1e6, "usMarginal": (per[250] - per[50]) / 200 * 1e6,
            "dispatches50": DEVICE.dispatches - d0}

def traced_profile(data, calls=100):
    """Where a traced step's time goes in the page: Python (trace replay, bookkeeping), the JS
    helper's encode + submit of the recorded dispatches, and the adapter's own time."""
    import sys
    backend = DEVICE.backend
    browser = sys.modules[type(backend).__module__]     # webgrad's devices/browser.py
    x, y = wg.tensor(nest(data["x"])), wg.tensor(nest(data["y"]))
    step = wg.function(fresh(data))
    for _ in range(20):
        step(x, y).item()
    out = {"dispatches": step.plan.summary()["dispatches"]}
    best = {}
    saved = browser.FLUSH_INTS
    browser.FLUSH_INTS = 1 << 30            # hold every command until the explicit send below
    try:
        for _ in range(5):
            DEVICE.synchronize()
            t0 = time.perf_counter()
            for _ in range(calls):
                step(x, y)
            t1 = time.perf_counter()
            n_ints = len(backend.commands)
            backend._send()                 # one JS call: encode every dispatch, one queue submit
            t2 = time.perf_counter()
            backend.wait()                  # onSubmittedWorkDone: the adapter runs the 100 steps
            t3 = time.perf_counter()
            for k, v in (("python_us", t1 - t0), ("submit_us", t2 - t1), ("gpu_us", t3 - t2)):
                best[k] = min(best.get(k, 1e9), v / calls * 1e6)
    finally:
        browser.FLUSH_INTS = saved
    out.update(best, ints_per_step=n_ints / calls)
    # One step with its loss read: the call, then .item() (send, copy, mapAsync via run_sync).
    times = {"call_us": [], "item_us": []}
    for _ in range(30):
        DEVICE.synchronize()
        t0 = time.perf_counter()
        loss = step(x, y)
        t1 = time.perf_counter()
        loss.item()
        t2 = time.perf_counter()
        times["call_us"].append((t1 - t0) * 1e6)
        times["item_us"].append((t2 - t1) * 1e6)
    for k, v in times.items():
        out[k] = sorted(v)[len(v) // 2]
    # One step submitted alone: the send, the wait for the adapter, then the read of its loss.
    alone = {"alone_send_us": [], "alone_wait_us": [], "alone_read_us": []}
    for _ in range(30):
        DEVICE.synchronize()
        loss = step(x, y)
        t0 = time.perf_counter()
        backend._send()
        t1 = time.perf_counter()
        backend.wait()
        t2 = time.perf_counter()
        loss.item()
        t3 = time.perf_counter()
        for k, v in zip(alone, (t1 - t0, t2 - t1, t3 - t2)):
            alone[k].append(v * 1e6)
    for k, v in alone.items():
        out[k] = sorted(v)[len(v) // 2]
    # The single-kernel function, 100 steps a call: the call, the wait, the read of 100 losses.
    try:
        many = wg.function(fresh(data), steps_per_execution=100, single_kernel=True)
        xs, ys = wg.stack([x] * 100), wg.stack([y] * 100)
        for _ in range(3):
            many(xs, ys).tolist()
        sk = {"sk_call_us": [], "sk_wait_us": [], "sk_read_us": []}
        for _ in range(10):
            DEVICE.synchronize()
            t0 = time.perf_counter()
            losses = many(xs, ys)
            t1 = time.perf_counter()
            DEVICE.synchronize()
            t2 = time.perf_counter()
            losses.tolist()
            t3 = time.perf_counter()
            for k, v in zip(sk, (t1 - t0, t2 - t1, t3 - t2)):
                sk[k].append(v * 1e6)
        for k, v in sk.items():
            out[k] = sorted(v)[len(v) // 2]
        out["sk_variant"] = many.plan.summary().get("variant")
    except Exception as e:
        out["sk_error"] = f"{type(e).__name__}: {e}"
    # A bare round trip: read 4 bytes of a buffer nothing is writing (copy + mapAsync only).
    rt = []
    for _ in range(30):
        t0 = time.perf_counter()
        backend.read_buffer(x.data.buffer.handle, 0, 4)
        rt.append((time.perf_counter() - t0) * 1e6)
    out["bare_read_us"] = sorted(rt)[len(rt) // 2]
    # The Python part by function (cProfile), for one call.
    try:
        import cProfile, pstats, io
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(calls):
            step(x, y)
        prof.disable()
        DEVICE.synchronize()
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(8)
        out["cprofile"] = s.getvalue()
    except Exception as e:              # cProfile may be missing from Pyodide's stdlib
        out["cprofile"] = f"cProfile unavailable: {e!r}"
    return out
'''


def console_run(page, code: str, timeout_ms: int = 300_000) -> dict | None:
    """Run ``code`` in the console (output cleared first); the JSON of the MARK line it printed."""
    page.locator("#clear").click()
    page.locator("#editor").fill(code)
    page.locator("#run").click()
    page.wait_for_selector("#output .meta", timeout=timeout_ms)
    out = page.locator("#output").inner_text()
    line = next((ln for ln in out.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        if "— done in" in out:
            return None
        raise RuntimeError(f"the console printed no result:\n{out[-3000:]}")
    return json.loads(line[len(MARK):])


def webgrad_call(page, expr: str) -> dict:
    """Evaluate ``expr`` in the console (after WEBGRAD_PRELUDE); its dict, or {'error': ...}."""
    return console_run(page, f"_bench_call(lambda: {expr})\n")


# ---- the peers' static server ----------------------------------------------------------------

class PeerFiles(http.server.SimpleHTTPRequestHandler):
    """/ -> benchmarks/web, /npm/@jax-js|@tensorflow/... -> web/node_modules. The peers run on an
    ordinary page; /iso/... serves the same files cross-origin isolated, as webgrad's pages are: there
    jax-js's wasm device starts a worker pool on SharedArrayBuffer memory, which is about 10x slower
    for these small steps than its one thread (measured here), so both are reported."""

    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map,
                          **{".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm"})

    def translate_path(self, path):
        path = path.split("?", 1)[0].split("#", 1)[0]
        if path.startswith("/iso/"):            # the same files, cross-origin isolated
            path = path[len("/iso"):]
        if path.startswith("/npm/"):
            rel = path[len("/npm/"):]
            if not rel.startswith(PEER_PACKAGES) or ".." in rel:
                return str(NPM / "__not_served__")
            return str(NPM / rel)
        if ".." in path:
            return str(ROOT / "benchmarks" / "web" / "__not_served__")
        return str(ROOT / "benchmarks" / "web" / path.lstrip("/"))

    def end_headers(self):
        if self.path.startswith("/iso/"):
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args):
        pass


def start_peer_server() -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PeerFiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# ---- formatting ------------------------------------------------------------------------------

def fmt(v) -> str:
    if v is None:
        return "—"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def fmt_d(v) -> str:
    if v is None:
        return "—"
    return f"{v:g}" if v >= 1 or v == 0 else f"{v:.2f}"


# How the peers behave here, seen while building this benchmark (the table shows by how much).
PEER_NOTES = [
    "jax-js: arrays are lazy and each unread step adds to the pending work the next step carries, so "
    "reading the loss only every 100 steps is slower than reading it every step on both devices; on webgpu "
    "its jit still makes one dispatch and one queue submit per kernel",
    "jax-js wasm on a cross-origin-isolated page (SharedArrayBuffer available) runs a worker pool of "
    "navigator.hardwareConcurrency threads over shared memory, many times slower for these small steps "
    "than its one thread on an ordinary page",
    "TF.js webgpu: about 5 queue submits per step; reading the loss less often does not help it",
]


def tables(all_results: dict, chains: dict, all_refs: dict, models) -> str:
    """all_results[optimizer][system][(hidden, batch)] = cell dict (or {'error': ...})."""
    out, targets = [], []
    for optimizer, results in all_results.items():
        steps, rows = optimizer_tables(results, all_refs[optimizer], models, optimizer)
        out += steps + [""]
        targets += rows
    out += [*[f"- {n}" for n in PEER_NOTES], ""]
    out += ["The targets, as ratios in this run:", "", "| target | this run | |", "| --- | --- | --- |", *targets]
    out += ["", "Eager per-op cost: a chain of adds on 32x64 float32, then one wait for the device "
            "(webgrad `wg.synchronize()`, jax-js `blockUntilReady()`, TF.js `data()`, an 8 KB read); median of 15.",
            "", "| system | per op, chain of 50 + wait | marginal per op (250 vs 50) | dispatches for 50 adds |",
            "| --- | ---: | ---: | ---: |"]
    for name, c in chains.items():
        if "error" in c:
            out.append(f"| {name} | error: {c['error']} | | |")
        else:
            out.append(f"| {name} | {c['usPerOp50']:.0f} µs | {c['usMarginal']:.0f} µs | "
                       f"{'—' if c.get('dispatches50') is None else c['dispatches50']} |")
    return "\n".join(out)


def optimizer_tables(results: dict, refs: dict, models, optimizer: str) -> tuple[list[str], list[str]]:
    """The steps/s table of one optimizer, and its rows of the targets table."""
    opt_name = {"sgd": f"SGD lr {OPTIMIZERS['sgd']}", "adam": f"Adam lr {OPTIMIZERS['adam']}"}[optimizer]
    names = {"eager": "webgrad eager", "traced": "webgrad traced (`@wg.function`)",
             "single": f"webgrad single-kernel (K=1 every step / K={PIPELINE} pipelined)"}
    names.update({k: v.replace("`sgd.minimize`", f"`{optimizer}.minimize`") for k, v in PEERS})
    head = "| system | " + " | ".join(f"2-{h}-{h}-1 b{b}: every step | pipelined" for h, b in models) + \
           " | dispatches per step | first 5 losses vs float64 |"
    lines = [head, "| --- |" + " ---: | ---: |" * len(models) + " ---: | --- |"]
    notes = []
    for system, cells in results.items():
        row, disp, dev = [], [], 0.0
        for m in models:
            c = cells.get(m)
            if c is None or "error" in c:
                row += ["not built yet" if system == "single" and c is None else "error", "—"]
                if c and "error" in c:
                    notes.append(f"{names[system]}, 2-{m[0]}-{m[0]}-1 b{m[1]}: {c['error']}")
                continue
            one = len(c["piped"]) == 1 and len(c["every"]) > 1
            row += [fmt(max(c["every"])), fmt(max(c["piped"])) + (" †" if one else "")]
            disp.append(c.get("dispatchesPerStep"))
            dev = max(dev, max(abs(a - b) for a, b in zip(c["first"], refs[m])))
            if c.get("note"):
                notes.append(f"{names[system]}, 2-{m[0]}-{m[0]}-1 b{m[1]}: {c['note']}")
            if c.get("threads") is not None:
                notes.append(f"{names[system]}: {c['threads']} thread(s) (tf.wasm.getThreadsCount())")
        d = sorted({fmt_d(v) for v in disp}, key=str)
        lines.append(f"| {names[system]} | " + " | ".join(row) + f" | {' / '.join(d) if d else '—'} | "
                     + (f"max abs diff {dev:.1e}" if disp else "—") + " |")
    out = [f"**{opt_name}**: steps per second (best of 3 runs after a warm-up; \"pipelined\": the loss read every "
           f"{PIPELINE} steps; † one run only, as {PIPELINE} steps take over 3 s there).", "", *lines]
    out += ["", *[f"- {n}" for n in dict.fromkeys(notes)]]

    # The targets, as ratios in this run.
    def best(system, m, mode):
        c = results.get(system, {}).get(m)
        return max(c[mode]) if c and "error" not in c else None
    rows = []
    for m in [mm for mm in models if mm[0] == 64]:
        for mode, label in (("every", "every step"), ("piped", "pipelined")):
            t, j = best("traced", m, mode), best("jax-webgpu", m, mode)
            r = t / j if t and j else None
            rows.append(f"| {optimizer}: traced >= 1.5x jax-js jit webgpu, 2-64-64-1 b{m[1]}, {label} | {fmt(t)} / {fmt(j)} = "
                        f"{'—' if r is None else f'{r:.2f}x'} | {'—' if r is None else ('met' if r >= 1.5 else 'not met')} |")
    if (64, 32) in models:
        s = best("single", (64, 32), "piped")
        tw = max(filter(None, [best("tf-wasm", (64, 32), "every"), best("tf-wasm", (64, 32), "piped")]), default=None)
        r = s / tw if s and tw else None
        rows.append(f"| {optimizer}: single-kernel pipelined >= TF.js wasm (its better mode), 2-64-64-1 b32 | {fmt(s)} / {fmt(tw)} = "
                    f"{'—' if r is None else f'{r:.2f}x'} | {'—' if r is None else ('met' if r >= 1 else 'not met')} |")
    if (8, 10) in models:
        s = best("single", (8, 10), "piped")
        rows.append(f"| {optimizer}: single-kernel pipelined >= 10,000 steps/s, 2-8-8-1 b10 | {fmt(s)} = "
                    f"{'—' if s is None else f'{s / 1e4:.2f}x'} | {'—' if s is None else ('met' if s >= 1e4 else 'not met')} |")
    return out, rows


def profile_text(profiles: dict) -> str:
    if not profiles:
        return ""
    lines = ["", "", "Where webgrad's time goes in the page. Traced step: 100 calls held, then one send and one "
             "wait (per step, best of 5); one step sent alone, then waited on and its loss read (median of 30); "
             "a bare 4-byte read of an idle buffer. Single-kernel: one call of 100 steps (median of 10).", "",
             "| model | traced: Python per call | JS encode + submit per step | adapter per step, 100 queued | "
             "one step alone: send / wait / read loss | bare read | single-kernel K=100: call / wait / read 100 losses |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (h, b), p in profiles.items():
        if "error" in p:
            lines.append(f"| 2-{h}-{h}-1 b{b} | error: {p['error']} | | | | | |")
            continue
        sk = (f"{p['sk_call_us'] / 1e3:.2f} / {p['sk_wait_us'] / 1e3:.2f} / {p['sk_read_us'] / 1e3:.2f} ms "
              f"({p['sk_variant']})" if "sk_call_us" in p else p.get("sk_error", "—"))
        lines.append(f"| 2-{h}-{h}-1 b{b} ({p['dispatches']} dispatches) | {p['python_us']:.0f} µs | "
                     f"{p['submit_us']:.0f} µs | {p['gpu_us']:.0f} µs | {p['alone_send_us']:.0f} / "
                     f"{p['alone_wait_us']:.0f} / {p['alone_read_us']:.0f} µs | {p['bare_read_us']:.0f} µs | {sk} |")
    return "\n".join(lines)


# ---- the run ---------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the tables, leave BENCHMARKS.md alone")
    parser.add_argument("--quick", action="store_true", help="shorter runs (0.25 s, best of 2): for checking")
    parser.add_argument("--models", default=",".join(f"{h}x{b}" for h, b in MODELS),
                        help="hidden x batch, comma separated (default: %(default)s)")
    parser.add_argument("--systems", default="eager,traced,single," + ",".join(s for s, _ in PEERS),
                        help="which systems (default: %(default)s)")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS), help="which optimizers (default: %(default)s)")
    parser.add_argument("--json", help="also write the raw results here")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set WEBGRAD_CHROMIUM)")
    if not all((NPM / p).is_dir() for p in ("pyodide", "@jax-js/jax", "@tensorflow/tfjs")):
        sys.exit("the pages' packages are missing: run `npm ci --prefix web` (the peers are devDependencies)")
    from playwright.sync_api import sync_playwright

    models = [tuple(int(v) for v in s.split("x")) for s in args.models.split(",")]
    systems = args.systems.split(",")
    seconds, repeats, warmup = (0.25, 2, 0.2) if args.quick else (0.6, 3, 0.4)
    opts = {"pipeline": PIPELINE, "seconds": seconds, "repeats": repeats, "warmup": warmup}
    where = machine()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "python " + " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    browser_version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    data = {m: problem(*m) for m in models}
    optimizers = args.optimizers.split(",")
    refs = {o: {m: reference_losses(d, o) for m, d in data.items()} for o in optimizers}

    cache = tempfile.mkdtemp(prefix="webgrad-bench-cache-")
    server, url = start_server(cache)
    peer_server, peer_url = start_peer_server()
    profile_dir = tempfile.mkdtemp(prefix="webgrad-bench-chromium-")
    results = {o: {s: {} for s in systems} for o in optimizers}
    chains, profiles = {}, {}
    t_start = time.monotonic()
    log = lambda *a: print(f"[{time.monotonic() - t_start:5.0f} s]", *a, file=sys.stderr, flush=True)
    try:
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(profile_dir, executable_path=CHROMIUM, headless=True,
                                                           args=QUIET_ARGS + WEBGPU_ARGS)
            console = context.new_page()
            console.goto(url + "/console")
            console.wait_for_selector("body[data-state=ready]", timeout=120_000)
            ready = console.evaluate("window.webgradReady")
            log("webgrad console ready:", ready["device"])
            pages = {}
            for key, prefix in (("plain", ""), ("iso", "/iso")):
                if key == "iso" and "jax-wasm-iso" not in systems:
                    continue
                page = pages[key] = context.new_page()
                page.on("pageerror", lambda e: log("[peers pageerror]", e))
                page.goto(peer_url + prefix + "/peers.html")
                page.wait_for_function("document.body.dataset.state !== 'loading'", timeout=120_000)
            peers = pages["plain"]
            peer_info = peers.evaluate("window.peers.ready")
            log("peers ready:", json.dumps(peer_info))
            step_source = (ROOT / "benchmarks" / "mlp_step.py").read_text()
            console_run(console, f"MARK = {MARK!r}\n" + step_source + WEBGRAD_PRELUDE + "\n_bench_call(lambda: {'ok': 1})\n")

            for m in models:
                h, b = m
                blob = json.dumps(data[m])
                console_run(console, f"import json\nDATA = json.loads({blob!r})\nprint({MARK!r} + '{{}}')\n")
                for o, s in [(o, s) for o in optimizers for s in systems]:
                    lr = OPTIMIZERS[o]
                    if s in ("eager", "traced", "single"):
                        r = webgrad_call(console, f"webgrad_cell({s!r}, DATA, {o!r}, {PIPELINE}, {seconds}, "
                                                  f"{repeats}, {warmup})")
                    else:
                        try:
                            page = pages["iso" if s.endswith("-iso") else "plain"]
                            r = page.evaluate("([s, d, lr, o]) => window.peers.train(s, d, lr, o)",
                                              [s, data[m], lr, dict(opts, optimizer=o, adam=ADAM)])
                        except Exception as e:        # a peer that fails is reported, not fatal
                            r = {"error": str(e).splitlines()[0][:200]}
                    results[o][s][m] = r
                    log(f"2-{h}-{h}-1 b{b} {o} {s}:", "error: " + r["error"] if "error" in r else
                        f"every {max(r['every']):.1f}/s, pipelined {max(r['piped']):.1f}/s, first loss {r['first'][0]:.6f} "
                        f"(ref {refs[o][m][0]:.6f}), dispatches/step {r.get('dispatchesPerStep')}")
                if "traced" in systems and b <= 32:
                    profiles[m] = webgrad_call(console, "traced_profile(DATA)")
                    log(f"profile 2-{h}-{h}-1 b{b}:", {k: v for k, v in profiles[m].items() if k != "cprofile"})

            chains["webgrad (Pyodide, worker)"] = webgrad_call(console, "webgrad_chain()")
            for lib, name in (("jax", "jax-js 0.1.25 webgpu"), ("tf", "TF.js 4.22 webgpu")):
                try:
                    chains[name] = peers.evaluate("(lib) => window.peers.chain(lib)", lib)
                except Exception as e:
                    chains[name] = {"error": str(e).splitlines()[0][:200]}
            log("chains:", chains)
            context.close()
    finally:
        server.terminate()
        server.wait(10)
        peer_server.shutdown()
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(profile_dir, ignore_errors=True)

    header = "\n".join([
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {where}",
        f"- browser: {browser_version}, headless, `{' '.join(WEBGPU_ARGS)}`, one browser for every system",
        f"- adapter: {ready['device']} (webgrad, in its worker); `{peer_info['adapter']}` (peers' page, main thread)",
        f"- peers: on an ordinary page (benchmarks/web/peers.html, main thread), jax-js devices {peer_info['jaxDevices']}, "
        f"TF.js {peer_info['tfVersion']} (wasm: 1 thread, SIMD); webgrad's console page is cross-origin isolated; "
        f"navigator.hardwareConcurrency = {peer_info['hardwareConcurrency']}",
        f"- load average before the run (1, 5, 15 min): {load}; after: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + " (2 cores, shared with other work: numbers are noisy)",
        f"- command: `{command}` ({time.monotonic() - t_start:.0f} s)",
        f"- MLP 2-H-H-1, tanh, sigmoid cross-entropy; SGD lr {OPTIMIZERS['sgd']}, Adam lr {OPTIMIZERS['adam']} "
        f"(beta {ADAM[0]}, {ADAM[1]}, epsilon {ADAM[2]:g}); one fixed batch of a random 2-D binary problem, "
        f"same initial parameters everywhere",
    ])
    body = tables(results, chains, refs, models) + profile_text(profiles)
    print(header + "\n\n" + body)
    for m, p in profiles.items():
        if p.get("cprofile"):
            print(f"\ncProfile of 100 traced calls, 2-{m[0]}-{m[0]}-1 b{m[1]}:\n{p['cprofile']}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": {o: {s: {f"{h}x{b}": c for (h, b), c in r.items()}
                                                               for s, r in rs.items()} for o, rs in results.items()},
                                               "chains": chains, "profiles": {f"{h}x{b}": v for (h, b), v in profiles.items()},
                                               "peer_info": peer_info, "ready": ready}, indent=1))
    if not args.no_write:
        path = ROOT / "BENCHMARKS.md"
        with open(path, "a") as f:        # append only: the other sections belong to other benchmarks
            f.write(f"\n{HEADING}\n\n{header}\n\n{body}\n")
        print(f"\nappended to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
