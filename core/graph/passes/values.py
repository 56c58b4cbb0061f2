"""Reading the values of constant nodes at trace time."""
import struct

from ..ir import CONST


def scalar_value(n):
    """The value of a constant node whose elements are all equal (from host bytes), else None."""
    if n.op != CONST or not isinstance(n.payload, bytes) or not n.payload:
        return None
    fmt = n.dtype.fmt
    size = struct.calcsize(fmt)
    values = set(struct.unpack(f"<{len(n.payload) // size}{fmt}", n.payload))
    return values.pop() if len(values) == 1 else None
