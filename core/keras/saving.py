"""Weights in the safetensors format, written and read by plain Python (struct and json), so
saving works in Pyodide where the ``safetensors`` package is not available; the real library
reads our files and we read its.

The format: an 8-byte little-endian header length, a JSON header mapping each name to its
dtype, shape and [begin, end) byte offsets (plus an optional ``__metadata__`` of strings),
padded with spaces to a multiple of 8, then the raw little-endian data.

    >>> import webgrad as wg
    >>> data = wg.saving.save({"w": wg.tensor([[1.0, 2.0]])}, metadata={"format": "pt"})
    >>> wg.saving.load(data)["w"].tolist()
    [[1.0, 2.0]]
"""
from __future__ import annotations

import json
import struct
from array import array
from math import prod

from ..autograd import no_grad
from ..ops import ShapeError
from ..tensor import Tensor, tensor

# safetensors dtype name -> (webgrad dtype, bytes per element, array/struct format)
_DTYPES = {"F32": ("float32", 4, "f"), "F16": ("float16", 2, "e"), "I32": ("int32", 4, "i"), "BOOL": ("bool", 1, "B")}
_BY_WEBGRAD = {"float32": "F32", "float16": "F16", "int32": "I32", "bool": "BOOL"}


def tensor_bytes(t: Tensor) -> bytes:
    """The row-major little-endian bytes of ``t`` as safetensors stores them (bool: 1 byte each).

    Example:
        >>> tensor_bytes(wg.tensor([1.0, 2.0])), tensor_bytes(wg.tensor([True, False]))
        (b'\\x00\\x00\\x80?\\x00\\x00\\x00@', b'\\x01\\x00')
    """
    raw = t.device.to_bytes(t.data)    # the device's own readback; bool is stored as u32 on the device
    if t.dtype.name == "bool":
        return bytes(1 if v else 0 for v in memoryview(raw).cast("I"))
    return raw


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (name -> Tensor).

    Example:
        >>> data = save({"x": wg.tensor([1, 2], dtype="int32")})
        >>> data[:8], data[8:]
        (b'8\\x00\\x00\\x00\\x00\\x00\\x00\\x00',
         b'{"x":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}  \\x01\\x00\\x00\\x00\\x02\\x00\\x00\\x00')
    """
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name]
        if not isinstance(t, Tensor):
            t = tensor(t)
        if t.dtype.name not in _BY_WEBGRAD:
            raise TypeError(f"save: tensor {name!r} has dtype {t.dtype.name}, which safetensors cannot hold here")
        blob = tensor_bytes(t)
        header[name] = {"dtype": _BY_WEBGRAD[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def parse_header(data: bytes) -> tuple[dict, int]:
    """The header dict and the offset where tensor data starts; checks the layout.

    Example:
        >>> parse_header(save({"w": wg.ones(2, 3)}))
        ({'w': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 24]}}, 72)
        >>> parse_header(b"abc")
        Traceback (most recent call last):
        ...
        ValueError: not a safetensors file: shorter than its 8-byte header length
    """
    if len(data) < 8:
        raise ValueError("not a safetensors file: shorter than its 8-byte header length")
    (n,) = struct.unpack_from("<Q", data, 0)
    if n > len(data) - 8:
        raise ValueError(f"not a safetensors file: header length {n} exceeds the file ({len(data)} bytes)")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not a safetensors file: the header is not JSON ({e})") from None
    return header, 8 + n


def load(data: bytes, device=None) -> dict[str, Tensor]:
    """Tensors (name -> Tensor) from safetensors bytes.

    Example:
        >>> loaded = load(save({"w": wg.tensor([[1.0], [2.0]]), "n": wg.tensor([3], dtype="int32")}))
        >>> {name: (t.dtype.name, t.tolist()) for name, t in sorted(loaded.items())}
        {'n': ('int32', [3]), 'w': ('float32', [[1.0], [2.0]])}
    """
    header, start = parse_header(data)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info["dtype"]
        if dtype not in _DTYPES:
            raise TypeError(f"load: tensor {name!r} has dtype {dtype}; webgrad reads {', '.join(_DTYPES)}")
        wg_dtype, size, code = _DTYPES[dtype]
        shape = tuple(info["shape"])
        begin, end = info["data_offsets"]
        if end - begin != prod(shape) * size or start + end > len(data):
            raise ValueError(f"load: tensor {name!r} of shape {shape} and dtype {dtype} has offsets {begin}..{end}, "
                             f"which do not fit its size or the file")
        raw = bytes(data[start + begin:start + end])
        if code == "B":
            values = [bool(b) for b in raw]
        elif code == "e":
            values = list(struct.unpack(f"<{len(raw) // 2}e", raw))
        else:
            values = array(code, raw)
            if struct.pack("=I", 1) != struct.pack("<I", 1):
                values.byteswap()
        t = tensor(values, dtype=wg_dtype, device=device) if len(values) else tensor([], dtype=wg_dtype, device=device)
        out[name] = t.reshape(shape)
    return out


def metadata(data: bytes) -> dict:
    """The ``__metadata__`` strings of safetensors bytes.

    Example:
        >>> metadata(save({"w": wg.ones(1)}, metadata={"epoch": 3}))
        {'epoch': '3'}
    """
    return parse_header(data)[0].get("__metadata__", {})


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` to ``filename`` (as ``safetensors.numpy.save_file``).

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     save_file({"w": wg.ones(2, 2)}, os.path.join(d, "w.safetensors"))
        ...     os.path.getsize(os.path.join(d, "w.safetensors"))     # 8 + a 64-byte header + 4 floats
        88
    """
    with open(filename, "wb") as f:
        f.write(save(tensors, metadata))


def load_file(filename, device=None) -> dict[str, Tensor]:
    """Read every tensor of a safetensors file.

    Example:
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as d:
        ...     save_file({"w": wg.tensor([0.5, 1.5])}, os.path.join(d, "w.safetensors"))
        ...     load_file(os.path.join(d, "w.safetensors"))["w"].tolist()
        [0.5, 1.5]
    """
    with open(filename, "rb") as f:
        return load(f.read(), device)


def save_weights(model, filename) -> None:
    """Write a model's weights; names are architecture paths like 'dense/kernel' (see Layer.named_weights).

    Example:
        >>> import os, tempfile
        >>> model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(1)])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     save_weights(model, os.path.join(d, "model.safetensors"))
        ...     stored = load_file(os.path.join(d, "model.safetensors"))
        >>> {name: t.shape for name, t in sorted(stored.items())}
        {'dense/bias': (1,), 'dense/kernel': (2, 1)}
    """
    named = model.named_weights()
    save_file(dict(named), filename, {"format": "webgrad", "model": model.name})


def load_weights(model, filename) -> None:
    """Set a model's weights from a file written by ``save_weights`` (or any safetensors file
    with the same names and shapes). The model must be built (call it once or give it an Input).

    Example:
        >>> import os, tempfile
        >>> a = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(1, kernel_initializer="ones")])
        >>> b = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(1)])
        >>> with tempfile.TemporaryDirectory() as d:
        ...     save_weights(a, os.path.join(d, "a.safetensors"))
        ...     load_weights(b, os.path.join(d, "a.safetensors"))
        >>> b.predict([[1.0, 2.0]]).tolist()
        [[3.0]]
    """
    named = model.named_weights()
    if not named:
        raise ValueError(f"load_weights: model {model.name!r} has no weights yet; build it first (give it an Input, "
                         f"call model.build(input_shape), or call it on a batch)")
    stored = load_file(filename, named[0][1].device)
    ours = dict(named)
    missing = [k for k in ours if k not in stored]
    extra = [k for k in stored if k not in ours]
    if missing or extra:
        raise ValueError(f"load_weights: {filename} does not match model {model.name!r}: missing "
                         f"{missing or 'nothing'}, unexpected {extra or 'nothing'}")
    owners = model._layer_of_weights()
    with no_grad():
        for name, t in named:
            v = stored[name]
            if v.shape != t.shape:
                layer = owners.get(id(t))
                raise ShapeError(f"load_weights: weight {name!r} of layer {layer.name if layer else '?'!r} has shape "
                                 f"{t.shape} in the model and {v.shape} in {filename}")
            t.assign(v)
