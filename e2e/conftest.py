"""Fixtures for the browser tests: a real ``webgrad serve`` and Debian's headless Chromium.

Chromium is the system's (/usr/bin/chromium, Debian package ``chromium``): Playwright's own
browser downloads are never used. WebGPU runs on SwiftShader there with --enable-unsafe-webgpu.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("WEBGRAD_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ROOT = Path(__file__).resolve().parent.parent
QUIET_ARGS = ["--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync"]
WEBGPU_ARGS = ["--enable-unsafe-webgpu"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_ready(proc, url, snapshot: bool, within_s=120):
    """Wait until the server answers and (with ``snapshot``) has made Pyodide's snapshot."""
    deadline = time.monotonic() + within_s
    while True:
        if proc.poll() is not None:
            pytest.fail(f"webgrad serve exited with {proc.returncode}: {proc.stdout.read()}", pytrace=False)
        try:
            core = httpx.get(url + "/core.json", timeout=1).json()
            if core["snapshot"] or not snapshot:
                return
            if core["no_snapshot"]:
                pytest.fail(f"webgrad serve made no Pyodide snapshot: {core['no_snapshot']}", pytrace=False)
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"webgrad serve was not ready within {within_s} s", pytrace=False)
        time.sleep(0.2)


@contextlib.contextmanager
def serving(cache: Path, logdir: Path, wait_for_snapshot: bool = True):
    """``webgrad serve`` as a subprocess on a free loopback port, with its cache in ``cache``: its URL."""
    if not (ROOT / "web" / "node_modules" / "pyodide").is_dir():
        pytest.fail("Pyodide is missing: run `npm ci --prefix web` first", pytrace=False)
    port = _free_port()
    env = dict(os.environ, WEBGRAD_CACHE=str(cache))
    proc = subprocess.Popen([sys.executable, "-m", "webgrad_server.cli", "serve", "--port", str(port),
                             "--logdir", str(logdir)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(proc, url, wait_for_snapshot)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The base URL of ``webgrad serve``, once it has made Pyodide's snapshot (as a user's server has)."""
    with serving(tmp_path_factory.mktemp("cache"), tmp_path_factory.mktemp("runs")) as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set WEBGRAD_CHROMIUM)", pytrace=False)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        yield p


def _launch(playwright, args):
    profile = tempfile.mkdtemp(prefix="webgrad-chromium-")
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=CHROMIUM, headless=True, args=QUIET_ARGS + args,
        viewport={"width": 1280, "height": 760})
    return context, profile


@pytest.fixture(scope="session")
def browser_context(playwright):
    """Chromium with WebGPU (SwiftShader), a fresh profile, shared by the tests of a session."""
    context, profile = _launch(playwright, WEBGPU_ARGS)
    yield context
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser_context):
    page = browser_context.new_page()
    page.on("console", lambda m: print(f"[browser {m.type}] {m.text}"))
    page.on("pageerror", lambda e: print(f"[browser pageerror] {e}"))
    yield page
    page.close()


@pytest.fixture
def page_without_webgpu(playwright):
    context, profile = _launch(playwright, ["--disable-webgpu"])
    page = context.new_page()
    yield page
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
