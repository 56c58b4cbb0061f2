"""Devices: where tensors live and ops run.

``webgpu`` is the adapter wgpu-py finds on the desktop or the page's ``navigator.gpu`` under
Pyodide; ``numpy`` runs the ops' NumPy references. The default is WebGPU when an adapter exists,
else NumPy with a warning; ``WEBGRAD_DEVICE=numpy`` or ``set_default_device`` choose explicitly.

    >>> import webgrad as wg
    >>> wg.devices()            # doctest: +SKIP
    ['webgpu:llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, CPU)', 'numpy']
"""
from __future__ import annotations

import os
import sys
import warnings

from .gpu import GPUDevice

_devices: dict[str, object] = {}
_default = None


def in_browser() -> bool:
    return sys.platform == "emscripten"


def _open(kind: str):
    if kind in _devices:
        return _devices[kind]
    if kind == "webgpu":
        if in_browser():                          # each backend module imports its runtime (js, wgpu)
            from .browser import BrowserBackend
            dev = GPUDevice(BrowserBackend())
        else:
            from .wgpu_native import WgpuBackend
            dev = GPUDevice(WgpuBackend())
    elif kind == "numpy":
        from .numpy_device import NumpyDevice  # imports NumPy, which the browser does not have
        dev = NumpyDevice()
    else:
        raise ValueError(f"unknown device {kind!r}: webgrad has 'webgpu' and 'numpy'")
    _devices[kind] = dev
    return dev


def get_device(device=None):
    """A device object from a name ('webgpu', 'numpy', 'webgpu:...'), a device, or None (the default).

    Example:
        >>> wg.get_device("numpy").name, wg.get_device() is wg.default_device()
        ('numpy', True)
    """
    if device is None:
        return default_device()
    if not isinstance(device, str):
        return device
    return _open(device.split(":", 1)[0])


def default_device():
    """The device new tensors go to: WebGPU if an adapter exists, else NumPy (with a warning).

    Example:
        >>> wg.zeros(2).device is wg.default_device()
        True
    """
    global _default
    if _default is None:
        wanted = os.environ.get("WEBGRAD_DEVICE")
        if wanted:
            _default = get_device(wanted)
        else:
            try:
                _default = _open("webgpu")
            except Exception as e:   # no adapter, no wgpu, no navigator.gpu
                if in_browser():
                    raise                # Pyodide has no NumPy to fall back on: the WebGPU reason is the news
                warnings.warn(f"webgrad: no WebGPU adapter ({e}); running on the NumPy device, "
                              f"which is much slower. See the README for setting up WebGPU.", stacklevel=2)
                _default = _open("numpy")
    return _default


def set_default_device(device) -> None:
    """Make ``device`` (a name such as ``"numpy"`` or ``"webgpu"``, or a device) the one new tensors go to:
    ``wg.set_default_device("numpy")``.

    Example:
        >>> before = wg.default_device()
        >>> wg.set_default_device("numpy")
        >>> wg.zeros(2).device.name
        'numpy'
        >>> wg.set_default_device(before)
    """
    global _default
    _default = get_device(device)


def devices() -> list[str]:
    """Names of the devices that can be opened here (``webgpu:`` then the adapter's name, and ``numpy``).

    Example:
        >>> "numpy" in wg.devices()
        True
    """
    names = []
    try:
        names.append(_open("webgpu").name)
    except Exception:
        pass
    try:
        names.append(_open("numpy").name)
    except ImportError:
        pass
    return names
