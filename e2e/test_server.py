"""The server without a browser: what it serves, the core's wheel, and its setup check."""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import httpx
import pytest

from webgrad_server import wheel as wheels


@pytest.fixture
def client(server):
    """An HTTP client of the ``webgrad serve`` subprocess (conftest's ``server``)."""
    with httpx.Client(base_url=server) as c:
        yield c


def test_core_wheel_is_served_at_its_hash_with_the_browser_packages(client):
    core = client.get("/core.json").json()
    assert core["wheel"].endswith("/webgrad-0.1.0-py3-none-any.whl")
    assert core["sha256"][:16] in core["wheel"]
    r = client.get(core["wheel"])
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert "webgrad/devices/browser.py" in names and "webgrad/__init__.py" in names
    assert any(n.startswith("webgpu_kernels/") and n.endswith(".wgsl") for n in names)
    assert not any(n.startswith("webgrad_server/") or "__pycache__" in n for n in names)
    assert "webgrad-0.1.0.dist-info/RECORD" in names
    assert client.get(core["wheel"].replace(core["sha256"][:16], "0" * 16)).status_code == 404


def test_wheel_is_rebuilt_when_a_source_changes(tmp_path, monkeypatch):
    monkeypatch.setenv("WEBGRAD_CACHE", str(tmp_path / "cache"))
    pkg = tmp_path / "src" / "probe_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.setattr(wheels, "PACKAGES", wheels.PACKAGES + ("probe_pkg",))
    first = wheels.core_wheel()
    assert wheels.core_wheel() == first                 # same sources: same wheel, same URL
    assert wheels.build_wheel_bytes() == wheels.build_wheel_bytes()   # deterministic bytes
    (pkg / "__init__.py").write_text("X = 2  # changed\n")
    second = wheels.core_wheel()
    assert second.url != first.url and second.path.read_bytes() != first.path.read_bytes()
    assert b"X = 2" in zipfile.ZipFile(second.path).read("probe_pkg/__init__.py")


def test_pages_and_pyodide_are_served_cross_origin_isolated(client):
    r = client.get("/console")
    assert r.status_code == 200 and "<textarea" in r.text
    assert r.headers["cross-origin-embedder-policy"] == "require-corp"
    assert r.headers["cross-origin-opener-policy"] == "same-origin"
    home = client.get("/")          # the playground is the home page
    assert home.status_code == 200 and 'id="play-pause-button"' in home.text
    assert home.headers["cross-origin-embedder-policy"] == "require-corp"
    assert client.get("/pyodide/pyodide.mjs").headers["content-type"].startswith("text/javascript")
    assert client.get("/pyodide/pyodide.asm.wasm").headers["content-type"] == "application/wasm"
    assert client.get("/js/worker.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/no-such-page").status_code == 404


def test_serve_without_pyodide_fails_in_one_line_naming_npm_ci(tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "console.html").write_text("<!doctype html>")
    r = subprocess.run([sys.executable, "-m", "webgrad_server.cli", "serve", "--port", "1"],
                       env={"WEBGRAD_WEB": str(web), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Pyodide is missing" in lines[0] and "npm ci --prefix" in lines[0], r.stderr
