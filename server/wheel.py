"""The core as a wheel for Pyodide, built from the sources this server runs and named by its hash.

A pure ``py3-none-any`` wheel is a zip with a ``.dist-info`` folder (PEP 427), so it is written
here directly rather than with ``pip wheel``: that takes milliseconds instead of seconds, needs
no network or build directory in the checkout, and gives the same bytes for the same sources
(fixed timestamps), so the URL changes exactly when the sources do.

    >>> w = core_wheel()                     # doctest: +SKIP
    >>> w.url                                # doctest: +SKIP
    '/wheels/3f9c0a1b2c4d/webgrad-0.1.0-py3-none-any.whl'
"""
from __future__ import annotations

import base64
import hashlib
import importlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

# The packages the browser needs: the server itself stays out (Starlette is not in Pyodide).
PACKAGES = ("webgrad", "webgpu_kernels")
SUFFIXES = (".py", ".wgsl", ".gz")
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Wheel:
    name: str        # webgrad-0.1.0-py3-none-any.whl
    digest: str      # sha256 of the wheel's bytes, hex
    path: Path       # where it lies in the cache

    @property
    def url(self) -> str:
        return f"/wheels/{self.digest[:16]}/{self.name}"


def cache_root() -> Path:
    """Where the server keeps what it builds (wheels, snapshots): $WEBGRAD_CACHE or ~/.cache/webgrad."""
    return Path(os.environ.get("WEBGRAD_CACHE", Path.home() / ".cache" / "webgrad"))


def cache_dir() -> Path:
    return cache_root() / "wheels"


def _sources(package: str):
    """(path inside the wheel, file) for each source file of ``package``, in a stable order."""
    root = Path(importlib.import_module(package).__path__[0])
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.suffix in SUFFIXES and path.is_file() and "__pycache__" not in rel.parts:
            yield f"{package}/{rel.as_posix()}", path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build_wheel_bytes(version: str | None = None) -> tuple[str, bytes]:
    """The wheel's file name and bytes, from the installed (or editable) packages' sources."""
    version = version or importlib.import_module("webgrad").__version__
    dist_info = f"webgrad-{version}.dist-info"
    files = [(name, path.read_bytes()) for package in PACKAGES for name, path in _sources(package)]
    files.append((f"{dist_info}/METADATA", f"Metadata-Version: 2.1\nName: webgrad\nVersion: {version}\n".encode()))
    files.append((f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: webgrad_server\n"
                                        b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    files.append((f"{dist_info}/top_level.txt", "".join(p + "\n" for p in PACKAGES).encode()))
    record = "".join(_record_line(n, d) + "\n" for n, d in files) + f"{dist_info}/RECORD,,\n"
    files.append((f"{dist_info}/RECORD", record.encode()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return f"webgrad-{version}-py3-none-any.whl", out.getvalue()


_last: tuple[tuple, Wheel] | None = None


def _fingerprint() -> tuple:
    return tuple((name, p.stat().st_mtime_ns, p.stat().st_size) for pkg in PACKAGES for name, p in _sources(pkg))


def core_wheel() -> Wheel:
    """The current sources' wheel: rebuilt when a source file changed, cached on disk by hash."""
    global _last
    fingerprint = _fingerprint()
    if _last is not None and _last[0] == fingerprint:
        return _last[1]
    name, data = build_wheel_bytes()
    digest = hashlib.sha256(data).hexdigest()
    path = cache_dir() / digest[:16] / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    _last = fingerprint, Wheel(name, digest, path)
    return _last[1]
