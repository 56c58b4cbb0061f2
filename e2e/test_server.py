"""The server without a browser: what it serves, the core's wheel, and its setup check."""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from webgrad_server import wheel as wheels
from webgrad_server.app import web_dir
from webgrad_server.snapshot import find_node

ROOT = Path(__file__).resolve().parent.parent


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
    pyodide = client.get("/core.json").json()["pyodide"]     # versioned: the browser keeps it for good
    assert pyodide == f"/pyodide/{json.loads((ROOT / 'web/node_modules/pyodide/package.json').read_text())['version']}/"
    assert client.get(pyodide + "pyodide.mjs").headers["content-type"].startswith("text/javascript")
    wasm = client.get(pyodide + "pyodide.asm.wasm")
    assert wasm.headers["content-type"] == "application/wasm" and "immutable" in wasm.headers["cache-control"]
    assert client.get("/js/worker.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/no-such-page").status_code == 404


def test_the_code_editor_is_served_from_npm_through_the_pages_import_map(client):
    """CodeMirror 6 from web/node_modules, no CDN: the playground's import map sends each package
    name to a versioned /modules/ URL, served immutable; files of other packages, other versions
    or outside a package's folder are a 404 with a JSON reason."""
    home = client.get("/").text
    imports = json.loads(re.search(r'<script type="importmap">(.*?)</script>', home, re.S).group(1))["imports"]
    version = json.loads((ROOT / "web/node_modules/@codemirror/view/package.json").read_text())["version"]
    assert imports["@codemirror/view"] == f"/modules/@codemirror/view@{version}/dist/index.js"
    assert {"codemirror", "@codemirror/lang-python", "@lezer/python", "style-mod"} <= set(imports)
    for url in imports.values():
        r = client.get(url)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript"), url
        assert "immutable" in r.headers["cache-control"]
    for bad in ("/modules/@codemirror/view@0.0.1/dist/index.js", "/modules/pyodide@314.0.7/pyodide.mjs",
                f"/modules/@codemirror/view@{version}/../../pyodide/package.json", "/modules/@codemirror",
                f"/modules/@codemirror/view@{version}/%2e%2e/%2e%2e/pyodide/package.json", "/modules/@/x",
                "/modules/" + "a" * 5000 + "@1/index.js", "/modules/crelt@1.0.7/index.js%00.html",
                "/modules/crelt@1.0.7/" + "a" * 5000 + ".js"):
        r = client.get(bad)
        assert r.status_code == 404 and "import map" in r.json()["error"], bad


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


def test_the_snapshot_of_the_core_is_served_gzipped_and_immutable_once_made(client):
    core = client.get("/core.json").json()      # conftest's server waited for it
    assert core["snapshot"].startswith("/snapshots/") and core["sha256"][:16] in core["snapshot"]
    r = client.get(core["snapshot"])
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "immutable" in r.headers["cache-control"]
    memory = r.content                          # httpx took the gzip off, as the browser does
    assert memory[:4] == b"\x00snp" and len(memory) > 16 << 20       # Pyodide's snapshot of a whole memory
    for bad in ("/snapshots/..%2Fwheels", core["snapshot"].replace(core["sha256"][:16], "0" * 16),
                "/snapshots/" + "x" * 5000):
        r = client.get(bad)
        assert r.status_code == 404 and r.json()["error"], bad      # a JSON reason, not a file
    assert "no such snapshot" in client.get("/snapshots/" + "x" * 5000).json()["error"]


def test_without_a_node_that_has_jspi_there_is_no_snapshot_and_the_reason_says_why(tmp_path, monkeypatch):
    monkeypatch.delenv("WEBGRAD_NODE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))          # a machine with no Node at all
    assert find_node(tmp_path) == (None, "Node.js is not installed (it makes the snapshot)")
    old = tmp_path / "node"                             # a Node whose WebAssembly has no Suspending
    old.write_text("#!/bin/sh\nexit 3\n")
    old.chmod(0o755)
    node, why = find_node(tmp_path)
    assert node is None and f"{old} lacks WebAssembly JSPI" in why and "npm ci --prefix web" in why


def test_the_node_found_here_has_jspi():
    node, why = find_node(web_dir())
    assert why is None
    assert subprocess.run([node, "-e", "new WebAssembly.Suspending(() => 0)"]).returncode == 0
