"""The dashboard's HTTP API over a logdir, in TensorBoard's shapes where it has one.

    GET  /api/runs                          the runs (paths relative to the logdir) with their tags by kind
    GET  /api/scalars?run=R&tag=T           [[wall_time, step, value], ...]  (&format=csv, &points=N to
                                            downsample keeping each bucket's min and max, &start=/&end= steps,
                                            &from=I for the rows from index I on)
    GET  /api/histograms?run=R&tag=T        [[wall_time, step, [[left, right, count], ...]], ...]
    GET  /api/text?run=R&tag=T              [[wall_time, step, text], ...]
    GET  /api/hparams                       every run's hyper-parameters and its last value of each scalar
    GET  /api/events                        server-sent events: {"run", "kind", "tag", "count"} as data arrives
    POST /api/runs/{run}/scalars            a JSON list of {"tag", "step", "value"[, "wall_time"]}
    POST /api/runs/{run}/histograms         ... of {"tag", "step", "values"[, "bins", "wall_time"]}
    POST /api/runs/{run}/text               ... of {"tag", "step", "text"[, "wall_time"]}
    POST /api/runs/{run}/hparams            {"hparams": {name: number | string | bool}}
    POST /api/runs/{run}/graph              {"nodes": [{"name", "op", "inputs": [names]}, ...]} (a GraphDef)
    POST /api/runs/{run}/graph_view         the graph viewer's JSON (``wg.graph_view``, webgrad/graph/view.py)
    GET  /api/graph?run=R                   the run's graph in the viewer's JSON: its graph view, else its
                                            GraphDef (another tool's, or the layer graph) as one

A bad request is a 4xx with ``{"error": reason}`` and writes nothing: every record of a POST is
checked before the first is written.

    >>> routes = dashboard_routes(Logdir("runs"))       # doctest: +SKIP
"""
from __future__ import annotations

import asyncio
import io
import csv
import json
import math

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from webgrad.graph.view import FORMAT, VERSION, from_graph_def

from .logdir import KINDS, Logdir, RunNameError, check_run_name

WHOLE = ("hparams", "graph", "graph_view")       # a POST of one of these is one record, not a list

MAX_BODY = 4 << 20              # bytes in one POST
MAX_RECORDS = 10_000            # records in one POST
MAX_TAG = 512                   # characters in a tag
POLL_S = 0.25                   # how often the event stream tells what the logdir's thread read
REFRESH_BUDGET_S = 0.15         # what GET /api/runs spends reading runs before it answers (the rest load behind)
HEARTBEAT_S = 15.0


def _query(request: Request, name: str) -> str:
    value = request.query_params.get(name)
    if not value:
        raise HTTPException(400, f"the query needs ?{name}=... (see GET /api/runs for the runs and their tags)")
    return value


def _int_query(request: Request, name: str, default=None, low: int = 0):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HTTPException(400, f"{name}={raw!r}: not a whole number")
    if value < low:
        raise HTTPException(400, f"{name}={value}: must be at least {low}")
    return value


def _series(logdir: Logdir, request: Request, kind: str):
    run, tag = _query(request, "run"), _query(request, "tag")
    try:
        found = logdir.refresh_run(run)
    except KeyError as e:
        raise HTTPException(404, e.args[0])
    table = getattr(found, kind)
    if tag not in table:
        known = ", ".join(sorted(table)[:20]) or "none"
        raise HTTPException(404, f"run {run!r} has no {kind} tag {tag!r} ({kind} tags: {known})")
    return run, tag, table[tag]


async def _json_body(request: Request):
    size = request.headers.get("content-length")
    if size is not None and size.isdigit() and int(size) > MAX_BODY:
        raise HTTPException(413, f"the body is {int(size):,} bytes; at most {MAX_BODY:,} in one POST (send batches)")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise HTTPException(413, f"the body is over {MAX_BODY:,} bytes; at most that in one POST (send batches)")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise HTTPException(400, f"the body is not JSON: {e}")


def _number(record: dict, key: str, where: str, finite: bool = True) -> float:
    v = record.get(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise HTTPException(422, f"{where}: {key!r} must be a number, not {json.dumps(v)[:40]}")
    if finite and not math.isfinite(v):
        raise HTTPException(422, f"{where}: {key!r} must be finite")
    return v


def _record(record, i: int, needs: tuple[str, ...]) -> dict:
    where = f"record {i}"
    if not isinstance(record, dict):
        raise HTTPException(422, f"{where}: an object with {', '.join(needs)} is needed, not {json.dumps(record)[:40]}")
    missing = [k for k in needs if k not in record]
    if missing:
        raise HTTPException(422, f"{where}: {', '.join(repr(k) for k in missing)} missing (needs {', '.join(needs)})")
    tag = record["tag"]
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG or "\x00" in tag:
        raise HTTPException(422, f"{where}: 'tag' must be a non-empty string of at most {MAX_TAG} characters")
    step = record["step"]
    if isinstance(step, bool) or not isinstance(step, int) or not -(1 << 63) <= step < (1 << 63):
        raise HTTPException(422, f"{where}: 'step' must be a whole number (int64), not {json.dumps(step)[:40]}")
    if "wall_time" in record:
        _number(record, "wall_time", where)
    return record


def _checked(kind: str, records) -> list[dict]:
    """Every record of a POST to ``kind``, checked (422 naming the first bad one) before any is written."""
    if not isinstance(records, list):
        raise HTTPException(422, f"the body must be a JSON list of records, not {type(records).__name__}")
    if len(records) > MAX_RECORDS:
        raise HTTPException(413, f"{len(records):,} records; at most {MAX_RECORDS:,} in one POST")
    needs = {"scalars": ("tag", "step", "value"), "histograms": ("tag", "step", "values"),
             "text": ("tag", "step", "text")}[kind]
    out = []
    for i, r in enumerate(records):
        r = _record(r, i, needs)
        if kind == "scalars":
            _number(r, "value", f"record {i}", finite=False)
        elif kind == "histograms":
            values = r["values"]
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
                raise HTTPException(422, f"record {i}: 'values' must be a non-empty list of finite numbers")
            bins = r.get("bins", 30)
            if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= 1000:
                raise HTTPException(422, f"record {i}: 'bins' must be a whole number from 1 to 1000")
        elif not isinstance(r["text"], str):
            raise HTTPException(422, f"record {i}: 'text' must be a string")
        out.append(r)
    return out


def _checked_hparams(body) -> dict:
    values = body.get("hparams") if isinstance(body, dict) else None
    if not isinstance(values, dict) or not values:
        raise HTTPException(422, 'the body must be {"hparams": {name: number | string | bool, ...}}')
    for k, v in values.items():
        finite = not isinstance(v, float) or math.isfinite(v)
        if not isinstance(v, (int, float, str, bool)) or not finite:
            raise HTTPException(422, f"hparam {k!r}: a finite number, a string or a bool, not {json.dumps(v)[:40]}")
    return values


def _checked_graph(body) -> list:
    nodes = body.get("nodes") if isinstance(body, dict) else None
    if not isinstance(nodes, list) or not nodes or len(nodes) > MAX_RECORDS:
        raise HTTPException(422, f'the body must be {{"nodes": [{{"name", "op", "inputs"}}, ...]}} '
                                 f'with 1 to {MAX_RECORDS:,} nodes')
    out = []
    for i, n in enumerate(nodes):
        ok = (isinstance(n, dict) and isinstance(n.get("name"), str) and n["name"] and isinstance(n.get("op"), str)
              and isinstance(n.get("inputs", []), list) and all(isinstance(x, str) for x in n.get("inputs", [])))
        if not ok:
            raise HTTPException(422, f"node {i}: needs a 'name' and an 'op' (strings) and 'inputs' (a list of names)")
        out.append((n["name"], n["op"], n.get("inputs", [])))
    if len({n for n, _, _ in out}) != len(out):
        raise HTTPException(422, "node names must be distinct")
    return out


def _checked_view(body) -> dict:
    """A graph view as ``wg.graph_view`` writes it: its format and version, nodes with distinct string ids,
    edges between them."""
    if not isinstance(body, dict) or body.get("format") != FORMAT or not isinstance(body.get("version"), int):
        raise HTTPException(422, f'the body must be a graph view: {{"format": "{FORMAT}", "version": {VERSION}, '
                                 f'"nodes": [...], "edges": [...], ...}} (as wg.graph_view returns)')
    if body["version"] > VERSION:
        raise HTTPException(422, f"graph view version {body['version']}: this server reads versions up to {VERSION}")
    nodes, edges = body.get("nodes"), body.get("edges", [])
    if not isinstance(nodes, list) or not isinstance(edges, list):
        raise HTTPException(422, "a graph view's 'nodes' and 'edges' must be lists")
    ids = [n.get("id") if isinstance(n, dict) else None for n in nodes]
    if not all(isinstance(i, str) and i for i in ids) or len(set(ids)) != len(ids):
        raise HTTPException(422, "every node of a graph view needs an 'id', a string distinct from the others")
    known = set(ids)
    for k, e in enumerate(edges):
        if not isinstance(e, dict) or e.get("from") not in known or e.get("to") not in known:
            raise HTTPException(422, f"edge {k}: 'from' and 'to' must be ids of nodes ({json.dumps(e)[:80]})")
    return body


def _below(parent: str, run: str) -> str | None:
    """The prefix that names ``run``'s tags from ``parent`` ("" for itself, "train/" for parent/train), or None."""
    if run == parent:
        return ""
    if parent == ".":
        return run + "/"
    return run[len(parent) + 1:] + "/" if run.startswith(parent + "/") else None


def _last(series):
    return series.rows(len(series) - 1)[0][2]


def _csv(rows) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["Wall time", "Step", "Value"])
    w.writerows(rows)
    return out.getvalue()


def dashboard_routes(logdir: Logdir) -> list[Route]:
    """The ``/api/...`` routes over ``logdir`` (see the module's docstring)."""

    async def runs(request: Request):
        await asyncio.to_thread(logdir.refresh, REFRESH_BUDGET_S)
        return JSONResponse({"logdir": str(logdir.root), "runs": [
            {"name": r.name, "tags": r.tags(), "hparams": r.hparams, "first_wall_time": r.first_wall,
             "last_wall_time": r.last_wall, "graph": r.graph is not None or r.graph_view is not None,
             "loaded": r.loaded}
            for r in logdir.runs().values()]})

    async def scalars(request: Request):
        run, tag, series = await asyncio.to_thread(_series, logdir, request, "scalars")
        points = _int_query(request, "points", low=2)
        start = _int_query(request, "from", 0)
        first, last = _int_query(request, "start", low=-(1 << 63)), _int_query(request, "end", low=-(1 << 63))
        with logdir.lock:
            if points is not None or first is not None or last is not None:
                indices = series.downsampled(points or len(series) or 2, first, last)
                rows = series.rows(indices=[i for i in indices if i >= start])
            else:
                rows = series.rows(start)
            total = {"X-Rows-Total": str(len(series))}      # how many the run has: fewer came when downsampled
        fmt = request.query_params.get("format", "json")
        if fmt == "csv":
            return Response(_csv(rows), media_type="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{_filename(run, tag)}.csv"', **total})
        if fmt != "json":
            raise HTTPException(400, f"format={fmt!r}: json (the default) or csv")
        return JSONResponse(rows, headers=total)

    async def histograms(request: Request):
        _, _, rows = await asyncio.to_thread(_series, logdir, request, "histograms")
        return JSONResponse(rows[_int_query(request, "from", 0):])

    async def text(request: Request):
        _, _, rows = await asyncio.to_thread(_series, logdir, request, "text")
        return JSONResponse(rows[_int_query(request, "from", 0):])

    async def hparams(request: Request):
        await asyncio.to_thread(logdir.refresh, REFRESH_BUDGET_S)
        found = logdir.runs()
        names, metrics, rows = set(), set(), []
        for r in found.values():
            if not r.hparams:
                continue
            names.update(r.hparams)
            values = {}
            for other in found.values():          # its own scalars and those of its folders (train/, validation/)
                prefix = _below(r.name, other.name)
                if prefix is not None:
                    for tag, s in other.scalars.items():
                        if len(s):
                            values[prefix + tag] = _last(s)
            metrics.update(values)
            rows.append({"run": r.name, "hparams": r.hparams, "metrics": values})
        return JSONResponse({"hparams": sorted(names), "metrics": sorted(metrics), "runs": rows})

    async def graph(request: Request):
        run = _query(request, "run")
        try:
            found = await asyncio.to_thread(logdir.refresh_run, run)
        except KeyError as e:
            raise HTTPException(404, e.args[0])
        if found.graph_view is not None:
            return Response(found.graph_view, media_type="application/json")
        if found.graph is None:
            raise HTTPException(404, f"run {run!r} has no graph (write_graph=True in the TensorBoard callback writes one)")
        from tensorboard.compat.proto import graph_pb2
        g = graph_pb2.GraphDef.FromString(found.graph)
        return JSONResponse(from_graph_def(run, [(n.name, n.op, list(n.input)) for n in g.node]))

    async def post(request: Request):
        run, kind = request.path_params["run"], request.path_params["kind"]
        if kind not in (*KINDS, *WHOLE):
            raise HTTPException(404, f"no POST /api/runs/{{run}}/{kind}: kinds are {', '.join(KINDS + WHOLE)}")
        try:
            check_run_name(run)                      # a bad name is refused even with nothing to write
        except RunNameError as e:
            raise HTTPException(400, str(e))
        body = await _json_body(request)
        records = (_checked_hparams(body) if kind == "hparams" else _checked_graph(body) if kind == "graph"
                   else _checked_view(body) if kind == "graph_view" else _checked(kind, body))
        if not records:
            return JSONResponse({"run": run, "written": 0})
        try:
            writer = logdir.writer(run)
        except RunNameError as e:
            raise HTTPException(400, str(e))
        if kind in WHOLE:
            with logdir.lock:
                getattr(writer, kind)(records)
            return JSONResponse({"run": run, "written": 1})
        with logdir.lock:
            for r in records:
                wall = r.get("wall_time")
                if kind == "scalars":
                    writer.scalar(r["tag"], float(r["value"]), r["step"], wall_time=wall)
                elif kind == "histograms":
                    writer.histogram(r["tag"], r["values"], r["step"], bins=r.get("bins", 30), wall_time=wall)
                else:
                    writer.text(r["tag"], r["text"], r["step"], wall_time=wall)
        return JSONResponse({"run": run, "written": len(records)})

    async def events(request: Request):
        since = logdir.now()

        async def stream():                          # the logdir's thread reads; this tells what it added
            nonlocal since
            yield f"event: hello\ndata: {json.dumps({'seq': since})}\n\n"
            quiet = 0.0
            while not await request.is_disconnected():
                await asyncio.sleep(POLL_S)
                now = logdir.now()
                changes = await asyncio.to_thread(logdir.changes, since)
                since = now
                if changes:
                    quiet = 0.0
                    yield f"data: {json.dumps(changes)}\n\n"
                else:
                    quiet += POLL_S
                    if quiet >= HEARTBEAT_S:
                        quiet = 0.0
                        yield ": still here\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    return [
        Route("/api/runs", runs),
        Route("/api/scalars", scalars),
        Route("/api/histograms", histograms),
        Route("/api/text", text),
        Route("/api/hparams", hparams),
        Route("/api/graph", graph),
        Route("/api/events", events),
        Route("/api/runs/{run:path}/{kind}", post, methods=["POST"]),
    ]


def _filename(run: str, tag: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{run}_{tag}")[:120]
