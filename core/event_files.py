"""TensorBoard event files, written in pure Python (no TensorFlow, protobuf or NumPy: runs in Pyodide).

``SummaryWriter(logdir)`` creates ``logdir/events.out.tfevents.<time>.<host>.<pid>.<n>``: TFRecord
framing (length as u64 LE, masked CRC32C of the length, the data, masked CRC32C of the data) around
``Event`` protobufs encoded by hand. The first record carries ``file_version = "brain.Event:2"``;
every later one a ``Summary`` with scalars (``simple_value``) or histograms (``HistogramProto``).
The file is flushed after every record, so a run that crashes leaves every step it logged readable.

    >>> import tempfile, webgrad.event_files
    >>> with webgrad.event_files.SummaryWriter(tempfile.mkdtemp()) as w:
    ...     for step in range(3):
    ...         w.scalar("loss", 1.0 / (step + 1), step)
    ...     w.histogram("weights", [0.1, -0.2, 0.3, 0.3], step=2)

Then ``tensorboard --logdir <dir>`` shows them. The ``TensorBoard`` callback
(``webgrad.callbacks.TensorBoard``) logs ``fit``'s epoch metrics this way.
"""
from __future__ import annotations

import itertools
import math
import os
import struct
import time

__all__ = ["SummaryWriter", "crc32c", "masked_crc32c"]


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


def _event(wall_time: float, step: int, *, file_version: str | None = None, summary: bytes | None = None) -> bytes:
    out = _double(1, wall_time) + _int(2, step)
    if file_version is not None:
        out += _bytes(3, file_version.encode())
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
