"""Host values before they are tensors: Python numbers, nested lists and buffers checked and
packed into the bytes a device uploads, and the sizes a new tensor is given, checked. No tensors
here (the constructors in tensor.py use it), so every error names the constructor it is for.

    >>> new_shape((2, 3), "zeros"), flatten([[1, 2], [3, 4]])
    ((2, 3), ([1, 2, 3, 4], (2, 2)))
    >>> new_shape((-1, 3), "zeros")
    Traceback (most recent call last):
    ...
    ValueError: zeros: size of axis 0 is -1; sizes must be 0 or more
"""
from __future__ import annotations

import numbers
import struct
from array import array
from math import prod

from .dtypes import DType, bool_, float16, float32, int32


def new_shape(shape, fn: str) -> tuple[int, ...]:
    """The shape of a new tensor, as ``fn`` (``zeros(2, 3)`` or ``zeros((2, 3))``) was given it, checked."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    shape = tuple(count(fn, d, f"size of axis {k}", example=f"{fn}(2, 3) or {fn}((2, 3))")
                  for k, d in enumerate(shape))
    if prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"{fn}: shape {shape} has {prod(shape):,} elements; a tensor holds at most "
                         f"{MAX_ELEMENTS:,} (webgrad's kernels index with 32-bit integers)")
    return shape


MAX_ELEMENTS = 2 ** 31 - 1


def count(fn: str, value, what: str, example: str) -> int:
    """A size or count as ``fn`` takes it: a whole number, 0 or more (an int or a NumPy integer)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{fn}: {what} is {value!r} (a {type(value).__name__}); sizes are whole numbers, "
                        f"as in {example}")
    if value < 0:
        raise ValueError(f"{fn}: {what} is {value}; sizes must be 0 or more")
    return int(value)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) or type(v).__name__ == "bool_"     # NumPy's bool is not Real


def _what_it_is(v) -> str:
    return "a complex number; webgrad has no complex dtype" if isinstance(v, numbers.Complex) else \
        f"a {type(v).__name__}"


def number(fn: str, value, what: str):
    """A number ``fn`` takes as a value (bool, int, float or a NumPy scalar), or a clear error."""
    if _is_number(value):
        return value
    raise TypeError(f"{fn}: {what} is {value!r} ({_what_it_is(value)}); {fn} takes numbers")


def flatten(data):
    """Nested lists of numbers -> (flat list, shape)."""
    if isinstance(data, (list, tuple)):
        if not data:
            return [], (0,)
        parts = [flatten(d) for d in data]
        shape = parts[0][1]
        for k, p in enumerate(parts):
            if p[1] != shape:
                raise ValueError(f"tensor: nested lists must be rectangular, but item [{k}] has shape {p[1]} "
                                 f"and item [0] has shape {shape}")
        return [v for p in parts for v in p[0]], (len(data),) + shape
    if callable(getattr(data, "tolist", None)):          # a tensor or a NumPy array among the lists
        return flatten(data.tolist())
    return [data], ()


TAKES = "a number, nested lists of numbers, a NumPy array, a buffer (array, memoryview) or a tensor"


def check_elements(flat, shape) -> None:
    """Every element a number: otherwise say which one, as an index into the nested lists."""
    for k, v in enumerate(flat):
        if not _is_number(v):
            where, rest = [], k
            for d in reversed(shape):
                where.append(rest % d)
                rest //= d
            at = f"element {list(reversed(where))} is" if shape else "got"
            raise TypeError(f"tensor: {at} {v!r} ({_what_it_is(v)}); tensor takes {TAKES}")


def infer_dtype(flat) -> DType:
    if flat and all(isinstance(v, bool) for v in flat):
        return bool_
    if flat and all(isinstance(v, int) for v in flat):
        return int32
    return float32


def pack(flat, dtype: DType, fn: str = "tensor") -> bytes:
    if dtype is float16:
        return struct.pack(f"<{len(flat)}e", *flat)
    if dtype is bool_:
        return array("I", [1 if v else 0 for v in flat]).tobytes()
    if dtype is int32:
        try:
            return array("i", [int(v) for v in flat]).tobytes()
        except OverflowError:
            big = next(v for v in flat if not -2 ** 31 <= int(v) < 2 ** 31)
            raise ValueError(f"{fn}: {big} does not fit in int32 (-2,147,483,648 to 2,147,483,647); "
                             f"pass dtype=wg.float32 for large numbers") from None
    return array("f", flat).tobytes()
