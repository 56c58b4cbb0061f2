"""TensorFlow Playground and webgrad's playground side by side: epochs a second, and time to a good fit.

Builds TensorFlow Playground from its repository (it is not on npm) once, into a cache folder
outside this tree (``~/.cache/webgrad/tf-playground/<commit>``: ``npm ci`` from its lock file, then
its own ``npm run build``), serves the built folder on a loopback port, starts ``webgrad serve``,
and in ONE headless Chromium (the e2e tests' flags: WebGPU on SwiftShader) opens, for each setup
(a Playground URL hash, the same one with the same seed on both pages), each page in a fresh
profile (cold: nothing cached), waits until it can train, clicks ``#play-pause-button`` and, from
that click, polls ``#iter-number`` and ``#loss-test`` every 20 ms in the page:

- epochs/s: the epoch counter as the page shows it while it draws, its rise over 5 s from the
  first epoch shown, divided by the time;
- the same in each further 5 s, for at least 15 s of play (the first seconds of webgrad's page run on
  kernels that compile fast while its faster ones compile in the background);
- the time from the click until ``#loss-test`` first reads below 0.1 (capped at 30 s);
- the time from the click to the first epoch shown (webgrad's page compiles its kernels while
  the page waits, and a click before that is done waits for it).

Requests to other hosts (TensorFlow Playground's Google fonts and analytics) are refused, so the
run needs no network. Each cell is the median of ``--runs`` rounds (the rounds' own figures in
brackets). Prints a markdown table; ``--write`` puts it in BENCHMARKS.md under its own heading
(replacing that section if it is there already).

    $ python benchmarks/playground.py [--runs 3] [--write]
"""
from __future__ import annotations

import argparse
import datetime
import functools
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.browser import fresh_browser, machine, start_server  # noqa: E402  (one way for benchmarks)
from e2e.conftest import CHROMIUM, WEBGPU_ARGS  # noqa: E402  (the e2e tests' browser and its flags)

HEADING = "## Playground: TensorFlow Playground and webgrad's, side by side (headless Chromium, SwiftShader)"
MIRROR = "/work/.mirror/tensorflow+playground/repo"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "webgrad" / "tf-playground"
SEED = "0.12345"
SETUPS = [  # (label, hash without the seed)
    ("defaults: circle, 2-4-2, tanh, lr 0.03, batch 10", ""),
    ("spiral, 8-8, tanh, X1 X2 sin(X1) sin(X2), lr 0.03, batch 10",
     "dataset=spiral&networkShape=8,8&sinX=true&sinY=true"),
    ("spiral, 8-8-8-8-8-8, tanh, all seven features, lr 0.03, batch 10",
     "dataset=spiral&networkShape=8,8,8,8,8,8&x=true&y=true&xSquared=true&ySquared=true&xTimesY=true"
     "&sinX=true&sinY=true"),
]
PAGES = ("tf", "webgrad")
VIEWPORT = {"width": 1280, "height": 760}
POLL_MS = 20
RATE_S = 5.0         # the epochs/s window, from the first epoch shown
# Play at least PLAY_S from the first epoch shown: three windows, the later ones past the first seconds'
# background compiles (webgrad's page tiers its kernels: see the instant-start issue).
PLAY_S = 15.0
CAP_S = 30.0         # how long to wait for a test loss below THRESHOLD
THRESHOLD = 0.1

# In the page once it can train: from the play button's click (capture phase: the event's own
# moment), every POLL_MS the epoch counter and the test loss as shown.
PROBE = """([poll, threshold]) => {
  const B = window.__bench = {t0: null, samples: [], firstEpoch: null, firstIter: null, below: null};
  const text = (id) => document.getElementById(id).textContent;
  const read = () => [+text("iter-number").replace(/[^0-9]/g, ""), parseFloat(text("loss-test"))];
  document.getElementById("play-pause-button").addEventListener("click", () => {
    if (B.t0 !== null) return;
    B.t0 = performance.now();
    const [start] = read();
    B.start = start;
    B.timer = setInterval(() => {
      const t = performance.now() - B.t0, [iter, loss] = read();
      B.samples.push([t, iter, loss]);
      if (B.firstEpoch === null && iter > start) { B.firstEpoch = t; B.firstIter = iter; }
      if (B.below === null && iter > start && loss < threshold) B.below = t;
    }, poll);
  }, true);
}"""
STATUS = """() => { const B = window.__bench;
  const last = B.samples.length ? B.samples[B.samples.length - 1] : null;
  return {t: B.t0 === null ? null : performance.now() - B.t0, firstEpoch: B.firstEpoch, below: B.below, last}; }"""


# ---- TensorFlow Playground: built once from its repository, served from the cache ------------------

def build_playground(repo: str, cache: Path) -> tuple[Path, str]:
    """The built ``dist`` folder of the repository's HEAD (built on the first call) and the commit."""
    git = ["git", "--git-dir", repo]
    head = subprocess.run(git + ["rev-parse", "HEAD"], capture_output=True, text=True)
    if not Path(repo).exists() or head.returncode != 0:
        sys.exit(f"no TensorFlow Playground repository at {repo} ({head.stderr.strip() or 'missing'}): "
                 "pass --playground-repo PATH (a clone or bare mirror of github.com/tensorflow/playground)")
    commit = head.stdout.strip()
    dist = cache / commit[:12] / "dist"
    if (dist / "bundle.js").is_file() and (dist / "index.html").is_file():
        return dist, commit
    if not shutil.which("npm"):
        sys.exit("npm is needed to build TensorFlow Playground (apt-get install npm)")
    work = cache / commit[:12]
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"building TensorFlow Playground {commit[:12]} in {work} (once)", file=sys.stderr, flush=True)
    archive = subprocess.Popen(git + ["archive", commit], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(work)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        sys.exit(f"git archive of {repo} failed")
    (work / "dist").mkdir(exist_ok=True)
    for step in (["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], ["npm", "run", "build"]):
        done = subprocess.run(step, cwd=work, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{' '.join(step)} failed in {work}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    if not (dist / "bundle.js").is_file():
        sys.exit(f"the build left no {dist / 'bundle.js'}")
    return dist, commit


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


# ---- one page, one setup, a fresh profile ---------------------------------------------------------

def _local_only(route):
    if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
        route.continue_()
    else:
        route.abort()


def measure(playwright, page_kind: str, base: str, hash_: str) -> dict:
    """Open the page in a fresh profile, wait until it can train, click play, and time it."""
    errors = []
    with fresh_browser(playwright, f"webgrad-playground-{page_kind}-", viewport=VIEWPORT) as context:
        context.route("**/*", _local_only)
        page = context.new_page()
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning")
                else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        t = time.monotonic()
        if page_kind == "tf":
            page.goto(f"{base}/index.html#{hash_}", wait_until="load", timeout=60_000)
            page.wait_for_function("document.querySelector('#heatmap canvas') && "
                                   "document.getElementById('iter-number').textContent === '000,000'",
                                   timeout=60_000)
            device = None
        else:
            page.goto(f"{base}/#{hash_}", timeout=60_000)
            page.wait_for_selector("body[data-state=ready] #play-pause-button:not([disabled])", timeout=120_000)
            device = page.evaluate("window.webgradReady && window.webgradReady.device")
        ready_s = time.monotonic() - t
        page.evaluate(PROBE, [POLL_MS, THRESHOLD])
        page.click("#play-pause-button")
        while True:
            time.sleep(0.25)
            s = page.evaluate(STATUS)
            t = (s["t"] or 0) / 1e3
            rate_done = s["firstEpoch"] is not None and t >= s["firstEpoch"] / 1e3 + max(RATE_S, PLAY_S) + 0.1
            if t >= CAP_S or (rate_done and s["below"] is not None):
                break
        result = page.evaluate("() => { clearInterval(window.__bench.timer); const B = window.__bench; "
                               "return {samples: B.samples, firstEpoch: B.firstEpoch, firstIter: B.firstIter, "
                               "below: B.below, start: B.start}; }")
        status = page.evaluate("document.getElementById('status') ? document.getElementById('status').textContent "
                               ": null")
    return dict(_summary(result), ready_s=ready_s, device=device, errors=errors, status=status)

def _summary(r: dict) -> dict:
    """Epochs/s over RATE_S from the first epoch shown, and the times, in seconds (None: never)."""
    out = {"first_epoch_s": None, "below_s": None, "epochs_per_s": None, "last_epoch": None, "last_loss": None}
    samples = r["samples"]
    if samples:
        out["last_epoch"], out["last_loss"] = samples[-1][1], samples[-1][2]
    if r["below"] is not None:
        out["below_s"] = r["below"] / 1e3
    if r["firstEpoch"] is None:
        return out
    t1, e1 = r["firstEpoch"], r["firstIter"]
    out["first_epoch_s"] = t1 / 1e3
    window = [s for s in samples if t1 < s[0] <= t1 + RATE_S * 1e3]
    if window:
        t2, e2 = window[-1][0], window[-1][1]
        if t2 > t1:
            out["epochs_per_s"] = (e2 - e1) / ((t2 - t1) / 1e3)
            out["rate_window_s"] = (t2 - t1) / 1e3
    out["chunks"] = []           # epochs/s in each further full RATE_S of play: does it speed up later?
    a = (t1, e1)
    for s in samples:
        if s[0] - a[0] >= RATE_S * 1e3:
            out["chunks"].append(round((s[1] - a[1]) / ((s[0] - a[0]) / 1e3), 1))
            a = (s[0], s[1])
    return out


# ---- the table --------------------------------------------------------------------------------------

def _median(values):
    """The median, None (never) counting as the largest; None when the median is never."""
    ranked = sorted(values, key=lambda v: float("inf") if v is None else v)
    m = ranked[len(ranked) // 2] if len(ranked) % 2 else None
    if len(ranked) % 2 == 0:
        a, b = ranked[len(ranked) // 2 - 1], ranked[len(ranked) // 2]
        m = None if a is None or b is None else (a + b) / 2
    return m


def _cell(runs: list[dict], key: str, kind: str) -> str:
    values = [r[key] for r in runs]
    never = f"not within {CAP_S:.0f} s"
    if kind == "rate":
        one = (lambda v: "—" if v is None else f"{v:.0f}")
    else:
        one = (lambda v: never if v is None else f"{v:.2f} s")
    text = one(_median(values))
    if len(runs) > 1:
        each = ", ".join("—" if v is None else (f"{v:.0f}" if kind == "rate" else f"{v:.2f}") for v in values)
        text += f" ({each})"
    return text


def _chunks(runs: list[dict]) -> str:
    """Epochs/s in each RATE_S of play from the first epoch shown, the median over the runs that got there."""
    longest = max(len(r.get("chunks", [])) for r in runs)
    medians = [statistics.median(r["chunks"][i] for r in runs if len(r.get("chunks", [])) > i) for i in range(longest)]
    return ", ".join(f"{m:.0f}" for m in medians) or "—"


def table(results: dict) -> str:
    rows = ["| setup (Playground URL state) | TF Playground epochs/s | webgrad epochs/s | "
            f"TF Playground: test loss < {THRESHOLD:g} after | webgrad: after | webgrad: first epoch shown after |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for label, hash_ in SETUPS:
        tf, wg = results[(hash_, "tf")], results[(hash_, "webgrad")]
        rows.append(f"| {label} (`#{_hash(hash_)}`) | {_cell(tf, 'epochs_per_s', 'rate')} | "
                    f"{_cell(wg, 'epochs_per_s', 'rate')} | {_cell(tf, 'below_s', 'time')} | "
                    f"{_cell(wg, 'below_s', 'time')} | {_cell(wg, 'first_epoch_s', 'time')} |")
    rows += ["", f"Epochs/s in each {RATE_S:.0f} s of play from the first epoch shown, until the run stopped "
             f"(a test loss below {THRESHOLD:g} and {max(RATE_S, PLAY_S):.0f} s of play, or {CAP_S:.0f} s from the "
             "click):", "",
             "| setup | TF Playground | webgrad |", "| --- | --- | --- |"]
    for label, hash_ in SETUPS:
        rows.append(f"| {label} | {_chunks(results[(hash_, 'tf')])} | {_chunks(results[(hash_, 'webgrad')])} |")
    return "\n".join(rows)


def _hash(h: str) -> str:
    return f"{h}&seed={SEED}" if h else f"seed={SEED}"


def publish(text: str, heading: str, write: bool) -> None:
    """Print a benchmark's table and, with ``write``, put it in BENCHMARKS.md under ``heading``."""
    print(text)
    if write:
        path = ROOT / "BENCHMARKS.md"
        print(f"{write_section(path, text, heading)} {path.name}")


def write_section(path: Path, section: str, heading: str = HEADING) -> str:
    """Replace the section under ``heading`` (up to the next ``## ``) or append it; returns what was done."""
    text = path.read_text() if path.exists() else "# webgrad benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if ln.rstrip("\n") == heading), None)
    if start is None:
        path.write_text(text.rstrip("\n") + "\n\n" + section)
        return "appended to"
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "".join(lines[end:])
    path.write_text("".join(lines[:start]) + section + ("\n" + rest if rest else ""))
    return "replaced its section in"


def other_browsers() -> int:
    """How many Chromium browsers (main processes) run now: other work sharing the machine."""
    n = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"chromium") and not any(a.startswith(b"--type=") for a in argv):
            n += 1
    return n


def webgrad_version() -> str:
    """HEAD, and the files of the app that differ from it in the working tree (read-only git)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(git + ["rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    changed = subprocess.run(git + ["diff", "--name-only", "HEAD", "--", "core", "web", "server", "webgpu_kernels"],
                             capture_output=True, text=True).stdout.split()
    return head + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--playground-repo", default=MIRROR,
                        help=f"git directory of TensorFlow Playground (default: {MIRROR})")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"where the Playground is built (default: {CACHE})")
    parser.add_argument("--runs", type=int, default=3, help="rounds over every setup and page; cells are medians")
    parser.add_argument("--budget-min", type=float, default=10.0,
                        help="start no further round when the last one says it would end past this many minutes")
    parser.add_argument("--write", action="store_true", help="put the table in BENCHMARKS.md (its own section)")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set WEBGRAD_CHROMIUM)")
    if not (ROOT / "web" / "node_modules" / "pyodide").is_dir():
        sys.exit("Pyodide is missing: run `npm ci --prefix web` first")
    began = time.monotonic()
    where, load = machine(), ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "python " + " ".join([os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:])
    browser_version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    ours, browsers_before = webgrad_version(), other_browsers()
    dist, commit = build_playground(args.playground_repo, args.cache)
    tf_server, tf_url = serve_folder(dist)
    cache = tempfile.mkdtemp(prefix="webgrad-playground-cache-")
    server, url = start_server(cache)
    results = {(h, p): [] for _, h in SETUPS for p in PAGES}
    devices, rounds = set(), 0
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as p:
            for i in range(args.runs):
                round_began = time.monotonic()
                for label, hash_ in SETUPS:
                    for kind in PAGES:       # the two pages one after the other: the same load on the machine
                        r = measure(p, kind, tf_url if kind == "tf" else url, _hash(hash_))
                        results[(hash_, kind)].append(r)
                        if r["device"]:
                            devices.add(r["device"])
                        shown = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()
                                 if k not in ("errors", "device")}
                        print(f"run {i + 1} {kind:7} {label[:24]:24} {shown}", file=sys.stderr, flush=True)
                        for e in r["errors"][:5]:
                            print(f"    {e[:300]}", file=sys.stderr, flush=True)
                rounds = i + 1
                now = time.monotonic()
                if i + 1 < args.runs and now + (now - round_began) - began > args.budget_min * 60:
                    print(f"stopping after {rounds} round(s): another would pass the {args.budget_min:g} min budget",
                          file=sys.stderr, flush=True)
                    break
    finally:
        server.terminate()
        server.wait(10)
        tf_server.shutdown()
        shutil.rmtree(cache, ignore_errors=True)
    took, browsers_after = time.monotonic() - began, other_browsers()
    if webgrad_version() != ours:
        ours += f" (the tree changed during the run: {webgrad_version()} at its end)"

    odd = []
    expected = ("net::ERR_FAILED", "Failed to load resource")       # refused hosts; the HTTP lines name the URL
    for (hash_, kind), runs in results.items():
        name = "TF Playground" if kind == "tf" else "webgrad"
        for n, r in enumerate(runs, 1):
            if r["first_epoch_s"] is None:
                odd.append(f"{name}, `#{_hash(hash_)}`, run {n}: no epoch shown within {CAP_S:.0f} s "
                           f"(status: {r['status']!r})")
            errs = [e for e in r["errors"] if not any(x in e for x in expected)
                    and not (kind == "tf" and e.endswith("/favicon.png"))]
            if errs:
                odd.append(f"{name}, `#{_hash(hash_)}`, run {n}: {len(errs)} console error(s)/warning(s), "
                           f"first: `{errs[0][:200]}`")
    header = "\n".join([
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {where}",
        f"- browser: {browser_version}, headless, `{' '.join(WEBGPU_ARGS)}`, viewport "
        f"{VIEWPORT['width']}x{VIEWPORT['height']}; webgrad's adapter: {', '.join(sorted(devices)) or '?'}",
        f"- TensorFlow Playground: github.com/tensorflow/playground at {commit[:12]}, built with its own "
        f"`npm run build` (browserify + tsify + uglify-js), served as static files; webgrad's page (`/`) at {ours}",
        f"- each page in a fresh browser profile (cold), one page at a time; the clock starts at the click on "
        f"`#play-pause-button` once the page can train (webgrad: `body[data-state=ready]`; its warm-up compile may "
        f"still run then, and the first epoch waits for it); `#iter-number` and `#loss-test` polled every "
        f"{POLL_MS} ms in the page",
        f"- epochs/s: the rise of `#iter-number` over {RATE_S:.0f} s from the first epoch shown (TF Playground "
        f"trains and draws one epoch an animation frame; webgrad's page draws after each call to its worker, "
        f"several epochs a call); test loss: as the page shows it (both the mean of ½(output - label)²), "
        f"waited for at most {CAP_S:.0f} s",
        (f"- each cell: the median of {rounds} runs (each run's figure in brackets)" if rounds > 1 else
         "- each cell: ONE run, not a median") +
        (f"; {args.runs} were asked, the rest left out to keep within {args.budget_min:g} min" if rounds < args.runs
         else ""),
        f"- seed `{SEED}` on both pages (the same string; each page draws its own points and weights from it); "
        "requests to other hosts refused (TF Playground's Google fonts and analytics); its `index.html` asks for a "
        "`favicon.png` its build does not make (a 404, left out below)",
        f"- load average before the run (1, 5, 15 min): {load}; other Chromium browsers running (other work on "
        f"this machine): {browsers_before} at the start, {browsers_after} at the end; the whole script took "
        f"{took / 60:.1f} min",
        f"- command: `{command}`",
    ])
    body = table(results)
    if odd:
        body += "\n\nSeen in the run:\n\n" + "\n".join(f"- {o}" for o in odd)
    print(header + "\n\n" + body)
    if args.write:
        path = ROOT / "BENCHMARKS.md"
        done = write_section(path, f"{HEADING}\n\n{header}\n\n{body}\n")
        print(f"\n{done} {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
