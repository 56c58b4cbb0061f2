"""Build-time script: writes digits.bin.gz from scikit-learn's bundled copy of the UCI 8x8
digits, so that ``webgrad.datasets.load_digits`` needs neither scikit-learn nor NumPy (nor a
download) at run time, in Pyodide too.

    python -m webgrad.datasets.convert_digits        # needs `pip install scikit-learn`

The file, gzip-compressed: the magic b"WGDIGITS", then little-endian uint32 count (1,797),
height (8), width (8); then count * 64 pixel bytes (0..16, row-major); then count label bytes.
"""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

MAGIC = b"WGDIGITS"
PATH = Path(__file__).with_name("digits.bin.gz")


def encode(images, labels, height: int = 8, width: int = 8) -> bytes:
    raw = MAGIC + struct.pack("<III", len(labels), height, width) + bytes(images) + bytes(labels)
    # mtime=0: the same data gives the same file, byte for byte.
    return gzip.compress(raw, compresslevel=9, mtime=0)


def from_sklearn() -> bytes:
    from sklearn.datasets import load_digits
    digits = load_digits()
    pixels = [int(v) for row in digits.data for v in row]
    assert all(0 <= v <= 16 for v in pixels) and digits.data.shape == (1797, 64)
    return encode(pixels, [int(t) for t in digits.target])


def main() -> None:
    data = from_sklearn()
    PATH.write_bytes(data)
    print(f"wrote {PATH} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
