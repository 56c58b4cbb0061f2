"""The browser WebGPU backend: the page's ``navigator.gpu``, reached from Pyodide.

The only module that imports ``js`` / ``pyodide``; imported when this device is chosen. Its JS
half, web/js/webgpu_helper.js, opens the adapter and device before Python starts and is exposed
as ``webgradGPU`` on the worker's global scope. Buffers and pipelines live in its tables, keyed
by small ints, because each FFI crossing costs microseconds: ``dispatch`` only appends to a list,
``submit`` sends the whole list in one call, and a readback is one ``run_sync`` on a JS async
function (copy + mapAsync), which JSPI turns into a plain blocking call.
"""
from __future__ import annotations

import json
from array import array

import js
from pyodide.ffi import can_run_sync, run_sync

from .gpu import KernelCompileError, NoAdapterError

_NO_RUN_SYNC = ("webgrad in the browser waits for the GPU with pyodide.ffi.run_sync, which needs JavaScript "
                "Promise Integration (Chrome/Edge 137 or newer) and code started by pyodide.runPythonAsync or "
                "an async function (the webgrad console does this)")


# Commands held before they are sent regardless (about 2,000 dispatches), so the GPU starts on
# long runs without reads.
FLUSH_INTS = 1 << 14


def _wait_for(promise):
    if not can_run_sync():
        raise RuntimeError(_NO_RUN_SYNC)
    return run_sync(promise)


class BrowserBackend:
    def __init__(self):
        gpu = getattr(js, "webgradGPU", None)
        if gpu is None:
            raise NoAdapterError("no WebGPU device in this page: webgrad's worker opens it (web/js/webgpu_helper.js) "
                                 "and exposes it as webgradGPU before Python starts")
        self.gpu = gpu
        self.name = gpu.name
        self.info = gpu.info.to_py()
        self.features = set(gpu.features.to_py())
        self.limits = {k: int(v) for k, v in gpu.limits.to_py().items()}
        self.commands = array("i")   # [pipeline, n, buffer * n, x, y, z] per dispatch, until sent
        self.submitted = 0           # how many of them the device has submitted

    def stats(self) -> dict:
        """``compiled_ahead``: pipelines the page started compiling at load from the WGSL a former
        load used (web/js/webgpu_helper.js), and ``used_ahead``: how many of them were asked for."""
        ahead = self.gpu.ahead
        return {"compiled_ahead": int(ahead.started), "used_ahead": int(ahead.used)}

    def create_buffer(self, nbytes: int) -> int:
        return self.gpu.createBuffer(nbytes)

    def destroy_buffer(self, handle: int) -> None:
        if self.submitted:
            self._send()
        self.gpu.destroyBuffer(handle)

    def write_buffer(self, handle: int, data, offset: int = 0) -> None:
        if self.submitted:          # the write must land after the work submitted before it
            self._send()
        self.gpu.writeBuffer(handle, offset, data)   # the helper copies out of the wasm heap

    def read_buffer(self, handle: int, offset: int, nbytes: int) -> bytes:
        self._send()
        return _wait_for(self.gpu.read(handle, offset, nbytes)).to_bytes()

    def compile(self, source: str, name: str) -> int:
        result = _wait_for(self.gpu.compile(source, name))
        if isinstance(result, str):
            raise KernelCompileError.explain(name, source, result)
        return result

    def compile_later(self, source: str, name: str) -> int:
        """Start compiling in the GPU process and return at once: a ticket for ``compiled``."""
        return self.gpu.compileLater(source, name)

    def compiled(self, ticket: int, source: str, name: str, wait: bool = False) -> int | None:
        """The pipeline of a ``compile_later`` ticket, or None while it compiles (``wait``: block until
        it is done). A shader that failed raises KernelCompileError, as ``compile`` does."""
        result = _wait_for(self.gpu.settled(ticket)) if wait else self.gpu.compiled(ticket)
        if not isinstance(result, str) and result < 0:
            return None
        self.gpu.forget(ticket)
        if isinstance(result, str):
            raise KernelCompileError.explain(name, source, result)
        return result

    def dispatch(self, program: int, handles: list, workgroups: tuple[int, int, int]) -> None:
        self.commands.extend((program, len(handles), *handles, *workgroups))

    def submit(self) -> None:
        # A queue submission costs Chrome about 0.3 ms (encoder, pass, error scope, IPC): more than
        # a traced step's whole replay. So submits are merged, and sent when the queue must see
        # them: before a write, destroy, read or wait, or past FLUSH_INTS. Order is kept.
        self.submitted = len(self.commands)
        if self.submitted >= FLUSH_INTS:
            self._send()

    def _send(self) -> None:
        if self.commands:
            commands, self.commands = self.commands, array("i")
            self.gpu.submit(commands)
        self.submitted = 0

    def wait(self) -> None:
        self._send()
        _wait_for(self.gpu.wait())

    def load_choices(self) -> dict:
        return json.loads(self.gpu.choices)

    def save_choices(self, choices: dict) -> None:
        self.gpu.saveChoices(json.dumps(choices))
