"""webgrad in the browser: cold start, eager per-op overhead and traced calls, next to the desktop.

Starts ``webgrad serve`` on a free loopback port, opens the console in headless Chromium (the e2e
tests' flags: WebGPU on SwiftShader), and measures

- cold start: navigation to "ready" (WebGPU opened, Pyodide started, the core's wheel installed
  and imported), the median of 3 fresh browser profiles;
- eager overhead: a chain of 50 ``add`` on 32x64 float32 after warm-up, then one synchronize,
  per op (median of 21 chains), in the page and on the desktop (wgpu-py) in this same run;
- traced: the same chain under ``@wg.function``, per call: 100 calls then one wait, and one call
  then a wait (the device's submit-to-done latency);
- a dispatch + readback round trip (``(x + 1).item()``).

Prints a markdown table and appends it to BENCHMARKS.md under its own heading.

    $ python benchmarks/browser.py              # or --no-write to only print
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from e2e.conftest import CHROMIUM, QUIET_ARGS, WEBGPU_ARGS  # noqa: E402  (the e2e tests' browser flags)

HEADING = "## Browser (headless Chromium, SwiftShader)"
PROFILES = 3
MARK = "BENCH-RESULT "

# Plain webgrad, run as is in the page (through the console) and on the desktop (exec here).
MEASURE = r'''
import json, time
import webgrad as wg

def median(xs):
    return sorted(xs)[len(xs) // 2]

def chain(s, one):
    for _ in range(50):
        s = s + one
    return s

def seconds_per_call(f, *args, calls=1, trials=21):
    """Median time of ``calls`` calls in a row and one wait for the device, per call."""
    times = []
    for _ in range(trials):
        wg.synchronize()
        t = time.perf_counter()
        for _ in range(calls):
            f(*args)
        wg.synchronize()
        times.append((time.perf_counter() - t) / calls)
    return median(times)

a, one = wg.zeros(32, 64), wg.ones(32, 64)
traced_chain = wg.function(chain)
for f in (chain, traced_chain):
    assert f(a, one).sum().item() == 50 * 32 * 64
    for _ in range(5):                       # warm-up: kernels compiled, buffer pool filled
        f(a, one)
eager = seconds_per_call(chain, a, one)
traced = seconds_per_call(traced_chain, a, one, calls=100)
traced_waited = seconds_per_call(traced_chain, a, one)
x = wg.ones(1)
readback = seconds_per_call(lambda: (x + 1).item())
print("MARK" + json.dumps({"device": wg.default_device().name, "eager_us_per_op": eager / 50 * 1e6,
                           "traced_us_per_call": traced * 1e6,
                           "traced_waited_us": traced_waited * 1e6, "readback_ms": readback * 1e3,
                           "traced_dispatches": traced_chain.plan.summary()["dispatches"]}))
'''.replace("MARK", MARK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(cache: str) -> tuple[subprocess.Popen, str]:
    """``webgrad serve`` on a free port with its cache in ``cache``, once it has made Pyodide's snapshot
    (as a user's server has by their first visit): (process, URL)."""
    port = free_port()
    logdir = tempfile.mkdtemp(prefix="webgrad-bench-runs-")
    proc = subprocess.Popen([sys.executable, "-m", "webgrad_server.cli", "serve", "--port", str(port),
                             "--logdir", logdir], cwd=ROOT, env=dict(os.environ, WEBGRAD_CACHE=cache),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            sys.exit(f"webgrad serve exited with {proc.returncode}: {proc.stdout.read()}")
        try:
            core = httpx.get(url + "/core.json", timeout=1).json()     # builds the wheel once
            if core["snapshot"]:
                return proc, url
            if core["no_snapshot"]:
                print(f"webgrad serve made no Pyodide snapshot: {core['no_snapshot']}", file=sys.stderr)
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            sys.exit("webgrad serve had no snapshot within 120 s")
        time.sleep(0.2)


def make_cache(cache: str) -> None:
    """The server's cache (the core's wheel, Pyodide's snapshot) made by one start, as a user's server has it."""
    proc, _ = start_server(cache)
    proc.terminate()
    proc.wait(10)


def serve_logdir(logdir: Path, cache: str) -> tuple[subprocess.Popen, str]:
    """``webgrad serve --logdir`` on a free loopback port with its cache in ``cache``: (process, URL); not
    waited for."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "webgrad_server.cli", "serve", "--port", str(port),
                             "--logdir", str(logdir)], cwd=ROOT, env=dict(os.environ, WEBGRAD_CACHE=cache),
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def serve_tensorboard(logdir: Path) -> tuple[subprocess.Popen, str]:
    """``tensorboard --logdir`` (this environment's, its Rust data server where installed) on a free loopback
    port: (process, URL); not waited for."""
    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("tensorboard")), "--logdir", str(logdir),
                             "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def fresh_browser(playwright, prefix: str = "webgrad-bench-chromium-", **options):
    """Chromium with WebGPU (the e2e tests' flags) on a new, empty profile (a cold first visit),
    closed and its profile removed afterwards; ``options`` go to Playwright (e.g. a viewport)."""
    profile = tempfile.mkdtemp(prefix=prefix)
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=QUIET_ARGS + WEBGPU_ARGS, **options)
    try:
        yield context
    finally:
        context.close()
        shutil.rmtree(profile, ignore_errors=True)


def open_console(context, url: str):
    """The console in ``context``, once ready: (page, ready info)."""
    page = context.new_page()
    page.goto(url + "/console")
    page.wait_for_selector("body[data-state=ready]", timeout=120_000)
    return page, page.evaluate("window.webgradReady")


def run_in_console(page, code: str) -> dict:
    """Type ``code`` into the console, run it, and return the JSON line it printed."""
    runs = page.locator("#output .meta").count()
    page.locator("#editor").fill(code)
    page.locator("#run").click()
    page.wait_for_function(f"document.querySelectorAll('#output .meta').length > {runs}", timeout=300_000)
    out = page.locator("#output").inner_text()
    line = next((ln for ln in out.splitlines() if ln.startswith(MARK)), None)
    if line is None:
        sys.exit(f"the page printed no result:\n{out}")
    return json.loads(line[len(MARK):])


def measure_desktop() -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(MEASURE, "measure.py", "exec"), {"__name__": "__main__"})
    line = next(ln for ln in out.getvalue().splitlines() if ln.startswith(MARK))
    return json.loads(line[len(MARK):])


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                   if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        system = platform.freedesktop_os_release()["PRETTY_NAME"]
    except OSError:
        system = platform.platform()
    return f"{cpu}, {os.cpu_count()} cores, {system}; Python {platform.python_version()}"


def table(cold: list[dict], page: dict, desktop: dict) -> str:
    total = statistics.median(r["total"] for r in cold) / 1e3
    phases = ", ".join(f"{k} {statistics.median(r['timings'][k] for r in cold):.0f} ms" for k in cold[0]["timings"])
    each = ", ".join(f"{r['total'] / 1e3:.1f}" for r in cold)
    rows = [
        ("| measure | browser (Pyodide, SwiftShader) | desktop (wgpu-py, lavapipe) |"),
        ("| --- | --- | --- |"),
        (f"| cold start: navigation to ready, median of {len(cold)} fresh profiles | {total:.2f} s "
         f"({each} s; {phases}) | — |"),
        (f"| eager: chain of 50 adds on 32x64, per op | {page['eager_us_per_op']:.0f} µs | "
         f"{desktop['eager_us_per_op']:.0f} µs |"),
        (f"| traced (`@wg.function`): the same chain, per call, 100 calls then one wait "
         f"({page['traced_dispatches']} dispatch{'es' if page['traced_dispatches'] != 1 else ''} a call) | "
         f"{page['traced_us_per_call']:.0f} µs | {desktop['traced_us_per_call']:.0f} µs |"),
        (f"| traced: one call and a wait for the device | {page['traced_waited_us']:.0f} µs | "
         f"{desktop['traced_waited_us']:.0f} µs |"),
        (f"| one dispatch + readback round trip (`(x + 1).item()`) | {page['readback_ms']:.2f} ms | "
         f"{desktop['readback_ms']:.2f} ms |"),
    ]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the table, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set WEBGRAD_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    where = machine()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())   # before this run adds its own
    command = "python " + " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    browser_version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    cache = tempfile.mkdtemp(prefix="webgrad-bench-cache-")
    server, url = start_server(cache)
    cold, page_result = [], None
    try:
        with sync_playwright() as p:
            for i in range(PROFILES):
                with fresh_browser(p) as context:
                    page, ready = open_console(context, url)
                    cold.append(ready)
                    print(f"cold start {i + 1}: {ready['total'] / 1e3:.2f} s {ready['timings']}", file=sys.stderr,
                          flush=True)
                    if i == PROFILES - 1:
                        page_result = run_in_console(page, MEASURE)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(cache, ignore_errors=True)
    desktop = measure_desktop()      # after the browser closed: the cores are not shared

    header = "\n".join([
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {where}",
        f"- browser: {browser_version}, headless, `{' '.join(WEBGPU_ARGS)}`",
        f"- adapters: {page_result['device']} in the page; {desktop['device']} on the desktop",
        f"- load average before the run (1, 5, 15 min): {load}",
        f"- command: `{command}`",
    ])
    body = table(cold, page_result, desktop)
    print(header + "\n\n" + body)
    if not args.no_write:
        path = ROOT / "BENCHMARKS.md"
        section = f"\n{HEADING}\n\n{header}\n\n{body}\n"
        new = not path.exists() or path.stat().st_size == 0
        with open(path, "a") as f:        # append only: the other sections belong to other benchmarks
            f.write(("# webgrad benchmarks\n" if new else "") + section)
        print(f"\nappended to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
