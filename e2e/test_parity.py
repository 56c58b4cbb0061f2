"""Every registered op gives the desktop's results in the browser: the same inputs (NumPy on the
desktop, fixed seeds) run through ``webgrad.tensor.apply`` on wgpu-py here and on the page's WebGPU
in one console run, and agree within the op's tolerance, as in tests/test_ops.py.

Pyodide has no NumPy, so inputs travel to the page as JSON (flat values, dtype, shape) inside
the code typed into the console, and results come back as one JSON line of the output.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

import webgrad as wg
from webgrad.ops import OPS
from webgrad.tensor import apply

from .test_console import open_console, run

ROOT = Path(__file__).resolve().parent.parent

SEEDS = (0, 1)
MARK = "PARITY-RESULTS "


def _load_assert_close():
    """tests/conftest.py's assert_close: one definition of "close" for the op tests and this one."""
    spec = importlib.util.spec_from_file_location("webgrad_op_tests_conftest", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.assert_close


assert_close = _load_assert_close()

# Runs in the page: rebuild each case's tensors, apply the op (and its gradient where asked), and
# print every result, or the traceback of the op that failed, as one JSON line.
PAGE_CODE = r'''
import json, time, traceback
import webgrad as wg
from webgrad.ops import OPS
from webgrad.tensor import apply

def attr(v):
    if isinstance(v, dict):
        return tuple(attr(x) for x in v["tuple"])
    return [attr(x) for x in v] if isinstance(v, list) else v

def tensor(a, requires_grad=False):
    t = wg.tensor(a["data"], dtype=a["dtype"]) if a["shape"] else wg.tensor(a["data"][0], dtype=a["dtype"])
    t = t.reshape(*a["shape"]) if a["shape"] else t
    return t.requires_grad_() if requires_grad else t

def flat(t):
    data = [t.tolist()]
    for _ in t.shape:
        data = [x for row in data for x in row]
    return {"shape": list(t.shape), "dtype": t.dtype.name, "data": data}

results, t0 = {}, time.perf_counter()
for case in json.loads(CASES):
    try:
        grads = case.get("weights") is not None
        xs = [tensor(a, grads and a["dtype"] == "float32") for a in case["inputs"]]
        attrs = {k: attr(v) for k, v in case["attrs"].items()}
        op = OPS[case["op"]]
        out = apply(op, *xs, **attrs) if xs else apply(op, device=wg.default_device(), **attrs)
        result = {"out": flat(out)}
        if grads:
            (out * tensor(case["weights"])).sum().backward()
            result["grads"] = [flat(x.grad) if x.grad is not None else None for x in xs]
        results[case["id"]] = result
    except Exception:
        results[case["id"]] = {"error": traceback.format_exc()}
print(f"{len(results)} cases in {time.perf_counter() - t0:.1f} s")
print("MARK" + json.dumps(results))
'''.replace("MARK", MARK)


def _array(a: np.ndarray) -> dict:
    return {"shape": list(a.shape), "dtype": str(a.dtype) if a.dtype != bool else "bool",
            "data": a.reshape(-1).tolist()}


def _attr(v):
    """Attrs as JSON, tuples tagged so that the page rebuilds them as tuples."""
    if isinstance(v, tuple):
        return {"tuple": [_attr(x) for x in v]}
    if isinstance(v, list):
        return [_attr(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"attr {v!r} of type {type(v).__name__} has no JSON form for the page; extend _attr")


def _desktop(op, arrays, attrs, weights):
    gpu = wg.get_device("webgpu")
    xs = [wg.tensor(a, device=gpu, requires_grad=weights is not None and a.dtype == np.float32) for a in arrays]
    out = apply(op, *xs, **attrs) if xs else apply(op, device=gpu, **attrs)
    result = {"out": out.numpy()}
    if weights is not None:
        (out * wg.tensor(weights, device=gpu)).sum().backward()
        result["grads"] = [x.grad.numpy() if x.grad is not None else None for x in xs]
    return result


def _cases():
    """(case for the page, desktop result, op) for every op and seed; gradients on seed 0."""
    cases = []
    for name in sorted(OPS):
        op = OPS[name]
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            arrays, attrs = op.sample(rng)
            want_out = np.asarray(op.reference(*arrays, **attrs))
            differentiable = (seed == 0 and op.grad is not None and want_out.dtype.kind == "f"
                              and any(a.dtype == np.float32 for a in arrays))
            weights = rng.uniform(-1, 1, size=want_out.shape).astype(np.float32) if differentiable else None
            case = {"id": f"{name}/{seed}", "op": name, "inputs": [_array(a) for a in arrays],
                    "attrs": {k: _attr(v) for k, v in attrs.items()},
                    "weights": _array(weights) if weights is not None else None}
            cases.append((case, _desktop(op, arrays, attrs, weights), op))
    return cases


def _from_page(r: dict) -> np.ndarray:
    dtype = {"float32": np.float32, "float16": np.float16, "int32": np.int32, "bool": bool}[r["dtype"]]
    return np.array(r["data"], dtype=dtype).reshape(r["shape"])


def test_every_op_matches_the_desktop_in_the_browser(page, server):
    cases = _cases()
    assert len({c["op"] for c, _, _ in cases}) == len(OPS)
    payload = json.dumps([c for c, _, _ in cases])
    open_console(page, server)
    out = run(page, f"CASES = r'''{payload}'''\n" + PAGE_CODE)
    line = next((l for l in out.splitlines() if l.startswith(MARK)), None)
    assert line is not None, f"the page printed no results:\n{out[-4000:]}"
    print(next(l for l in out.splitlines() if l.endswith(" s") and "cases in" in l))
    results = json.loads(line[len(MARK):])

    failures = []
    for case, want, op in cases:
        got = results.get(case["id"])
        what = f"{case['id']} in the browser vs the desktop"
        try:
            assert got is not None, f"{what}: no result"
            assert "error" not in got, f"{what}: raised in the page\n{got.get('error')}"
            page_out = _from_page(got["out"])
            assert page_out.dtype == want["out"].dtype, f"{what}: dtype {page_out.dtype} != {want['out'].dtype}"
            assert_close(page_out, want["out"], op.tolerance, what)
            for i, (g, w) in enumerate(zip(got.get("grads") or [], want.get("grads") or [])):
                assert (g is None) == (w is None), f"{what}: gradient of input {i} only on one side"
                if w is not None:
                    assert_close(_from_page(g), w, op.tolerance, f"d {what} / d input {i}")
        except AssertionError as e:
            failures.append(str(e))
    assert not failures, f"{len(failures)} of {len(cases)} cases differ:\n\n" + "\n\n".join(failures)
    grads = sum(1 for c, _, _ in cases if c["weights"] is not None)
    print(f"{len(cases)} cases ({len(OPS)} ops x {len(SEEDS)} seeds, {grads} with gradients) agree")
