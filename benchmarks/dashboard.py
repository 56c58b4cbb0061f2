"""The runs dashboard beside TensorBoard, on one generated logdir, in the same run.

Writes a logdir of ``--runs`` runs x 3 scalar tags (loss, accuracy, learning_rate) x ``--points`` steps
(one run written with webgrad's SummaryWriter, its event file copied into every run's folder), then, for
each server in turn on a free loopback port:

- webgrad (``webgrad serve --logdir``, its cache made by a first start: the core's wheel and Pyodide
  snapshot, which a first start after an upgrade makes in the background): the time from starting the server until ``GET /api/runs`` lists
  every run, and until every run is read (each run's ``loaded``); in headless Chromium, the time from
  opening ``/runs`` until the run list shows every run, and, once the cards have drawn the first 50 runs,
  from filtering the runs down to 20 others until the ``loss`` card has drawn those 20; a point appended to a run's event file until it is in the open
  card (the ``data-last-step`` of the card); the server's resident memory once every run is read.
- TensorBoard (``tensorboard --logdir``, its Rust data server where installed, as it starts by
  default): the time from starting it until ``/data/runs`` lists every run, and until
  ``/data/plugin/scalars/tags`` has every run's 3 tags; the 20 runs' ``loss`` series fetched together
  (its page's own requests for a card); the resident memory of TensorBoard and its data server.

Prints a markdown table; ``--write`` puts it in BENCHMARKS.md under its own heading.

    $ .venv/bin/python benchmarks/dashboard.py --runs 100 --points 10000
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.browser import machine, make_cache, serve_logdir, serve_tensorboard  # noqa: E402
from benchmarks.playground import publish  # noqa: E402
from e2e.conftest import CHROMIUM, QUIET_ARGS  # noqa: E402

HEADING = "## Dashboard: webgrad's /runs and TensorBoard on one logdir"
TAGS = ("loss", "accuracy", "learning_rate")
CARD_RUNS = 20


def make_logdir(root: Path, runs: int, points: int) -> float:
    """``runs`` folders ``run_0000``... each holding the same event file of 3 tags x ``points`` steps;
    returns the seconds it took."""
    from webgrad.event_files import SummaryWriter

    t = time.perf_counter()
    template = root / "template"
    w = SummaryWriter(template)
    start = time.time() - points
    for step in range(points):
        loss = math.exp(-step / (points / 5)) + 0.05 * math.sin(step)
        for tag, v in zip(TAGS, (loss, 1.0 - loss / 2, 0.01 * 0.5 ** (step // (points // 4 or 1)))):
            w.scalar(tag, v, step, wall_time=start + step)
    w.close()
    for i in range(runs):
        folder = root / "logs" / f"run_{i:04d}"
        folder.mkdir(parents=True)
        shutil.copyfile(w.path, folder / Path(w.path).name)
    shutil.rmtree(template)
    return time.perf_counter() - t


def rss_mb(pid: int, tree: bool = False) -> float:
    """Resident memory of ``pid`` (and, with ``tree``, its children), in MB."""
    pids = [pid]
    if tree:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
    total = 0
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:"))
    return total / 1024


def wait_for(check, within_s: float, what: str) -> float:
    """Poll ``check()`` every 20 ms until true; the seconds it took (exits naming ``what`` on a timeout)."""
    t = time.perf_counter()
    while time.perf_counter() - t < within_s:
        try:
            if check():
                return time.perf_counter() - t
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(0.02)
    sys.exit(f"{what}: not within {within_s} s")


def measure_webgrad(logdir: Path, runs: int, points: int, within_s: float, cache: str) -> dict:
    from playwright.sync_api import sync_playwright

    t0 = time.perf_counter()
    proc, url = serve_logdir(logdir, cache)
    try:
        listed = lambda: len(httpx.get(url + "/api/runs", timeout=30).json()["runs"]) == runs   # noqa: E731
        wait_for(listed, within_s, "webgrad: the run list")
        out = {"api_runs_s": time.perf_counter() - t0}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=QUIET_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            page.goto(url + "/runs")
            page.wait_for_function(f"document.querySelectorAll('#runs li').length === {runs}", timeout=within_s * 1000)
            out["page_runs_s"] = time.perf_counter() - t
            all_read = lambda: all(r["loaded"] for r in httpx.get(url + "/api/runs", timeout=30).json()["runs"])  # noqa: E731
            wait_for(all_read, within_s, "webgrad: every run read")
            out["all_read_s"] = time.perf_counter() - t0
            out["rss_mb"] = rss_mb(proc.pid)
            first = min(runs, 50)            # the cards' first picture done: nothing of it still in flight
            page.wait_for_function(f"""() => {{ const c = document.querySelector('.card[data-tag="loss"]');
                return c && c.dataset.runs && c.dataset.runs.split('\\n').length === {first}; }}""",
                                   timeout=within_s * 1000)
            t = time.perf_counter()
            page.fill("#run-filter", "^run_00[56]")      # runs 50-69: not among the 50 the cards drew first
            page.wait_for_function(f"""() => {{ const c = document.querySelector('.card[data-tag="loss"]');
                return c && c.dataset.runs && c.dataset.runs.split('\\n').length === {CARD_RUNS}; }}""",
                                   timeout=within_s * 1000)
            out["card_s"] = time.perf_counter() - t
            from webgrad.event_files import SummaryWriter
            with SummaryWriter(logdir / "run_0050") as w:        # one of the runs on screen
                t = time.perf_counter()
                w.scalar("loss", 0.01, points + 5)
            page.wait_for_function(f"""() => document.querySelector('.card[data-tag="loss"]').dataset.lastStep
                                       === '{points + 5}'""", timeout=within_s * 1000)
            out["live_s"] = time.perf_counter() - t
            browser.close()
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def measure_tensorboard(logdir: Path, runs: int, within_s: float) -> dict:
    t0 = time.perf_counter()
    proc, url = serve_tensorboard(logdir)
    try:
        listed = lambda: len(httpx.get(url + "/data/runs", timeout=30).json()) == runs      # noqa: E731
        wait_for(listed, within_s, "TensorBoard: the run list")
        out = {"api_runs_s": time.perf_counter() - t0}

        def tagged():
            tags = httpx.get(url + "/data/plugin/scalars/tags", timeout=30).json()
            return len(tags) == runs and all(len(t) == len(TAGS) for t in tags.values())
        wait_for(tagged, within_s, "TensorBoard: every run's tags")
        out["all_read_s"] = time.perf_counter() - t0
        out["rss_mb"] = rss_mb(proc.pid, tree=True)
        names = [f"run_{i:04d}" for i in range(CARD_RUNS)]
        t = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(6) as pool:      # a browser's connections to one host
            got = list(pool.map(lambda r: httpx.get(url + "/data/plugin/scalars/scalars",
                                                    params={"run": r, "tag": "loss"}, timeout=60).json(), names))
        out["card_s"] = time.perf_counter() - t
        out["card_points"] = sum(map(len, got)) // CARD_RUNS
        return out
    finally:
        proc.terminate()
        proc.wait(10)


def table(args, made_s: float, ours: dict, theirs: dict) -> str:
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    f = lambda v: "–" if v is None else (f"{v:.2f} s" if v < 100 else f"{v:.0f} s")   # noqa: E731
    rows = [
        ("server start to the run list in its API", f(ours["api_runs_s"]), f(theirs["api_runs_s"])),
        ("opening the page to the run list shown (webgrad's page)", f(ours["page_runs_s"]), "–"),
        ("server start to every run read", f(ours["all_read_s"]), f(theirs["all_read_s"])),
        (f"a card of {CARD_RUNS} runs: filter to drawn (webgrad) / the {CARD_RUNS} series fetched (TensorBoard)",
         f(ours["card_s"]), f(theirs["card_s"]) + f" ({theirs['card_points']} points a run)"),
        ("a point written to the open card", f(ours["live_s"]), "its reload interval (5 s by default)"),
        ("server resident memory, every run read", f"{ours['rss_mb']:.0f} MB", f"{theirs['rss_mb']:.0f} MB"),
    ]
    return "\n".join([
        HEADING, "",
        f"{when}, {machine()}; `python benchmarks/dashboard.py --runs {args.runs} --points {args.points}`: "
        f"{args.runs} runs x {len(TAGS)} scalar tags x {args.points:,} points ({args.runs * len(TAGS) * args.points:,} "
        f"points, written in {made_s:.0f} s). TensorBoard {tensorboard_version()}.", "",
        "| measure | webgrad | TensorBoard |", "| --- | ---: | ---: |",
        *[f"| {a} | {b} | {c} |" for a, b, c in rows], ""])


def tensorboard_version() -> str:
    import tensorboard
    try:
        import tensorboard_data_server  # noqa: F401
        return f"{tensorboard.__version__} with its Rust data server"
    except ImportError:
        return f"{tensorboard.__version__} (Python reader)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--within-s", type=float, default=600, help="give up on a measure after this long")
    parser.add_argument("--write", action="store_true", help="put the table in BENCHMARKS.md (its own section)")
    args = parser.parse_args()
    if args.runs < 70:
        parser.error("--runs must be at least 70: the card measure filters the run list to runs 50-69")
    with tempfile.TemporaryDirectory(prefix="webgrad-bench-logdir-") as tmp:
        root = Path(tmp)
        made_s = make_logdir(root, args.runs, args.points)
        logdir = root / "logs"
        cache = str(root / "cache")
        make_cache(cache)
        theirs = measure_tensorboard(logdir, args.runs, args.within_s)
        ours = measure_webgrad(logdir, args.runs, args.points, args.within_s, cache)
    text = table(args, made_s, ours, theirs)
    publish(text, HEADING, args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
