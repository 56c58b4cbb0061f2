"""The cost of one small eager op on this machine, in microseconds.

    python benchmarks/eager_overhead.py [--runs 21]

- A chain of 50 adds on 32x64 float32 tensors (``z = z + y``), then one ``wg.synchronize()``:
  the time per add. Split into recording (the Python that records the 50 dispatches) and
  the rest (the adapter running them, plus one submit-and-wait round trip).
- One tiny op read back each time: ``(s + u).item()`` on one-element tensors, the pattern of a
  training loop that reads its loss every step.
- ``wg.synchronize()`` with nothing recorded: one submit-and-wait round trip to the adapter.

Each figure is the median over --runs repetitions after five warm-ups, and in brackets the
fastest: on a shared machine other processes slow some repetitions down.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import webgrad as wg
from machine import describe

CHAIN = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="repetitions per figure (the median is shown)")
    args = parser.parse_args()
    dev = wg.get_device("webgpu")
    header = describe(dev)
    rng = np.random.default_rng(0)
    x = wg.tensor(rng.uniform(-1, 1, (32, 64)).astype(np.float32), device=dev)
    y = wg.tensor(rng.uniform(-1, 1, (32, 64)).astype(np.float32), device=dev)
    s = wg.tensor([1.0], device=dev)
    u = wg.tensor([2.0], device=dev)

    chain, recording = [], []
    for i in range(args.runs + 5):
        wg.synchronize(dev)
        t0 = time.perf_counter()
        z = x
        for _ in range(CHAIN):
            z = z + y
        t1 = time.perf_counter()
        wg.synchronize(dev)
        t2 = time.perf_counter()
        if i >= 5:
            chain.append((t2 - t0) / CHAIN)
            recording.append((t1 - t0) / CHAIN)
    expected = x.numpy() + CHAIN * y.numpy()
    if not np.allclose(z.numpy(), expected, atol=1e-4):
        raise SystemExit("the chain of adds computed a wrong result")

    item = []
    for i in range(args.runs + 5):
        t = time.perf_counter()
        v = (s + u).item()
        if i >= 5:
            item.append(time.perf_counter() - t)
    assert v == 3.0

    empty = []
    for i in range(args.runs + 5):
        t = time.perf_counter()
        wg.synchronize(dev)
        if i >= 5:
            empty.append(time.perf_counter() - t)

    def cell(times):
        return f"{statistics.median(times) * 1e6:.0f} ({min(times) * 1e6:.0f})"

    rest = [c - r for c, r in zip(chain, recording)]
    print("\n".join(header))
    print(f"- load average after the run: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print()
    print(f"| eager op, µs: median of {args.runs} (fastest) | µs |")
    print("| --- | ---: |")
    print(f"| add on 32x64, per op, in a chain of {CHAIN} with one synchronize at the end | {cell(chain)} |")
    print(f"| - of which recording the dispatch (Python, host) | {cell(recording)} |")
    print(f"| - of which the adapter running it, and the final round trip / {CHAIN} | {cell(rest)} |")
    print(f"| tiny add read back each time: `(s + u).item()` | {cell(item)} |")
    print(f"| `wg.synchronize()` with nothing recorded | {cell(empty)} |")


if __name__ == "__main__":
    main()
