"""TensorBoard event files, written in pure Python (no TensorFlow, protobuf or NumPy: runs in Pyodide).

``SummaryWriter(logdir)`` creates ``logdir/events.out.tfevents.<time>.<host>.<pid>.<n>``: TFRecord
framing (length as u64 LE, masked CRC32C of the length, the data, masked CRC32C of the data) around
``Event`` protobufs encoded by hand. The first record carries ``file_version = "brain.Event:2"``;
every later one a ``Summary`` with scalars (``simple_value``), histograms (``HistogramProto``), text
(a string tensor for TensorBoard's text plugin) or hyper-parameters (the HParams plugin's
``session_start_info``, so TensorBoard's HParams tab lists the run).
The file is flushed after every record, so a run that crashes leaves every step it logged readable.

    >>> import tempfile, webgrad.event_files
    >>> with webgrad.event_files.SummaryWriter(tempfile.mkdtemp()) as w:
    ...     for step in range(3):
    ...         w.scalar("loss", 1.0 / (step + 1), step)
    ...     w.histogram("weights", [0.1, -0.2, 0.3, 0.3], step=2)

Then ``tensorboard --logdir <dir>`` shows them. The ``TensorBoard`` callback
(``webgrad.callbacks.TensorBoard``) logs ``fit``'s epoch metrics this way.

In the page (Pyodide) a file would stay in the tab's memory: ``writer(logdir)`` gives a
``PostingWriter`` there instead, which sends the same records to the server that serves the page
(``POST /api/runs/<logdir>/scalars`` ...), and the server appends them to that run's event file
under its ``--logdir``; on the desktop it gives a ``SummaryWriter``.
"""
from __future__ import annotations

import itertools
import json
import math
import os
import struct
import time

from .graph.view import FORMAT, graph_view

__all__ = ["PostingWriter", "SummaryWriter", "crc32c", "masked_crc32c", "writer"]


# ---- CRC32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven ----------------------
def _make_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _make_table()


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC32C of ``data``: ``crc32c(b"123456789") == 0xE3069283``."""
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """The CRC as TFRecord stores it: rotated right by 15 bits plus a constant."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data: bytes) -> bytes:
    """One TFRecord: length, its masked CRC, the data, its masked CRC."""
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked_crc32c(length)) + data + struct.pack("<I", masked_crc32c(data))


# ---- protobuf wire format, just what Event needs ------------------------------------------------
def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1                     # negative int64 as ten bytes, as protobuf does
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _double(field: int, v: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", float(v))


def _float(field: int, v: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", float(v))


def _int(field: int, v: int) -> bytes:
    return _key(field, 0) + _varint(int(v))


def _bytes(field: int, v: bytes) -> bytes:
    return _key(field, 2) + _varint(len(v)) + v


def _packed_doubles(field: int, values) -> bytes:
    values = list(values)
    return _bytes(field, struct.pack(f"<{len(values)}d", *values)) if values else b""


def _event(wall_time: float, step: int, *, file_version: str | None = None, summary: bytes | None = None,
           graph_def: bytes | None = None) -> bytes:
    out = _double(1, wall_time) + _int(2, step)
    if file_version is not None:
        out += _bytes(3, file_version.encode())
    if graph_def is not None:
        out += _bytes(4, graph_def)
    if summary is not None:
        out += _bytes(5, summary)
    return out


def _flatten(values):
    """Floats from a number, a (nested) list, a webgrad Tensor or anything with ``tolist()``."""
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, (int, float)):
        yield float(values)
        return
    for v in values:
        yield from _flatten(v)


def _histogram(values, bins: int) -> bytes:
    vals = list(_flatten(values))
    if not vals:
        raise ValueError("histogram: no values")
    if any(not math.isfinite(v) for v in vals):
        raise ValueError("histogram: values must be finite")
    lo, hi = min(vals), max(vals)
    if hi == lo:
        limits, counts = [hi], [float(len(vals))]
    else:
        width = (hi - lo) / bins
        counts = [0.0] * bins
        for v in vals:
            counts[min(int((v - lo) / width), bins - 1)] += 1
        limits = [lo + width * (i + 1) for i in range(bins)]
        limits[-1] = hi
    return (_double(1, lo) + _double(2, hi) + _double(3, len(vals)) + _double(4, math.fsum(vals))
            + _double(5, math.fsum(v * v for v in vals)) + _packed_doubles(6, limits) + _packed_doubles(7, counts))


def _plugin_metadata(plugin: str, content: bytes = b"") -> bytes:
    """``SummaryMetadata{plugin_data{plugin_name, content}}``: which TensorBoard plugin reads the value."""
    return _bytes(1, _bytes(1, plugin.encode()) + (_bytes(2, content) if content else b""))


def _string_tensor(text: str) -> bytes:
    """A scalar ``TensorProto`` of dtype DT_STRING (7) holding ``text``."""
    return _int(1, 7) + _bytes(2, b"") + _bytes(8, text.encode())


_NULL_TENSOR = _int(1, 1) + _bytes(2, _bytes(2, _int(1, 0)))   # DT_FLOAT of shape (0,), as the HParams plugin writes


def _hparam_value(v) -> bytes:
    """A ``google.protobuf.Value``: bool_value (4), number_value (2) or string_value (3)."""
    if isinstance(v, bool):
        return _int(4, int(v))
    if isinstance(v, (int, float)):
        if not math.isfinite(float(v)):
            raise ValueError(f"hparams: {v!r} is not a finite number")
        return _double(2, float(v))
    if isinstance(v, str):
        return _bytes(3, v.encode())
    raise ValueError(f"hparams: a value must be a number, a string or a bool, not {type(v).__name__} ({v!r})")


def _session_start_info(hparams: dict, start_time: float) -> bytes:
    """``HParamsPluginData{version: 0, session_start_info{hparams, start_time_secs}}``."""
    entries = b"".join(_bytes(1, _bytes(1, str(k).encode()) + _bytes(2, _hparam_value(v))) for k, v in hparams.items())
    return _bytes(3, entries + _double(5, start_time))


GRAPH_VIEW_PLUGIN, GRAPH_VIEW_TAG = "webgrad_graph", "graph_view"   # TensorBoard shows no plugin of this name


def _view(source) -> dict:
    """The viewer's JSON of ``source`` (a traced function, a model), or ``source`` when it is such a view."""
    if isinstance(source, dict):
        if source.get("format") != FORMAT:
            raise ValueError(f"graph_view: a dict must be a view of format {FORMAT!r} (as wg.graph_view returns)")
        return source
    return graph_view(source)


def _graph_def(nodes) -> bytes:
    """``GraphDef{node: NodeDef{name, op, input...}...}`` from (name, op, inputs) triples, checked."""
    out, names = b"", set()
    for node in nodes:
        name, op, inputs = node
        if not isinstance(name, str) or not name or name in names:
            raise ValueError(f"graph: node names must be distinct non-empty strings ({name!r})")
        names.add(name)
        out += _bytes(1, _bytes(1, name.encode()) + _bytes(2, str(op).encode())
                      + b"".join(_bytes(3, str(i).encode()) for i in inputs))
    return out


_counter = itertools.count()


def _hostname() -> str:
    try:
        import socket
        return socket.gethostname() or "localhost"
    except Exception:                      # Pyodide and other sandboxes
        return "localhost"


class SummaryWriter:
    """Writes a TensorBoard event file under ``logdir`` (created if missing).

    ``scalar(tag, value, step)`` and ``histogram(tag, values, step)`` append one record each and
    flush it; ``close()`` (or a ``with`` block) closes the file.

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with SummaryWriter(os.path.join(d, "run1")) as w:
        ...         w.scalar("loss", 0.5, step=0)
        ...     os.listdir(os.path.join(d, "run1"))
        ['events.out.tfevents...']
    """

    def __init__(self, logdir, filename_suffix: str = ""):
        self.logdir = os.fspath(logdir)
        os.makedirs(self.logdir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{_hostname()}.{os.getpid()}.{next(_counter)}{filename_suffix}"
        self.path = os.path.join(self.logdir, name)
        self._file = open(self.path, "wb")
        self._write(_event(time.time(), 0, file_version="brain.Event:2"))

    def _write(self, event: bytes) -> None:
        if self._file is None:
            raise ValueError("SummaryWriter: the writer is closed")
        self._file.write(tfrecord(event))
        self.flush()

    def _summary(self, tag: str, value: bytes, step: int, wall_time: float | None) -> None:
        summary = _bytes(1, _bytes(1, str(tag).encode()) + value)
        self._write(_event(time.time() if wall_time is None else wall_time, step, summary=summary))

    def scalar(self, tag: str, value, step: int, wall_time: float | None = None) -> None:
        """Logs ``value`` (a number, or a one-element Tensor) as ``tag`` at ``step``.

        Example:
            >>> import os, tempfile
            >>> with tempfile.TemporaryDirectory() as d, SummaryWriter(d) as w:
            ...     before = os.path.getsize(w.path)
            ...     w.scalar("loss", wg.tensor([0.25]), step=1)
            ...     os.path.getsize(w.path) > before      # on disk at once
            True
        """
        if hasattr(value, "item"):
            value = value.item()
        self._summary(tag, _float(2, float(value)), int(step), wall_time)

    def histogram(self, tag: str, values, step: int, bins: int = 30, wall_time: float | None = None) -> None:
        """Logs the distribution of ``values`` (numbers, nested lists or a Tensor) in ``bins`` equal buckets.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as d, SummaryWriter(d) as w:
            ...     w.histogram("kernel", wg.tensor([[0.1, -0.2], [0.3, 0.3]]), step=0, bins=4)
            ...     w.histogram("kernel", [float("nan")], step=1)
            Traceback (most recent call last):
            ...
            ValueError: histogram: values must be finite
        """
        self._summary(tag, _bytes(5, _histogram(values, int(bins))), int(step), wall_time)

    def text(self, tag: str, text: str, step: int, wall_time: float | None = None) -> None:
        """Logs ``text`` (Markdown, as TensorBoard's text tab renders it) as ``tag`` at ``step``.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as d, SummaryWriter(d) as w:
            ...     w.text("notes", "lr **0.01**, batch 32", step=0)
        """
        value = _bytes(9, _plugin_metadata("text")) + _bytes(8, _string_tensor(str(text)))
        self._summary(tag, value, int(step), wall_time)

    def hparams(self, hparams: dict, wall_time: float | None = None) -> None:
        """Records the run's hyper-parameters (names to numbers, strings or bools) as TensorBoard's HParams
        plugin does, so its HParams tab (and the dashboard's) lists this run with them.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as d, SummaryWriter(d) as w:
            ...     w.hparams({"learning_rate": 0.03, "activation": "tanh", "batch_norm": False})
            ...     w.hparams({"layers": [4, 2]})
            Traceback (most recent call last):
            ...
            ValueError: hparams: a value must be a number, a string or a bool, not list ([4, 2])
        """
        wall_time = time.time() if wall_time is None else wall_time
        content = _session_start_info(dict(hparams), wall_time)
        value = _bytes(9, _plugin_metadata("hparams", content)) + _bytes(8, _NULL_TENSOR)
        self._summary("_hparams_/session_start_info", value, 0, wall_time)

    def graph(self, nodes, wall_time: float | None = None) -> None:
        """Records a graph of ``(name, op, inputs)`` nodes (a ``GraphDef``, which TensorBoard's Graphs tab draws).

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as d, SummaryWriter(d) as w:
            ...     w.graph([("input", "InputLayer", []), ("dense", "Dense", ["input"])])
        """
        self._write(_event(time.time() if wall_time is None else wall_time, 0, graph_def=_graph_def(nodes)))

    def graph_view(self, source, wall_time: float | None = None) -> None:
        """Records the graph the viewer draws (``/graph?run=``): ``wg.graph_view`` of a traced function or a
        Keras model (ops by phase and layer, the kernels that run them), or such a view as a dict. A run
        keeps its last one.

        Example:
            >>> import tempfile
            >>> f = wg.function(lambda x: (x * x).sum()); _ = f(wg.ones(3))
            >>> with tempfile.TemporaryDirectory() as d, SummaryWriter(d) as w:
            ...     w.graph_view(f)
        """
        value = _bytes(9, _plugin_metadata(GRAPH_VIEW_PLUGIN)) + _bytes(8, _string_tensor(json.dumps(_view(source))))
        self._summary(GRAPH_VIEW_TAG, value, 0, wall_time)

    def flush(self) -> None:
        """Write what is buffered to the file (every record is flushed as it is written already).

        Example:
            >>> import os, tempfile
            >>> with tempfile.TemporaryDirectory() as d, SummaryWriter(d) as w:
            ...     w.scalar("loss", 0.5, step=0)
            ...     size = os.path.getsize(w.path)
            ...     w.flush()
            ...     os.path.getsize(w.path) == size
            True
        """
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Close the event file; the writer takes no records after this.

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as d:
            ...     w = SummaryWriter(d)
            ...     w.close()
            ...     w.scalar("loss", 0.5, step=0)
            Traceback (most recent call last):
            ...
            ValueError: SummaryWriter: the writer is closed
        """
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _run_name(logdir) -> str:
    """The run a page's ``logdir`` names on the server: the path inside the server's logdir (no leading
    ``/``, no ``.`` or ``..`` parts): ``"/home/pyodide/logs/run1"`` -> ``"home/pyodide/logs/run1"``."""
    parts = [p for p in str(os.fspath(logdir)).replace("\\", "/").split("/") if p not in ("", ".", "..")]
    if not parts:
        raise ValueError(f"writer: {logdir!r} names no run (give a folder such as 'logs/run1')")
    return "/".join(parts)


def _xhr_post(path: str, body: str) -> None:
    """POST ``body`` (JSON) to the server that served the page, synchronously (a worker may)."""
    import js  # noqa: F401  (Pyodide's bridge to the worker's globals)

    xhr = js.XMLHttpRequest.new()
    xhr.open("POST", path, False)
    xhr.setRequestHeader("Content-Type", "application/json")
    xhr.send(body)
    if xhr.status != 200:
        raise OSError(f"the server refused {path}: {xhr.status} {xhr.responseText[:200]}")


def _fetch_post(path: str, body: str, done) -> None:
    """POST ``body`` (JSON) to the page's server without waiting; ``done(error or None)`` when it ended."""
    import js
    from pyodide.ffi import create_once_callable, to_js

    init = to_js({"method": "POST", "body": body, "headers": {"Content-Type": "application/json"}},
                 dict_converter=js.Object.fromEntries)
    js.fetch(path, init).then(create_once_callable(lambda r: done(None if r.ok else f"HTTP {r.status}")),
                              create_once_callable(lambda e: done(str(e))))


class PostingWriter:
    """``SummaryWriter``'s methods for the page: records go to the server in batches (every
    ``batch`` records or ``every_s`` seconds, and on ``flush``/``close``), which writes them to the run's
    event file. A crash loses at most the records of the batch not sent yet.

    ``post(path, body)`` sends one batch and waits (in Pyodide a synchronous XMLHttpRequest to the
    page's server): ``close`` sends this way, so what was logged is on the server when it returns.
    ``post_later(path, body, done)`` sends one without waiting (in Pyodide ``fetch``): the batches
    during training go this way, one at a time in order, so training never waits on the network.

    Example:
        >>> sent = []
        >>> w = PostingWriter("logs/run1", post=lambda path, body: sent.append((path, json.loads(body))))
        >>> w.scalar("loss", 0.5, step=1); w.text("note", "hi", step=0); w.close()
        >>> [(path, [r["tag"] for r in records]) for path, records in sent]
        [('/api/runs/logs/run1/scalars', ['loss']), ('/api/runs/logs/run1/text', ['note'])]
    """

    def __init__(self, logdir, post=None, post_later=None, batch: int = 100, every_s: float = 1.0):
        self.run = _run_name(logdir)
        self.logdir = self.path = str(logdir)
        self._post = post or _xhr_post
        self._post_later = post_later or (_fetch_post if post is None else None)
        self._queue: list[tuple[str, str]] = []        # (path, body) waiting for the one in flight
        self._in_flight = False
        self._pending: dict[str, list] = {}
        self._batch, self._every_s, self._last = int(batch), float(every_s), time.monotonic()
        self._closed = self._warned = False
        self._timer = None

    def _add(self, kind: str, record: dict) -> None:
        if self._closed:
            raise ValueError("PostingWriter: the writer is closed")
        record.setdefault("wall_time", time.time())
        self._pending.setdefault(kind, []).append(record)
        if sum(map(len, self._pending.values())) >= self._batch or time.monotonic() - self._last >= self._every_s:
            self.flush()
        elif self._timer is None and self._post_later is _fetch_post:
            self._flush_later()

    def _flush_later(self) -> None:
        """In the page: send what waits ``every_s`` from now even if no record comes (a paused training)."""
        import js
        from pyodide.ffi import create_once_callable

        def due():
            self._timer = None
            if not self._closed:
                self.flush()
        self._timer = js.setTimeout(create_once_callable(due), int(self._every_s * 1000))

    def scalar(self, tag: str, value, step: int, wall_time: float | None = None) -> None:
        """As ``SummaryWriter.scalar``."""
        if hasattr(value, "item"):
            value = value.item()
        record = {"tag": str(tag), "step": int(step), "value": float(value)}     # NaN goes as JSON's NaN
        self._add("scalars", record if wall_time is None else {**record, "wall_time": wall_time})

    def histogram(self, tag: str, values, step: int, bins: int = 30, wall_time: float | None = None) -> None:
        """As ``SummaryWriter.histogram``."""
        vals = list(_flatten(values))
        if not vals or any(not math.isfinite(v) for v in vals):
            raise ValueError("histogram: values must be finite" if vals else "histogram: no values")
        record = {"tag": str(tag), "step": int(step), "values": vals, "bins": int(bins)}
        self._add("histograms", record if wall_time is None else {**record, "wall_time": wall_time})

    def text(self, tag: str, text: str, step: int, wall_time: float | None = None) -> None:
        """As ``SummaryWriter.text``."""
        record = {"tag": str(tag), "step": int(step), "text": str(text)}
        self._add("text", record if wall_time is None else {**record, "wall_time": wall_time})

    def hparams(self, hparams: dict, wall_time: float | None = None) -> None:
        """As ``SummaryWriter.hparams`` (sent at once)."""
        for v in dict(hparams).values():
            _hparam_value(v)                         # the same checks, before anything is sent
        self._send("hparams", {"hparams": dict(hparams)})

    def graph(self, nodes, wall_time: float | None = None) -> None:
        """As ``SummaryWriter.graph`` (sent at once)."""
        _graph_def(nodes)                            # the same checks, before anything is sent
        self._send("graph", {"nodes": [{"name": n, "op": op, "inputs": list(i)} for n, op, i in nodes]})

    def graph_view(self, source, wall_time: float | None = None) -> None:
        """As ``SummaryWriter.graph_view`` (sent at once)."""
        self._send("graph_view", _view(source))

    def _send(self, kind: str, body, wait: bool = False) -> None:
        path = f"/api/runs/{self.run}/{kind}"
        if self._post_later is not None and not wait:
            self._queue.append((path, json.dumps(body)))
            self._pump()
            return
        try:
            self._post(path, json.dumps(body))
        except Exception as e:                       # logging must not stop training: say it once
            self._failed(path, e)

    def _pump(self) -> None:
        """Send the next queued batch once the one in flight has been answered."""
        if self._in_flight or not self._queue:
            return
        path, body = self._queue.pop(0)
        self._in_flight = True

        def done(error):
            self._in_flight = False
            if error:
                self._failed(path, error)
            self._pump()
        try:
            self._post_later(path, body, done)
        except Exception as e:
            done(str(e))

    def _failed(self, path: str, error) -> None:
        if not self._warned:
            import sys
            print(f"webgrad: could not send {path} to the server ({error}); later records are still tried",
                  file=sys.stderr)
            self._warned = True

    def flush(self) -> None:
        """Send the records not sent yet.

        Example:
            >>> sent = []
            >>> w = PostingWriter("r", post=lambda path, body: sent.append(path), batch=10)
            >>> w.scalar("loss", 1.0, 0); len(sent)
            0
            >>> w.flush(); sent
            ['/api/runs/r/scalars']
        """
        self._flush()

    def _flush(self, wait: bool = False) -> None:
        pending, self._pending = self._pending, {}
        self._last = time.monotonic()
        for kind, records in pending.items():
            self._send(kind, records, wait)

    def close(self) -> None:
        """Send what is left; the writer takes no records after this.

        Example:
            >>> w = PostingWriter("r", post=lambda path, body: None)
            >>> w.close(); w.scalar("loss", 1.0, 0)
            Traceback (most recent call last):
            ...
            ValueError: PostingWriter: the writer is closed
        """
        if not self._closed:
            queued, self._queue = self._queue, []       # what waits behind the batch in flight goes now
            for path, body in queued:
                try:
                    self._post(path, body)
                except Exception as e:
                    self._failed(path, e)
            self._flush(wait=True)
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def writer(logdir, **kwargs):
    """The event writer for ``logdir`` here: a ``SummaryWriter`` (an event file under ``logdir``) on the
    desktop, a ``PostingWriter`` (the server writes the file under its ``--logdir``) in the page.

    Example:
        >>> import tempfile
        >>> with writer(tempfile.mkdtemp()) as w:
        ...     type(w).__name__
        'SummaryWriter'
    """
    import sys

    if sys.platform == "emscripten":
        return PostingWriter(logdir, **kwargs)
    return SummaryWriter(logdir, **kwargs)
