"""Training-step throughput on the desktop (wgpu-py): eager vs traced vs single-kernel, next to
PyTorch CPU eager measured in the same run. Prints a markdown table.

    python benchmarks/train_step_desktop.py              # all models, about 3 minutes
    python benchmarks/train_step_desktop.py --quick      # shorter timings

MLP 2-H-H-1, tanh, sigmoid cross-entropy; SGD (lr 0.1) and Adam (lr 0.01, beta 0.9 and 0.999,
epsilon 1e-7: each library's own Adam). "every step" reads the loss back after
each step; "pipelined" reads it every 100 steps (the single-kernel function runs 100 steps per
call, K=100, and returns all 100 losses at once). Each figure is the best of several timed runs:
other processes may share the machine, so compare figures of one run only.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time

import numpy as np

import webgrad as wg
from mlp_step import ADAM, OPTIMIZERS, make_step

K = 100
MODELS = [(8, 10), (64, 32), (64, 1024)]      # (hidden, batch)


def best_rate(run, steps_per_run: int, seconds: float, repeats: int) -> float:
    """Steps per second of ``run()`` (which takes ``steps_per_run`` steps), best of ``repeats``."""
    run()                                     # warm up: trace, compile, measure variants
    best = 0.0
    for _ in range(repeats):
        n, t0 = 0, time.perf_counter()
        while True:
            run()
            n += 1
            dt = time.perf_counter() - t0
            if dt >= seconds:
                break
        best = max(best, n * steps_per_run / dt)
    return best


def make_params(gpu, hidden, seed=0):
    rng = np.random.default_rng(seed)
    shapes = [(2, hidden), (hidden,), (hidden, hidden), (hidden,), (hidden, 1), (1,)]
    scale = [1.0, 0.0, hidden ** -0.5, 0.0, hidden ** -0.5, 0.0]
    return [wg.tensor((rng.normal(size=s) * c).astype(np.float32), device=gpu, requires_grad=True)
            for s, c in zip(shapes, scale)]


def dataset(hidden, batch):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(K, batch, 2)).astype(np.float32)
    y = (x[..., :1] * x[..., 1:] > 0).astype(np.float32)
    return x, y


def step_rates(step, x, y, seconds, repeats) -> tuple[float, float]:
    """Steps/s of ``step(x, y)`` with the loss read after every step, and after every K-th."""
    def pipelined():
        for _ in range(K - 1):
            step(x, y)
        step(x, y).item()
    return best_rate(lambda: step(x, y).item(), 1, seconds, repeats), best_rate(pipelined, K, seconds, repeats)


def webgrad_rows(gpu, hidden, batch, optimizer, seconds, repeats):
    x, y = dataset(hidden, batch)
    xs, ys = wg.tensor(x, device=gpu), wg.tensor(y, device=gpu)
    x0, y0 = wg.tensor(x[0], device=gpu), wg.tensor(y[0], device=gpu)
    rows = []

    # eager
    step = make_step(make_params(gpu, hidden), optimizer)
    step(x0, y0).item()
    d0 = gpu.stats()["dispatches"]
    step(x0, y0).item()
    eager_dispatches = gpu.stats()["dispatches"] - d0

    every, piped = step_rates(step, x0, y0, seconds, repeats)
    rows.append(("webgrad eager", every, piped, eager_dispatches, ""))

    # traced: the normal plan
    traced = wg.function(make_step(make_params(gpu, hidden), optimizer))
    traced(x0, y0)
    every, piped = step_rates(traced, x0, y0, seconds, repeats)
    rows.append(("webgrad traced", every, piped, traced.plan.summary()["dispatches"], ""))

    # single kernel: one step per call, and K steps per call
    one = wg.function(make_step(make_params(gpu, hidden), optimizer), single_kernel=True)
    many = wg.function(make_step(make_params(gpu, hidden), optimizer), steps_per_execution=K, single_kernel=True)
    auto = wg.function(make_step(make_params(gpu, hidden), optimizer), steps_per_execution=K)
    one(x0, y0)
    many(xs, ys)
    auto(xs, ys)
    every = best_rate(lambda: one(x0, y0).item(), 1, seconds, repeats)
    piped = best_rate(lambda: many(xs, ys).numpy(), K, seconds, repeats)
    s1, sk = one.plan.summary(), many.plan.summary()
    note = f"variant {sk.get('variant')} (K=1: {s1.get('variant')}); {sk['dispatches']} dispatch(es) per {K} steps"
    if auto.plan.summary()["lowering"] != "single_kernel":
        note += "; steps_per_execution alone falls back to the plan here"
    rows.append((f"webgrad single-kernel (K=1 / K={K})", every, piped, sk["dispatches_per_step"], note))
    return rows


def torch_rows(hidden, batch, optimizer, seconds, repeats):
    try:
        import torch
    except ImportError:
        return [("PyTorch (not installed)", None, None, None, "")]
    x, y = dataset(hidden, batch)
    rows = []
    default_threads = torch.get_num_threads()
    for threads in (1, default_threads):
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        gen = np.random.default_rng(0)
        shapes = [(2, hidden), (hidden,), (hidden, hidden), (hidden,), (hidden, 1), (1,)]
        scale = [1.0, 0.0, hidden ** -0.5, 0.0, hidden ** -0.5, 0.0]
        ps = [torch.tensor((gen.normal(size=s) * c).astype(np.float32), requires_grad=True)
              for s, c in zip(shapes, scale)]
        x0, y0 = torch.tensor(x[0]), torch.tensor(y[0])
        adam = (torch.optim.Adam(ps, OPTIMIZERS["adam"], betas=ADAM[:2], eps=ADAM[2])
                if optimizer == "adam" else None)

        def step():
            w1, b1, w2, b2, w3, b3 = ps
            logits = torch.tanh(torch.tanh(x0 @ w1 + b1) @ w2 + b2) @ w3 + b3
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y0)
            loss.backward()
            if adam is not None:
                adam.step()
                adam.zero_grad(set_to_none=True)
                return loss
            with torch.no_grad():
                for p in ps:
                    p -= OPTIMIZERS["sgd"] * p.grad
                    p.grad = None
            return loss
        every, piped = step_rates(lambda x, y: step(), None, None, seconds, repeats)
        rows.append((f"PyTorch {torch.__version__} CPU eager, {threads} thread{'s' if threads > 1 else ''}",
                     every, piped, None, ""))
    torch.set_num_threads(default_threads)
    return rows


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        cpu = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), cpu)
    except (OSError, subprocess.SubprocessError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{platform.node()}: {cpu}, {os.cpu_count()} cores, load average {load:.1f}, "
            f"Python {platform.python_version()}")


def fmt(v) -> str:
    return "-" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter timings (0.5 s, best of 2)")
    ap.add_argument("--models", default=",".join(f"{h}x{b}" for h, b in MODELS),
                    help="hidden x batch, comma separated (default: %(default)s)")
    ap.add_argument("--optimizers", default=",".join(OPTIMIZERS), help="(default: %(default)s)")
    args = ap.parse_args()
    seconds, repeats = (0.5, 2) if args.quick else (1.0, 3)
    gpu = wg.get_device("webgpu")
    print("# Training step throughput, desktop\n")
    print(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"- machine: {machine()}")
    print(f"- adapter: {gpu.name} (wgpu-py)")
    print(f"- command: python {' '.join(sys.argv)}")
    print(f"- MLP 2-H-H-1, tanh, sigmoid cross-entropy; SGD lr {OPTIMIZERS['sgd']}, Adam lr {OPTIMIZERS['adam']} "
          f"(beta {ADAM[0]}, {ADAM[1]}, epsilon {ADAM[2]:g}); steps/s, best of {repeats} x {seconds} s\n")
    for optimizer, spec in [(o, m) for o in args.optimizers.split(",") for m in args.models.split(",")]:
        hidden, batch = (int(v) for v in spec.split("x"))
        rows = (webgrad_rows(gpu, hidden, batch, optimizer, seconds, repeats)
                + torch_rows(hidden, batch, optimizer, seconds, repeats))
        print(f"## {optimizer}: 2-{hidden}-{hidden}-1, batch {batch}\n")
        print("| system | loss read every step | pipelined (read every 100) | dispatches per step | notes |")
        print("| --- | ---: | ---: | ---: | --- |")
        for name, every, piped, dispatches, note in rows:
            d = "-" if dispatches is None else (f"{dispatches:g}" if dispatches >= 1 else f"{dispatches:.2f}")
            print(f"| {name} | {fmt(every)} | {fmt(piped)} | {d} | {note} |")
        torch1 = next((r for r in rows if r[0].startswith("PyTorch") and " 1 thread" in r[0]), None)
        single = next(r for r in rows if r[0].startswith("webgrad single"))
        if torch1 and torch1[2]:
            print(f"\nsingle-kernel pipelined / PyTorch 1 thread pipelined: {single[2] / torch1[2]:.2f}x; "
                  f"/ PyTorch 1 thread every step: {single[2] / torch1[1]:.2f}x\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
