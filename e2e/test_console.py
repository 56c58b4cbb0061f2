"""The console page as a person uses it: type Python, press Run, read the output."""
from __future__ import annotations

import gzip
import re

from playwright.sync_api import expect
from webgrad_server.app import web_dir
from webgrad_server.snapshot import Snapshots
from webgrad_server.wheel import core_wheel

from .conftest import serving

READY_TIMEOUT = 90_000    # Pyodide's first start on a cold profile, on a busy two-core machine
RUN_TIMEOUT = 120_000     # the first matmul measures its kernel variants (seconds on SwiftShader)

EXAMPLE = ("import webgrad as wg; x = wg.tensor([[1.0,2.0],[3.0,4.0]], requires_grad=True); "
           "y=(x@x.T).relu().sum(); y.backward(); print(y.item(), x.grad.tolist(), wg.default_device())")

BROKEN_KERNEL = '''import webgrad as wg
wg.default_device().backend.compile("""@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1)
fn main() {
    out[0] = undefined_thing * 2.0;
}
""", "broken")
'''


def open_console(page, server):
    page.goto(server + "/console")
    expect(page.locator("body")).to_have_attribute("data-state", "ready", timeout=READY_TIMEOUT)
    return page.evaluate("window.webgradReady")


def run(page, code: str, shortcut: bool = False) -> str:
    """Type ``code``, run it (Run button or Ctrl+Enter), return the output's text once the run ended."""
    runs = page.locator("#output .meta").count()
    page.locator("#editor").fill(code)
    if shortcut:
        page.locator("#editor").press("Control+Enter")
    else:
        page.locator("#run").click()
    expect(page.locator("#output .meta")).to_have_count(runs + 1, timeout=RUN_TIMEOUT)
    return page.locator("#output").inner_text()


def test_console_runs_autodiff_on_webgpu(page, server, artifacts):
    ready = open_console(page, server)
    adapter = ready["device"]
    assert adapter.startswith("webgpu:") and "swiftshader" in adapter.lower(), adapter
    assert ready["python"] == "snapshot"      # started from the server's memory snapshot of the core
    expect(page.locator("#device")).to_have_text(adapter)

    out = run(page, EXAMPLE)
    assert f"52.0 [[8.0, 12.0], [8.0, 12.0]] <webgrad device {adapter}>" in out, out
    assert "done in" in out
    page.screenshot(path=str(artifacts / "console.png"))
    print(f"ready in {ready['total']} ms after navigation; phases {ready['timings']}")


EAGER_CHAIN = """
import time, webgrad as wg
a, one = wg.zeros(32, 64), wg.ones(32, 64)
times = []
for trial in range(5):
    t = time.perf_counter()
    s = a
    for i in range(200):
        s = s + one
    total = s.sum().item()
    times.append(time.perf_counter() - t)
    assert total == 200 * 32 * 64, total
times.sort()
print(f"200 adds + readback: median {times[2] * 1e3:.1f} ms, {times[2] / 200 * 1e6:.0f} us/op")
"""


def test_a_chain_of_eager_ops_spans_several_submits(page, server):
    # 200 dispatches: several automatic submits, buffers reused from the pool between them.
    open_console(page, server)
    out = run(page, EAGER_CHAIN)
    assert "200 adds + readback: median" in out and "failed in" not in out, out
    print(out.strip().splitlines()[-2])


TRACED_CHAIN = """
import time, webgrad as wg
def chain(x, y):
    for _ in range(10):
        x = (x * 1.01 + y).tanh() * 0.5 + x.sigmoid()
    return (x * y).sum()
wg.manual_seed(0)
x, y = wg.randn(4096), wg.randn(4096)
eager = chain(x, y).item()
t = time.perf_counter()
traced = wg.function(chain)
value = traced(x, y).item()
ms = (time.perf_counter() - t) * 1e3
wgsl = sum(len(k.source) for k, _, _ in traced.plan.steps)
print(f"eager {eager:.4f} traced {value:.4f} close {abs(eager - value) <= 1e-4 * abs(eager)}")
print(f"traced the depth-10 chain in {ms:.0f} ms: {len(traced.plan.steps)} kernels, {wgsl} characters of WGSL")
"""


def test_a_traced_chain_that_reuses_values_runs_in_the_page(page, server):
    # Each level reads x three times: as a tree the fused expression doubled per level and never finished.
    open_console(page, server)
    out = run(page, TRACED_CHAIN)
    assert "close True" in out and "failed in" not in out, out
    print(out.strip().splitlines()[-2])


NETWORK_CHANGES = """import webgrad as wg
(x, y), _ = wg.datasets.load_playground("circle", n_samples=200, seed=0)
device = wg.default_device()

def fit(widths):
    model = wg.Sequential([wg.Input(shape=(2,))] + [wg.layers.Dense(w, activation="tanh") for w in widths]
                          + [wg.layers.Dense(1)])
    model.compile(wg.optimizers.SGD(0.03), "mse")
    return model.fit(x, y, batch_size=10, epochs=2, verbose=0).history["loss"][-1]

fit([4, 2])                       # the Playground's default network
before = device.stats()["compiled"]
for widths in ([5, 2], [5, 2, 3], [8, 8, 8, 8, 8, 8], [1, 7]):
    print(widths, "loss", round(fit(widths), 3))
print("pipelines compiled for the changes:", device.stats()["compiled"] - before)
"""


def test_a_new_width_or_layer_compiles_no_pipeline_in_the_page(page, server):
    # The playground's loop (+ and - on neurons and layers): small kernels read their sizes at run time.
    open_console(page, server)
    out = run(page, NETWORK_CHANGES)
    assert "pipelines compiled for the changes: 0" in out and "Traceback" not in out, out
    assert out.count(" loss ") == 4, out


def test_console_keeps_state_between_runs_and_shows_values_and_output(page, server):
    open_console(page, server)
    run(page, "import webgrad as wg\nt = wg.arange(6).reshape(2, 3)")
    out = run(page, "(t * 2).tolist()", shortcut=True)
    assert "[[0, 2, 4], [6, 8, 10]]" in out, out
    out = run(page, 'print("no newline", end="")')      # a partial line still shows
    assert "no newline\n— done" in out, out


def test_measured_kernel_choices_persist_across_page_loads(page, server):
    open_console(page, server)
    # 64 x 64 x 64 is past the size where matmuls take the naive kernel: the device times the variants
    # once they have compiled in the background (the first matmul runs on the naive stand-in)
    run(page, "import webgrad as wg\nprint((wg.ones(64, 64) @ wg.ones(64, 64)).sum().item())\n"
              "wg.default_device().finish_compiles()\nprint((wg.ones(64, 64) @ wg.ones(64, 64)).sum().item())")
    open_console(page, server)     # a new worker, a new Python: the choices come from IndexedDB
    out = run(page, "import webgrad as wg\nprint(sorted(wg.default_device().choices))")
    assert "'matmul'" in out, out


FIRST_FIT = """
import time, webgrad as wg
x, y = wg.randn(10, 2), wg.randn(10, 1)
model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(8, activation="tanh"), wg.layers.Dense(3),
                       wg.layers.Dense(1)])
model.compile(wg.optimizers.SGD(0.1), "mse")
t = time.perf_counter()
model.fit(x, y, batch_size=10, epochs=1, verbose=0)
print(f"first fit step {(time.perf_counter() - t) * 1e3:.0f} ms")
s = wg.default_device().stats()
print("compiled", s["compiled"], "ahead", s["used_ahead"], "of", s["compiled_ahead"])
"""


def _compiled(out: str) -> tuple[int, int, int]:
    compiled, ahead, started = re.search(r"compiled (\d+) ahead (\d+) of (\d+)", out).groups()
    return int(compiled), int(ahead), int(started)


def test_a_second_visit_compiles_its_kernels_ahead_while_python_starts(page, server):
    open_console(page, server)
    first = run(page, FIRST_FIT)
    page.wait_for_timeout(1500)    # the page keeps the WGSL it compiled a second after the last one
    open_console(page, server)     # a new worker, a new device: the kernels come from IndexedDB
    second = run(page, FIRST_FIT)
    compiled, used, started = _compiled(second)
    # every kernel was remembered and started ahead; those the step reached before the ahead queue
    # (two at a time) started them compile then, side by side with the plan's others
    assert compiled > 10 and started >= compiled and used >= compiled * 2 // 3, (first, second)
    print(first.splitlines()[-3:], second.splitlines()[-3:])


def test_compile_error_is_a_python_exception_with_the_wgsl_line(page, server, artifacts):
    open_console(page, server)
    out = run(page, BROKEN_KERNEL)
    assert "Traceback (most recent call last)" in out, out
    assert "KernelCompileError: kernel 'broken' failed to compile" in out, out
    assert re.search(r">\s+4 \|\s+out\[0\] = undefined_thing \* 2\.0;", out), out
    assert "failed in" in out
    expect(page.locator("#output .stderr").first).to_be_visible()
    page.screenshot(path=str(artifacts / "console_compile_error.png"))


def test_python_errors_point_at_the_console_code(page, server):
    open_console(page, server)
    out = run(page, "import webgrad as wg\nwg.ones(2, 3) @ wg.ones(2, 3)")
    assert 'File "console.py", line 2' in out, out
    assert "_pyodide" not in out, out     # Pyodide's own frames are left out


def test_without_webgpu_the_page_says_which_browsers_work(page_without_webgpu, server, artifacts):
    page = page_without_webgpu
    page.goto(server + "/console")
    expect(page.locator("body")).to_have_attribute("data-state", "nogpu", timeout=30_000)
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("WebGPU")
    expect(notice).to_contain_text("Chrome")
    expect(notice).to_contain_text("--enable-unsafe-webgpu")
    expect(page.locator("#run")).to_be_disabled()
    page.screenshot(path=str(artifacts / "console_no_webgpu.png"))


def test_a_broken_snapshot_costs_only_the_time_python_takes_to_boot(page, tmp_path, monkeypatch):
    monkeypatch.setenv("WEBGRAD_CACHE", str(tmp_path / "cache"))
    snapshots = Snapshots(web_dir())
    broken = snapshots.folder / snapshots.name(core_wheel())
    broken.parent.mkdir(parents=True)
    broken.write_bytes(gzip.compress(b"not a WebAssembly memory" * 1000))
    with serving(tmp_path / "cache", tmp_path / "runs") as url:
        ready = open_console(page, url)
        assert ready["python"] == "boot"
        out = run(page, EXAMPLE)
    assert "the Python snapshot did not load" in out and "starting Python without it" in out, out
    assert "52.0 [[8.0, 12.0], [8.0, 12.0]]" in out, out


SINGLE_KERNEL_FROM_THE_FIRST_CALL = """
import webgrad as wg
def make(single):
    wg.manual_seed(0)
    params = [wg.randn(2, 8, requires_grad=True), wg.zeros(8, requires_grad=True),
              wg.randn(8, 1, requires_grad=True), wg.zeros(1, requires_grad=True)]
    def step(x, y):
        w1, b1, w2, b2 = params
        loss = (((x @ w1 + b1).tanh() @ w2 + b2 - y) ** 2).mean()
        loss.backward()
        with wg.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        return loss
    return wg.function(step, single_kernel=single)
x, y = wg.rand(10, 2), wg.rand(10, 1)
one, traced = make(True), make(False)
a = [one(x, y).item() for _ in range(3)]
b = [traced(x, y).item() for _ in range(3)]
print("lowering", one.plan.summary()["lowering"], "same", all(abs(p - q) < 1e-5 for p, q in zip(a, b)), a)
"""


def test_a_single_kernel_step_asked_for_runs_from_its_first_call(page, server):
    # single_kernel=True waits for its kernel where the page compiles in the background
    open_console(page, server)
    out = run(page, SINGLE_KERNEL_FROM_THE_FIRST_CALL)
    assert "lowering single_kernel same True" in out and "Traceback" not in out, out


TIERED_ONE_STEP = """
import webgrad as wg
wg.manual_seed(0)
w = wg.randn(4, 8)
def forward(x):
    return ((x @ w).tanh() @ w.T).sum(axis=1)
x = wg.rand(64, 4)
tiered, plain = wg.function(forward, single_kernel="tiered"), wg.function(forward)
first = tiered(x).tolist()
before = tiered.plan.summary()["lowering"]
wg.default_device().finish_compiles()
again = tiered(x).tolist()
after = tiered.plan.summary()["lowering"]
want = plain(x).tolist()
same = all(abs(p - q) < 1e-5 for p, q in zip(first + again, want + want))
print("before", before, "after", after, "same", same)
"""


def test_a_tiered_one_step_function_runs_the_plan_until_its_kernel_compiled(page, server):
    # single_kernel="tiered" (the playground's frame): the first call waits for no big compile, runs the
    # normal plan, and once the one kernel has compiled in the background the next call runs it
    open_console(page, server)
    out = run(page, TIERED_ONE_STEP)
    assert "before plan after single_kernel same True" in out and "Traceback" not in out, out
