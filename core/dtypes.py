"""Data types: what a tensor's elements are, how they sit in memory and in WGSL.

    >>> import webgrad as wg
    >>> wg.float32.itemsize, wg.bool_.wgsl
    (4, 'u32')
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DType:
    """A tensor's element type: its name, bytes per element, WGSL storage type, host format
    character, kind and promotion rank. webgrad has four: ``wg.bool_``, ``wg.int32``,
    ``wg.float16`` and ``wg.float32``.

    Example:
        >>> wg.tensor([1.5]).dtype is wg.float32, wg.float16.itemsize, wg.int32.wgsl
        (True, 2, 'i32')
    """
    name: str
    itemsize: int   # bytes per element in a device buffer
    wgsl: str       # storage type in WGSL (bool is stored as u32: WGSL bool is not host-shareable)
    fmt: str        # struct/array format character of one element on the host
    kind: str       # 'f' float, 'i' integer, 'b' bool
    rank: int       # promotion order: bool < int32 < float16 < float32

    @property
    def is_float(self) -> bool:
        """Whether the elements are floats (float16, float32): only float tensors get gradients.

        Example:
            >>> wg.float16.is_float, wg.int32.is_float
            (True, False)
        """
        return self.kind == "f"

    @property
    def value_type(self) -> str:
        """The WGSL type kernels compute one element in: the storage type, but bool for bool
        (stored as u32, since WGSL's bool is not host-shareable).

        Example:
            >>> wg.float32.value_type, wg.bool_.wgsl, wg.bool_.value_type
            ('f32', 'u32', 'bool')
        """
        return "bool" if self.kind == "b" else self.wgsl

    def __repr__(self) -> str:
        return f"webgrad.{self.name}"


bool_ = DType("bool", 4, "u32", "I", "b", 0)
int32 = DType("int32", 4, "i32", "i", "i", 1)
float16 = DType("float16", 2, "f16", "e", "f", 2)
float32 = DType("float32", 4, "f32", "f", "f", 3)

DTYPES = {d.name: d for d in (bool_, int32, float16, float32)}
_ALIASES = {"bool": bool_, "int": int32, "int32": int32, "float": float32, "float32": float32,
            "float16": float16, "half": float16}


def as_dtype(x) -> DType:
    """Accepts a DType, a name ('float32'), a Python type (float, int, bool) or a NumPy dtype."""
    if isinstance(x, DType):
        return x
    if x is bool:
        return bool_
    if x is int:
        return int32
    if x is float:
        return float32
    name = x if isinstance(x, str) else getattr(x, "name", None) or getattr(getattr(x, "dtype", None), "name", None)
    if isinstance(name, str):
        if name in _ALIASES:
            return _ALIASES[name]
        if name in ("float64", "double"):
            return float32
        if name in ("int64", "int16", "int8", "uint8", "uint16", "uint32", "uint64"):
            return int32
    raise TypeError(f"unknown dtype {x!r}; webgrad has {', '.join(DTYPES)}")


def promote(*dtypes: DType) -> DType:
    """The dtype a binary op computes in: the highest of its inputs (bool < int32 < float16 < float32)."""
    return max(dtypes, key=lambda d: d.rank)


def numpy_dtype(d: DType):
    import numpy as np
    return {"bool": np.bool_, "int32": np.int32, "float16": np.float16, "float32": np.float32}[d.name]
