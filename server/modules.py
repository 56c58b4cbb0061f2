"""ES modules from npm for the pages, served as they are installed (no bundler, no CDN).

A page that imports a package by name (``import { EditorView } from "codemirror"``) gets an import
map, written into its HTML by the server, that sends each name to a versioned URL under
``/modules/``; only the packages that the roots need (their ``dependencies``, walked in
``web/node_modules``) are served, and the browser keeps them for good (the URL names the version).

    >>> modules = Modules(web_dir() / "node_modules")                      # doctest: +SKIP
    >>> modules.imports["@codemirror/state"]                                # doctest: +SKIP
    '/modules/@codemirror/state@6.5.2/dist/index.js'
"""
from __future__ import annotations

import json
from pathlib import Path

# What the pages import by name: the code editor (CodeMirror 6) and its Python mode; the dashboard's charts (uPlot);
# the graph viewer's layout (elkjs, a classic script its worker loads).
ROOTS = ("codemirror", "@codemirror/lang-python", "@codemirror/commands", "@codemirror/state", "@codemirror/view",
         "uplot", "elkjs")
MARKER = "<!-- import map -->"      # where a page wants the import map


class Modules:
    """The packages under ``node_modules`` that ``roots`` need: each one's folder, version and entry."""

    def __init__(self, node_modules: Path, roots=ROOTS):
        self.root = node_modules
        self.packages: dict[str, tuple[Path, str]] = {}       # name -> (folder, version)
        self.imports: dict[str, str] = {}                      # name -> URL of its ES module entry
        self.missing: list[str] = []
        for name in roots:
            self._add(name)

    def _add(self, name: str) -> None:
        if name in self.packages or name in self.missing:
            return
        folder = self.root / name
        meta_file = folder / "package.json"
        if not meta_file.is_file():
            self.missing.append(name)
            return
        meta = json.loads(meta_file.read_text())
        self.packages[name] = (folder, meta["version"])
        self.imports[name] = f"/modules/{name}@{meta['version']}/{_entry(meta, folder)}"
        for dependency in meta.get("dependencies", {}):
            self._add(dependency)

    def script(self) -> str:
        """The ``<script type="importmap">`` element for a page."""
        return f'<script type="importmap">{json.dumps({"imports": self.imports}, indent=1)}</script>'

    def page(self, html: str) -> str:
        """``html`` with its import-map marker replaced by the map (a page without one is left as is)."""
        return html.replace(MARKER, self.script())

    def file(self, path: str) -> Path | None:
        """The file that ``/modules/<path>`` names (``name@version/file``), or None when it is not one
        of these packages' own files (another package, another version, or outside its folder)."""
        parts = path.split("/")
        scoped = parts[0].startswith("@")
        head, rest = ("/".join(parts[:2]), parts[2:]) if scoped else (parts[0], parts[1:])
        name, _, version = head.rpartition("@")
        if name not in self.packages or self.packages[name][1] != version or not rest:
            return None
        folder = self.packages[name][0].resolve()
        try:
            target = (folder / "/".join(rest)).resolve()
            return target if folder in target.parents and target.is_file() else None
        except (OSError, ValueError):       # a name too long for the file system, a NUL in it
            return None


def _entry(meta: dict, folder: Path) -> str:
    """A package's ES module entry: ``module``, else ``exports["."]``'s import, else ``main`` (which, as
    Node resolves it, may leave off its ``.js``: elkjs's is ``lib/main``)."""
    exports = meta.get("exports")
    if isinstance(exports, dict) and "." in exports:
        dot = exports["."]
        if isinstance(dot, str):
            return dot.removeprefix("./")
        found = dot.get("import") or dot.get("default")
        if isinstance(found, dict):
            found = found.get("default")
        if isinstance(found, str):
            return found.removeprefix("./")
    entry = (meta.get("module") or meta.get("main") or "index.js").removeprefix("./")
    return entry + ".js" if not (folder / entry).is_file() and (folder / f"{entry}.js").is_file() else entry
