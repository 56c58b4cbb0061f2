"""The Starlette app: the pages of web/, Pyodide from web/node_modules/pyodide, the core's wheel
and Pyodide's memory snapshot of it (snapshot.py), and the npm ES modules the pages import by name
(the code editor: modules.py).

Everything the browser loads comes from here: no CDN at run time.

    >>> from webgrad_server.app import create_app
    >>> app = create_app(logdir="runs")        # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import json
import mimetypes
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .dashboard import dashboard_routes
from .logdir import Logdir
from .modules import Modules
from .snapshot import Snapshots
from .wheel import core_wheel

# Module scripts and streaming WebAssembly compilation need these types; some systems lack them.
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/wasm", ".wasm")

PAGES = {"playground": "playground.html", "console": "console.html", "runs": "runs.html", "graph": "graph.html"}
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}   # for URLs that name their content

# Cross-origin isolation: precise performance.now() in the page (5 us, not 100 us) for timing
# kernels, and SharedArrayBuffer for interrupting a running worker. Everything is same-origin.
ISOLATION_HEADERS = [(b"cross-origin-opener-policy", b"same-origin"),
                     (b"cross-origin-embedder-policy", b"require-corp")]


class CrossOriginIsolation:
    """ASGI middleware that adds ISOLATION_HEADERS to every HTTP response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_isolated(message):
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + ISOLATION_HEADERS
            await send(message)
        await self.app(scope, receive, send_isolated)


class SetupError(RuntimeError):
    """Something the server needs is missing; the message says how to get it (one line)."""


def web_dir() -> Path:
    """The front end's folder: web/ beside server/ in the checkout, or $WEBGRAD_WEB."""
    return Path(os.environ.get("WEBGRAD_WEB", Path(__file__).resolve().parent.parent / "web"))


def pyodide_dir(web: Path) -> Path:
    return web / "node_modules" / "pyodide"


def pyodide_version(web: Path) -> str:
    return json.loads((pyodide_dir(web) / "package.json").read_text())["version"]


class ImmutableFiles(StaticFiles):
    """StaticFiles under a versioned path: the browser keeps them (and its compiled WebAssembly) for good."""

    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers.update(IMMUTABLE)
        return response


def check_setup(web: Path) -> None:
    if not (web / "console.html").is_file():
        raise SetupError(f"the front end is missing ({web}/console.html): run webgrad from a checkout, "
                         f"or set WEBGRAD_WEB to its web/ folder")
    if not (pyodide_dir(web) / "pyodide.mjs").is_file():
        raise SetupError(f"Pyodide is missing ({pyodide_dir(web)}): run `npm ci --prefix {web}` once")
    missing = Modules(web / "node_modules").missing
    if missing:
        raise SetupError(f"npm packages the pages import are missing ({', '.join(missing)}): "
                         f"run `npm ci --prefix {web}` once")


def create_app(logdir: str | os.PathLike = "runs", web: Path | None = None) -> Starlette:
    web = web or web_dir()
    check_setup(web)
    snapshots = Snapshots(web)
    modules = Modules(web / "node_modules")
    pyodide_url = f"/pyodide/{pyodide_version(web)}/"
    runs = Logdir(logdir)

    async def page(request: Request):
        name = request.path_params.get("name", "playground")
        if name not in PAGES:
            raise HTTPException(404, f"no page {name!r}; pages: {', '.join(PAGES)}")
        return HTMLResponse(modules.page((web / PAGES[name]).read_text()), headers={"Cache-Control": "no-cache"})

    async def module(request: Request):
        """An ES module from npm that a page imports by name (see server/modules.py)."""
        path = modules.file(request.path_params["path"])
        if path is None:
            raise HTTPException(404, f"no module file {request.path_params['path']!r}: the pages' import map "
                                     f"names those served")
        media = "text/css" if path.suffix == ".css" else "text/javascript"      # uPlot's stylesheet beside its module
        return FileResponse(path, media_type=media, headers=IMMUTABLE)

    async def core(request: Request):
        """What the page's worker loads: Pyodide, the core's wheel for these sources and its snapshot."""
        w = core_wheel()
        return JSONResponse({"pyodide": pyodide_url, "wheel": w.url, "sha256": w.digest,
                             "snapshot": snapshots.url(w), "no_snapshot": snapshots.unavailable},
                            headers={"Cache-Control": "no-store"})

    async def snapshot(request: Request):
        path = snapshots.path(request.path_params["name"])
        if path is None:
            raise HTTPException(404, "no such snapshot (the sources changed: ask /core.json again)")
        return FileResponse(path, media_type="application/octet-stream",
                            headers={"Content-Encoding": "gzip", **IMMUTABLE})

    async def wheel(request: Request):
        w = core_wheel()
        if request.path_params["digest"] != w.digest[:16] or request.path_params["name"] != w.name:
            raise HTTPException(404, "no such wheel (the sources changed: ask /core.json again)")
        return FileResponse(w.path, media_type="application/zip",
                            headers=IMMUTABLE)

    async def json_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        snapshots.make(core_wheel())     # in the background: the first page may already start from it
        runs.start()                     # the logdir read behind, so the dashboard's run list is there at once
        yield
        runs.close()

    app = Starlette(routes=[
        Route("/", page),
        Route("/core.json", core),
        Route("/wheels/{digest}/{name}", wheel),
        Route("/snapshots/{name}", snapshot),
        Route("/modules/{path:path}", module),
        *dashboard_routes(runs),
        Mount(pyodide_url.rstrip("/"), ImmutableFiles(directory=pyodide_dir(web)), name="pyodide"),
        Mount("/js", StaticFiles(directory=web / "js"), name="js"),
        Mount("/css", StaticFiles(directory=web / "css"), name="css"),
        Route("/{name}", page),
    ], middleware=[Middleware(CrossOriginIsolation)], lifespan=lifespan,
       exception_handlers={HTTPException: json_error})
    app.state.logdir = runs
    app.state.web = web
    return app
