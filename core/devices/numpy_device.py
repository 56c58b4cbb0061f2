"""The NumPy device: runs each op's registered NumPy reference. Used by tests as the reference,
and as the fallback where no WebGPU adapter exists."""
from __future__ import annotations

import numpy as np

from ..dtypes import DType, numpy_dtype


class NumpyDevice:
    kind = "numpy"
    name = "numpy"

    def __repr__(self) -> str:
        return "<webgrad device numpy>"

    def from_bytes(self, data, shape, dtype: DType):
        host = np.frombuffer(bytes(data), dtype=np.dtype(dtype.fmt)).reshape(shape)
        return host.astype(numpy_dtype(dtype))

    def to_bytes(self, x) -> bytes:
        d = np.asarray(x)
        return np.ascontiguousarray(d.astype(np.uint32) if d.dtype == np.bool_ else d).tobytes()

    def run(self, op, inputs, attrs, shape, dtype: DType):
        out = np.asarray(op.reference(*inputs, **attrs)).astype(numpy_dtype(dtype), copy=False)
        if out.shape != tuple(shape):
            raise AssertionError(f"{op.name}: reference gave shape {out.shape}, inference said {tuple(shape)}")
        return out

    def submit(self) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def stats(self) -> dict:
        return {}
