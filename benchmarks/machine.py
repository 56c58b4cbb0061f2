"""What a benchmark ran on: the lines every script in benchmarks/ prints above its table.

Timings here drift between machines and between runs (the project's machines are small shared VMs),
so a table is only meaningful with the date, the CPU, the adapter, the load and the command beside it.
"""
from __future__ import annotations

import ctypes
import datetime
import os
import platform
import re
import shlex
import sys


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _openblas():
    """NumPy's OpenBLAS library (ctypes) and its symbol prefix, or (None, None) for another BLAS."""
    import numpy as np
    np.ones((2, 2), np.float32) @ np.ones((2, 2), np.float32)   # make sure the BLAS is loaded
    try:
        with open("/proc/self/maps") as f:
            path = re.search(r"\S*openblas\S*\.so\S*", f.read()).group(0)
        lib = ctypes.CDLL(path)
    except (OSError, AttributeError):
        return None, None
    for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"), ("openblas", "")):
        if hasattr(lib, f"{prefix}_get_num_threads{suffix}"):
            return lib, (prefix, suffix)
    return None, None


def blas_name() -> str:
    import numpy as np
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:
        return "BLAS"


def blas_threads(n: int | None = None) -> int | None:
    """The number of threads NumPy's OpenBLAS uses; with ``n``, set it first. None if unknown."""
    lib, names = _openblas()
    if lib is None:
        return None
    prefix, suffix = names
    if n is not None:
        getattr(lib, f"{prefix}_set_num_threads{suffix}")(n)
    return getattr(lib, f"{prefix}_get_num_threads{suffix}")()


def describe(device) -> list[str]:
    """Markdown lines: date, machine, adapter, load and the command that is running."""
    import numpy as np
    import wgpu
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    command = "python " + " ".join(shlex.quote(a) for a in sys.argv)
    return [
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, wgpu-py {wgpu.__version__}",
        f"- adapter: {device.name}",
        f"- load average before the run (1, 5, 15 min): {load}",
        f"- command: `{command}`",
    ]
