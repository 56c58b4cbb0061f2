"""Matmul throughput on this machine, in GFLOP/s (2 n^3 flops for an n x n @ n x n product).

    python benchmarks/matmul.py [--sizes 256,512,1024] [--runs 5]

Rows: each variant of webgrad's matmul (the one the device keeps for this adapter is marked),
the naive one-thread-per-output WGSL kernel (matmul_naive.wgsl), and NumPy float32 on the CPU
with its BLAS's default threads and with one thread, all measured in this run, round by round so
that a change in the machine's load falls on every row alike.

A cell is the median of --runs timed calls, each after an untimed one (the first call of a kernel
compiles it), and in brackets the fastest call: on a shared machine other processes slow some
calls down, NumPy's threads most of all, and the fastest call is then closer to what the code
can do. A WebGPU call is timed from ``a @ b`` to the return of ``wg.synchronize()``, so it
includes recording the dispatch and one submit-and-wait round trip. Every kernel's result is
checked against NumPy before it is timed: a fast kernel that computes the wrong thing is no result.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import webgrad as wg
from machine import blas_name, blas_threads, describe
from webgpu_kernels.matmul import VARIANTS


def timed(call) -> float:
    t = time.perf_counter()
    call()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512,1024", help="square sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=5, help="timed calls per figure (the median is shown)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    dev = wg.get_device("webgpu")
    (wg.ones(8, 8, device=dev) @ wg.ones(8, 8, device=dev)).numpy()   # the device picks its variant
    kept = dev.choices.get("matmul")
    header = describe(dev)
    rows: dict[str, list[tuple[float, float]]] = {v: [] for v in (*VARIANTS, "naive", "numpy", "numpy1")}
    threads = blas_threads()
    rng = np.random.default_rng(0)
    for n in sizes:
        a, b = rng.uniform(-1, 1, (n, n)).astype(np.float32), rng.uniform(-1, 1, (n, n)).astype(np.float32)
        want = a.astype(np.float64) @ b
        ta, tb = wg.tensor(a, device=dev), wg.tensor(b, device=dev)
        kernels = (*VARIANTS, "naive")
        for v in kernels:          # the first call of each also compiles its shader
            dev.force_variant("matmul", v)
            err = np.abs((ta @ tb).numpy() - want).max() / np.abs(want).max()
            if err > 1e-5:
                raise SystemExit(f"matmul variant {v!r} computed a wrong {n}x{n} product (relative error {err:.1e})")

        def on_gpu():
            ta @ tb
            wg.synchronize(dev)
        times = {key: [] for key in rows}
        for _ in range(args.runs):
            for v in kernels:
                dev.force_variant("matmul", v)
                on_gpu()           # untimed: plans the launch for this variant again
                times[v].append(timed(on_gpu))
            for key, nthreads in (("numpy", threads), ("numpy1", 1)):
                if nthreads is None:
                    continue
                blas_threads(nthreads)
                a @ b
                times[key].append(timed(lambda: a @ b))
            if threads is not None:
                blas_threads(threads)
        dev.force_variant("matmul", None)
        for key, ts in times.items():
            if ts:
                rows[key].append((2 * n**3 / statistics.median(ts) / 1e9, 2 * n**3 / min(ts) / 1e9))

    names = {v: f"webgrad `{v}`" + (" (kept for this adapter)" if v == kept else "") for v in VARIANTS}
    names["naive"] = "naive WGSL, one thread per output"
    names["numpy"] = f"NumPy float32 ({blas_name()}, {threads or 'default'} threads)"
    names["numpy1"] = "NumPy float32, 1 thread"
    print("\n".join(header))
    print(f"- load average after the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(f"| matmul GFLOP/s, median of {args.runs} (fastest) | " + " | ".join(f"{n}x{n}" for n in sizes) + " |")
    print("| --- |" + " ---: |" * len(sizes))
    for key in (*sorted(VARIANTS, key=lambda v: v != kept), "naive", "numpy", "numpy1"):
        if not rows[key]:
            continue
        print(f"| {names[key]} | " + " | ".join(f"{med:.2f} ({best:.2f})" for med, best in rows[key]) + " |")
    if kept in rows:
        ratios = [f"{k[0] / n[0]:.0f}x ({k[1] / n[1]:.0f}x)" for k, n in zip(rows[kept], rows["naive"])]
        print("| kept variant / naive | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
