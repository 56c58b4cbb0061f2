"""The logdir behind the dashboard: its runs, read incrementally and decoded by TensorBoard's own
protobuf classes, and written from the page's POSTs with webgrad's event-file writer.

A run is a folder under the logdir that holds ``events.out.tfevents.*`` files (nested folders
included), named by its path relative to the logdir (``"."`` for the logdir itself), as TensorBoard
names it. Each file keeps its offset (``EventFile``): a refresh reads only the records written since
the last one, and a record cut short (a run killed mid-write) is read once it is complete. Records
are TFRecord frames (checked by their CRC32C, with ``google_crc32c`` where it is installed) around
``Event`` protobufs, decoded by ``tensorboard``'s ``event_pb2``; values other than plain scalars go
through ``tensorboard``'s ``data_compat`` as TensorBoard reads them. (TensorBoard's Python
``EventFileLoader`` does the same at 73 us an event, its pure-Python CRC and per-event migration
most of it; this reads 5-6 us an event.) Files that TensorBoard, PyTorch's ``SummaryWriter``,
``tensorboardX`` or Keras wrote read the same as ours.

A big logdir loads in the background (``Logdir.start``): the run list is there at once, each run's
tags and points as it is read; asking for a run's scalars reads that run first.

    >>> import tempfile, webgrad.event_files
    >>> root = tempfile.mkdtemp()
    >>> with webgrad.event_files.SummaryWriter(f"{root}/mlp/train") as w:
    ...     w.scalar("loss", 0.5, step=1)
    >>> logdir = Logdir(root)
    >>> logdir.refresh_run("mlp/train").scalars["loss"].rows()
    [[..., 1, 0.5]]
"""
from __future__ import annotations

import math
import os
import re
import struct
import threading
import time
import unicodedata
from array import array
from pathlib import Path

import numpy as np

from webgrad.event_files import GRAPH_VIEW_PLUGIN, SummaryWriter

try:
    from google_crc32c import value as _crc32c           # C (SSE 4.2): 0.3 us a record
except ImportError:                                       # pragma: no cover - the pure-Python one
    from webgrad.event_files import crc32c as _crc32c

EVENT_FILE = re.compile(r"(^|\.)tfevents(\.|$)")
KINDS = ("scalars", "histograms", "text")
CHUNK = 16 << 20                 # bytes of an event file read at once


class RunNameError(ValueError):
    """A run name that could name something outside the logdir, or no folder at all (says which rule)."""


def check_run_name(name: str) -> str:
    """``name`` (NFC-normalized) when it names a folder inside the logdir: relative, ``/``-separated,
    no ``.``/``..``/empty part, no backslash, NUL or other control or unassigned characters.

        >>> check_run_name("mnist/lr=0.01/train")
        'mnist/lr=0.01/train'
        >>> check_run_name("../etc")
        Traceback (most recent call last):
        ...
        webgrad_server.logdir.RunNameError: run '../etc': a part is '..' (a run is a folder inside the logdir)
    """
    if not isinstance(name, str) or not name:
        raise RunNameError("a run name is needed (a folder inside the logdir, such as 'mlp/train')")
    name = unicodedata.normalize("NFC", name)
    if len(name.encode()) > 1024:
        raise RunNameError(f"run {name[:40]!r}...: longer than 1024 bytes")
    for c in name:
        if c == "\\":
            raise RunNameError(f"run {name!r}: a backslash (separate folders with '/')")
        if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise RunNameError(f"run {name!r}: the character U+{ord(c):04X} is not allowed in a run name")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise RunNameError(f"run {name!r}: an absolute path (a run is a folder inside the logdir)")
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise RunNameError(f"run {name!r}: a part is {part!r} (a run is a folder inside the logdir)")
        if len(part.encode()) > 255:
            raise RunNameError(f"run {name!r}: a folder name longer than 255 bytes")
    return name


class Series:
    """One scalar tag of one run, as columns: wall times, steps and values in the order written.

        >>> s = Series()
        >>> s.append(100.0, 0, 1.0); s.append(101.0, 1, 0.5)       # values kept as float32, as TensorBoard's
        >>> s.rows(), len(s)
        ([[100.0, 0, 1.0], [101.0, 1, 0.5]], 2)
    """

    def __init__(self):
        # 12 bytes a point (30 million points in 360 MB): the wall time as float32 seconds after the series'
        # first (8 ms apart a day into a run), the step as int32 until one needs int64, the value as float32
        self.first_wall = None
        self.wall, self.step, self.value = array("f"), array("i"), array("f")

    def append(self, wall: float, step: int, value: float) -> None:
        self.extend([wall], [step], [value])

    def extend(self, walls: list, steps: list, values: list) -> None:
        """Many points at once, as many ``append`` calls (a file's points go in this way)."""
        if not steps:
            return
        if self.first_wall is None:
            self.first_wall = walls[0]
        if self.step.typecode == "i" and not (-(1 << 31) <= min(steps) and max(steps) < (1 << 31)):
            self.step = array("q", self.step)
        self.wall.frombytes((np.asarray(walls, dtype=np.float64) - self.first_wall).astype(np.float32).tobytes())
        self.step.extend(steps)
        self.value.extend(values)

    def _steps(self) -> np.ndarray:
        return np.frombuffer(self.step, dtype=np.int32 if self.step.typecode == "i" else np.int64)

    def __len__(self) -> int:
        return len(self.step)

    def rows(self, start: int = 0, indices=None) -> list:
        """``[[wall_time, step, value], ...]``, from index ``start`` or at ``indices``."""
        picked = np.arange(start, len(self)) if indices is None else np.asarray(indices, dtype=np.int64)
        walls = (np.frombuffer(self.wall, dtype=np.float32)[picked].astype(np.float64) + (self.first_wall or 0.0)).tolist()
        steps = self._steps()[picked].tolist()
        values = np.frombuffer(self.value, dtype=np.float32)[picked]
        finite = bool(np.isfinite(values).all())
        values = values.tolist() if finite else [_json_number(v) for v in values.tolist()]
        return [list(row) for row in zip(walls, steps, values)]

    def downsampled(self, points: int, first_step: int | None = None, last_step: int | None = None) -> list[int]:
        """Indices of at most ``points`` rows between two steps: each of ``points // 2`` buckets keeps its
        lowest and highest value, so spikes stay (and the first and last rows always).

            >>> s = Series()
            >>> for i in range(100): s.append(0.0, i, 10.0 if i == 37 else 0.0)
            >>> picked = s.downsampled(10)
            >>> 37 in picked, len(picked) <= 10, picked[0], picked[-1]
            (True, True, 0, 99)
        """
        steps = self._steps()
        keep = np.ones(len(steps), dtype=bool)
        if first_step is not None:
            keep &= steps >= first_step
        if last_step is not None:
            keep &= steps <= last_step
        index = np.flatnonzero(keep)
        n = len(index)
        if n <= points:
            return index.tolist()
        buckets = max(1, (points - 2) // 2)          # two a bucket, and room for the first and last rows
        size = -(-n // buckets)
        values = np.full(buckets * size, np.nan, dtype=np.float32)
        values[:n] = np.frombuffer(self.value, dtype=np.float32)[index]
        table = values.reshape(buckets, size)
        bad = np.isnan(table)
        lows = np.where(bad, np.inf, table).argmin(axis=1)
        highs = np.where(bad, -np.inf, table).argmax(axis=1)
        base = np.arange(buckets) * size
        picked = np.unique(np.concatenate([base + lows, base + highs, [0, n - 1]]))
        return index[picked[picked < n]].tolist()


def _json_number(v: float):
    """JSON has no NaN or infinity: they go as the strings TensorBoard's CSV writes."""
    return v if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))


def _masked_crc(data: bytes) -> int:
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class EventFile:
    """One event file, read from where the last read stopped: ``records()`` gives the complete TFRecord
    records written since (a record cut short waits for the rest; one whose data fails its CRC is
    skipped and counted in ``bad``; a length that fails its CRC stops the file there, in ``broken``).

        >>> import tempfile
        >>> w = SummaryWriter(tempfile.mkdtemp()); w.scalar("loss", 0.5, 1)
        >>> f = EventFile(w.path); len(f.records()), len(f.records())
        (2, 0)
    """

    def __init__(self, path: str | os.PathLike):
        self.path, self.offset, self.bad, self.broken = str(path), 0, 0, None

    def records(self) -> list[bytes]:
        out = []
        if self.broken is not None:
            return out
        try:
            f = open(self.path, "rb")
        except OSError:
            return out
        with f:
            size = CHUNK
            while True:                           # a block at a time
                f.seek(self.offset)
                block = f.read(size)
                used = self._parse(block, out)
                self.offset += used
                if self.broken is not None or len(block) < size:
                    return out
                if used:
                    size = CHUNK
                    continue
                # a record longer than a block: read it whole once the file holds all of it
                size = 12 + struct.unpack_from("<Q", block)[0] + 4
                if os.fstat(f.fileno()).st_size - self.offset < size:
                    return out

    def _parse(self, block: bytes, out: list) -> int:
        """The complete records at the start of ``block`` appended to ``out``; the bytes they take."""
        at, end, unpack, crc = 0, len(block), struct.unpack_from, _masked_crc
        while end - at >= 12:
            length, length_crc = unpack("<QI", block, at)
            if length_crc != crc(block[at:at + 8]):
                self.broken = f"a record's length fails its CRC at byte {self.offset + at}"
                break
            stop = at + 12 + length
            if stop + 4 > end:                    # cut short (a writer mid-record, a killed run, the block's end)
                break
            body = block[at + 12:stop]
            if unpack("<I", block, stop)[0] == crc(body):
                out.append(body)
            else:
                self.bad += 1
            at = stop + 4
        return at


class Run:
    """One run's data, read from every event file in its folder (in name order).

    ``scalars[tag]`` is a Series; ``histograms[tag]`` and ``text[tag]`` lists of
    ``[wall_time, step, data]``; ``hparams`` the hyper-parameters its HParams summary records;
    ``changed`` holds, per ``(kind, tag)``, the stamp (the logdir's sequence number) of its last
    addition; ``loaded`` says whether it has been read once. ``lock`` guards it (a refresh, a query).
    """

    def __init__(self, name: str, folder: Path):
        self.name, self.folder = name, folder
        self.files: dict[str, EventFile] = {}
        self.plugins: dict[str, str] = {}          # tag -> the plugin its first metadata named
        self.scalars: dict[str, Series] = {}
        self.histograms: dict[str, list] = {}
        self.text: dict[str, list] = {}
        self.hparams: dict[str, object] = {}
        self.graph: bytes | None = None
        self.graph_view: str | None = None       # the viewer's JSON (SummaryWriter.graph_view), as written
        self.first_wall = self.last_wall = None
        self.changed: dict[tuple[str, str], int] = {}
        self.loaded = False
        self.lock = threading.RLock()

    def tags(self) -> dict[str, list[str]]:
        """Its tags by kind, as read so far: without the lock (``list`` of a dict is one step under the GIL), so
        the run list never waits behind a run being read."""
        return {kind: sorted(list(getattr(self, kind))) for kind in KINDS}

    def refresh(self, wait_s: float | None = None) -> set:
        """Reads what was appended to its files (and files that appeared); the ``(kind, tag)`` keys that
        gained data (``Logdir`` stamps them). A run another thread is reading is waited for (at most
        ``wait_s`` seconds, then left to it)."""
        if not self.lock.acquire(timeout=-1 if wait_s is None else max(0.0, wait_s)):
            return set()
        try:
            return self._refresh()
        finally:
            self.lock.release()

    def _refresh(self) -> set:
        from tensorboard.compat.proto import event_pb2

        try:
            names = sorted(n for n in os.listdir(self.folder) if EVENT_FILE.search(n))
        except OSError:                      # the folder went away: keep what was read
            names = []
        touched = set()
        from_string = event_pb2.Event.FromString
        for n in names:
            file = self.files.get(n) or self.files.setdefault(n, EventFile(self.folder / n))
            scalars: dict[str, tuple] = {}        # tag -> its new walls, steps, values (added at the file's end)
            first, last = math.inf, -math.inf
            for record in file.records():
                try:
                    event = from_string(record)
                except Exception:             # not an Event: skip it as TensorBoard does
                    file.bad += 1
                    continue
                wall = event.wall_time
                first, last = min(first, wall), max(last, wall)
                what = event.WhichOneof("what")
                if what == "summary":
                    step = event.step
                    for value in event.summary.value:
                        if value.WhichOneof("value") == "simple_value":     # the common case, without a migration
                            columns = scalars.get(value.tag)
                            if columns is None:
                                columns = scalars[value.tag] = ([], [], [])
                            columns[0].append(wall)
                            columns[1].append(step)
                            columns[2].append(value.simple_value)
                        else:
                            self._take_value(value, wall, step, touched, scalars)
                elif what == "graph_def":
                    self.graph = bytes(event.graph_def)
                    touched.add(("graph", ""))
            if first <= last:
                self.first_wall = first if self.first_wall is None else min(self.first_wall, first)
                self.last_wall = last if self.last_wall is None else max(self.last_wall, last)
            for tag, columns in scalars.items():
                series = self.scalars.get(tag)
                if series is None:
                    series = self.scalars[tag] = Series()
                series.extend(*columns)
                touched.add(("scalars", tag))
        self.loaded = True
        return touched

    def _take_value(self, value, wall: float, step: int, touched: set, scalars: dict) -> None:
        """A value in any other form (a tensor with its plugin's metadata, an old-style histogram...), read
        as TensorBoard reads it: ``data_compat`` first, then by the plugin its tag's first metadata named.
        A scalar goes to ``scalars`` (tag -> walls, steps, values), in order with the file's simple values."""
        from tensorboard import data_compat
        from tensorboard.util import tensor_util

        value = data_compat.migrate_value(value)
        tag = value.tag
        plugin = value.metadata.plugin_data.plugin_name
        if plugin and tag not in self.plugins:
            self.plugins[tag] = plugin
        plugin = self.plugins.get(tag, plugin)
        if plugin == "hparams":
            return self._take_hparams(value.metadata.plugin_data.content, touched)
        if plugin == GRAPH_VIEW_PLUGIN:
            self.graph_view = value.tensor.string_val[0].decode("utf-8", "replace") if value.tensor.string_val else None
            touched.add(("graph", ""))
            return
        if plugin not in KINDS:
            return
        try:
            data = tensor_util.make_ndarray(value.tensor)
        except Exception:
            return
        if plugin == "scalars":
            if data.size != 1:
                return
            columns = scalars.setdefault(tag, ([], [], []))
            columns[0].append(wall)
            columns[1].append(step)
            columns[2].append(float(data.reshape(-1)[0]))
        elif plugin == "histograms":
            if data.ndim != 2 or data.shape[1] != 3:
                return
            self.histograms.setdefault(tag, []).append([wall, step, data.tolist()])
        else:
            strings = [s.decode("utf-8", "replace") if isinstance(s, bytes) else str(s) for s in data.reshape(-1)]
            self.text.setdefault(tag, []).append([wall, step, "\n".join(strings)])
        touched.add((plugin, tag))

    def _take_hparams(self, content: bytes, touched: set) -> None:
        from tensorboard.plugins.hparams import plugin_data_pb2

        try:
            data = plugin_data_pb2.HParamsPluginData.FromString(content)
        except Exception:
            return
        if data.WhichOneof("data") != "session_start_info":
            return
        for name, v in data.session_start_info.hparams.items():
            kind = v.WhichOneof("kind")
            self.hparams[name] = None if kind in (None, "null_value") else getattr(v, kind)
        touched.add(("hparams", ""))


class Logdir:
    """The runs under ``root``. ``refresh`` finds new run folders and reads new records (within a time
    budget, if given); ``start`` keeps refreshing in a background thread. ``writer(run)`` gives the event
    file the server writes a run's posted records to.

        >>> Logdir(tempfile.mkdtemp()).runs()          # doctest: +SKIP
        {}
    """

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self._runs: dict[str, Run] = {}
        self._writers: dict[str, SummaryWriter] = {}
        self.seq = 0                              # the last stamp given to an addition
        self._seq_lock = threading.Lock()
        self.lock = threading.RLock()             # the run table and the writers
        self._stop = threading.Event()
        self._thread = None

    def _read(self, run: Run, wait_s: float | None = None) -> None:
        """Refresh ``run`` and stamp what it gained with one new sequence number, under the lock that
        ``now`` reads it with: a reader that saw the number sees the stamps."""
        touched = run.refresh(wait_s)
        if touched:
            with self._seq_lock:
                self.seq += 1
                for key in touched:
                    run.changed[key] = self.seq

    def now(self) -> int:
        """The last stamp given: pass it as ``since`` to the next ``changes``."""
        with self._seq_lock:
            return self.seq

    def refresh(self, budget_s: float | None = None) -> int:
        """Finds new run folders, then reads new records of each run (those never read first) until
        ``budget_s`` seconds have passed; returns the last stamp given."""
        deadline = None if budget_s is None else time.monotonic() + budget_s
        found = list(self._folders())
        with self.lock:
            for name, folder in found:
                if name not in self._runs:
                    self._runs[name] = Run(name, folder)
            runs = sorted(self._runs.values(), key=lambda r: r.loaded)
        for run in runs:
            if deadline is not None and time.monotonic() > deadline:
                break
            self._read(run, None if deadline is None else deadline - time.monotonic())
        return self.now()

    def refresh_run(self, name: str) -> Run:
        """The run named ``name``, with what its files gained since it was last read (KeyError naming the
        runs there are, when there is none)."""
        try:
            run = self.run(name)
        except KeyError:
            self.refresh(budget_s=0)              # a folder made since the last look
            run = self.run(name)
        self._read(run)
        return run

    def _folders(self):
        if not self.root.is_dir():
            return
        for top, dirs, files in os.walk(self.root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            if any(EVENT_FILE.search(f) for f in files):
                rel = os.path.relpath(top, self.root).replace(os.sep, "/")
                yield rel, Path(top)

    def start(self, every_s: float = 0.25) -> None:
        """Refresh in a background thread every ``every_s`` seconds until ``close``."""
        def loop():
            while not self._stop.is_set():
                try:
                    self.refresh()
                except Exception:                 # a folder removed while walked: the next round sees it
                    pass
                self._stop.wait(every_s)
        self._thread = threading.Thread(target=loop, name="webgrad-logdir", daemon=True)
        self._thread.start()

    def runs(self) -> dict[str, Run]:
        with self.lock:
            return dict(sorted(self._runs.items()))

    def run(self, name: str) -> Run:
        """The run named ``name``; KeyError (naming the runs there are) when there is none."""
        with self.lock:
            if name not in self._runs:
                known = ", ".join(sorted(self._runs)[:10]) or "none yet"
                raise KeyError(f"no run {name!r} in the logdir (runs: {known})")
            return self._runs[name]

    def changes(self, since: int) -> list[dict]:
        """What was added after stamp ``since``: ``{"run", "kind", "tag", "count"}`` each. Take ``now()``
        before the call as the next ``since``: an addition made during the call is told again, never lost."""
        out = []
        for run in self.runs().values():
            for (kind, tag), stamp in list(run.changed.items()):      # no lock: see Run.tags
                if stamp > since:
                    count = len(getattr(run, kind).get(tag, ())) if kind in KINDS else None
                    out.append({"run": run.name, "kind": kind, "tag": tag, "count": count})
        return out

    def writer(self, name: str) -> SummaryWriter:
        """The event-file writer for records posted to run ``name`` (made on first use, under the logdir).

        Raises RunNameError for a name that is not a folder inside the logdir (checked, then resolved:
        a symbolic link out of the logdir is refused too).
        """
        name = check_run_name(name)
        with self.lock:
            if name not in self._writers:
                root = self.root.resolve()
                folder = (root / name).resolve()
                if root != folder and root not in folder.parents:
                    raise RunNameError(f"run {name!r}: its folder resolves outside the logdir")
                self._writers[name] = SummaryWriter(folder, filename_suffix=".webgrad")
            return self._writers[name]

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        with self.lock:
            for w in self._writers.values():
                w.close()
            self._writers.clear()
