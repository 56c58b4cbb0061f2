"""The package's layout as DESIGN.md draws it: dependencies run one way (server -> core -> webgpu_kernels;
inside core, the Keras-style API -> the engine), and no module imports another that imports it back,
at the top of a file or inside a function (an import deferred into a function hides a circle; only
heavy third-party imports — numpy, wgpu, the browser's js — are deferred, on purpose)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"webgrad": ROOT / "core", "webgpu_kernels": ROOT / "webgpu_kernels", "webgrad_server": ROOT / "server"}


def _modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package,) + parts)] = path
    return found


def _imports(name: str, path: Path, modules) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # a name that is a module is an edge to it; any other name comes from the package itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for t in targets:
            if t in modules and t != name:
                out.add(t)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm, iteratively)."""
    index, low, on_stack, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def test_no_import_circles():
    graph = import_graph()
    cycles = _cycles(graph)
    assert not cycles, "modules that import each other (directly or through others):\n" + "\n".join(
        "  " + ", ".join(f"{a} -> {b}" for a in c for b in sorted(graph[a]) if b in c) for c in cycles)


PAGES = ("webgrad.console", "webgrad.playground")


def test_dependencies_run_one_way():
    graph = import_graph()
    wrong = []
    for name, targets in graph.items():
        for t in targets:
            if name.startswith("webgpu_kernels") and not t.startswith("webgpu_kernels"):
                wrong.append(f"{name} -> {t} (the kernels import nothing of the core or the server)")
            if name.startswith("webgrad") and not name.startswith("webgrad_server") and t.startswith("webgrad_server"):
                wrong.append(f"{name} -> {t} (the core never imports the server)")
            # the pages' Python (the console's runner, the playground's model) sits on top of both
            engine = name.startswith("webgrad.") and not name.startswith(("webgrad.keras", *PAGES))
            if engine and t.startswith("webgrad.keras"):
                wrong.append(f"{name} -> {t} (the engine never imports the Keras-style API)")
    assert not wrong, "\n".join(wrong)


def test_the_graph_sees_the_imports():
    graph = import_graph()
    assert "webgrad.tensor" in graph["webgrad.keras.layers.core"]
    assert "webgpu_kernels.expr" in graph["webgrad.ops.elementwise"]
    assert len(graph) > 80


def _deferred_imports(path: Path):
    """(line, module) of each import inside a function of ``path``."""
    for fn in ast.walk(ast.parse(path.read_text())):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    yield from ((node.lineno, a.name) for a in node.names)
                elif isinstance(node, ast.ImportFrom):
                    yield node.lineno, "." * node.level + (node.module or "")


# Our modules that import a third-party runtime at their top: importing them waits until it is needed.
DEFERRED_ON_PURPOSE = {
    ("core/devices/__init__.py", ".browser"): "imports js, which only Pyodide has",
    ("core/devices/__init__.py", ".wgpu_native"): "imports wgpu (and finds an adapter) only when the device opens",
    ("core/devices/__init__.py", ".numpy_device"): "imports NumPy, which the browser does not have",
    ("server/cli.py", ".app"): "imports Starlette and uvicorn only for `webgrad serve`",
}


def test_imports_of_our_own_modules_sit_at_the_top():
    """Deferred into a function, an import of the package's own modules is how a circle hides; only
    those that bring in a third-party runtime (numpy, wgpu, js, Starlette) wait, on purpose."""
    wrong = [f"{path.relative_to(ROOT)}:{line}: {module}"
             for path in _modules().values() for line, module in _deferred_imports(path)
             if module.startswith((".", "webgrad", "webgpu_kernels"))
             and (str(path.relative_to(ROOT)), module) not in DEFERRED_ON_PURPOSE]
    assert not wrong, "\n".join(wrong)
