"""The desktop WebGPU backend: wgpu-py (wgpu-native), e.g. Mesa lavapipe over Vulkan.

The only module that imports ``wgpu``; imported when this device is chosen.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import wgpu

from .gpu import KernelCompileError, NoAdapterError

# UNIFORM too: a shape-generic kernel reads its sizes from a pooled buffer bound as a uniform.
_USAGE = wgpu.BufferUsage.STORAGE | wgpu.BufferUsage.UNIFORM | wgpu.BufferUsage.COPY_SRC | wgpu.BufferUsage.COPY_DST
BIND_GROUP_CACHE_SIZE = 16384
_CHOICES = Path(os.environ.get("WEBGRAD_CACHE", Path.home() / ".cache" / "webgrad")) / "kernel_choices.json"


def _request_adapter():
    os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")   # silences a Vulkan loader warning when unset
    adapter = wgpu.gpu.request_adapter_sync(power_preference="high-performance")
    if adapter is None:
        raise NoAdapterError("wgpu found no WebGPU adapter. On Linux without a GPU, install Mesa's "
                             "software Vulkan driver: apt-get install mesa-vulkan-drivers")
    return adapter


class WgpuBackend:
    def __init__(self):
        try:
            adapter = _request_adapter()
        except NoAdapterError:
            raise
        except Exception as e:   # wgpu raises a plain RuntimeError when Vulkan has no device
            raise NoAdapterError(f"wgpu could not open a WebGPU adapter ({e}). On Linux without a GPU, install "
                                 f"Mesa's software Vulkan driver: apt-get install mesa-vulkan-drivers") from e
        info = adapter.info
        self.name = f"{info['device']} ({info['backend_type']}, {info['adapter_type']})"
        self.info = dict(info)
        self.features = set(adapter.features)
        wanted = {"shader-f16"} & self.features
        limits = adapter.limits
        keep = ("max-storage-buffer-binding-size", "max-buffer-size", "max-compute-workgroup-storage-size",
                "max-compute-invocations-per-workgroup", "max-storage-buffers-per-shader-stage")
        self.device = adapter.request_device_sync(required_features=list(wanted),
                                                  required_limits={k: limits[k] for k in keep})
        self.limits = {k.replace("-", "_"): v for k, v in self.device.limits.items()}
        self.queue = self.device.queue
        self.encoder = None
        self.compute = None
        self.bind_groups: dict[tuple, tuple] = {}

    def create_buffer(self, nbytes: int):
        return self.device.create_buffer(size=nbytes, usage=_USAGE)

    def destroy_buffer(self, handle) -> None:
        handle.destroy()

    def write_buffer(self, handle, data, offset: int = 0) -> None:
        self.queue.write_buffer(handle, offset, data)

    def read_buffer(self, handle, offset: int, nbytes: int) -> memoryview:
        return self.queue.read_buffer(handle, offset, nbytes)

    def compile(self, source: str, name: str):
        try:
            module = self.device.create_shader_module(code=source)
            pipeline = self.device.create_compute_pipeline(layout="auto", compute={"module": module, "entry_point": "main"})
        except wgpu.GPUError as e:
            raise KernelCompileError.explain(name, source, str(e)) from None
        return pipeline, pipeline.get_bind_group_layout(0)

    def dispatch(self, program, handles, workgroups) -> None:
        pipeline, layout = program
        # Pooled buffers come back in the same order step after step, so the same bind groups
        # recur; creating one costs more than the dispatch. The entry holds its buffers, so an
        # id in the key can never be reused by another buffer.
        key = (id(layout), *map(id, handles))
        hit = self.bind_groups.get(key)
        if hit is None:
            group = self.device.create_bind_group(layout=layout, entries=[
                {"binding": i, "resource": {"buffer": h}} for i, h in enumerate(handles)])
            if len(self.bind_groups) >= BIND_GROUP_CACHE_SIZE:
                self.bind_groups.clear()
            self.bind_groups[key] = (group, layout, handles)
        else:
            group = hit[0]
        if self.compute is None:
            self.encoder = self.device.create_command_encoder()
            self.compute = self.encoder.begin_compute_pass()
        self.compute.set_pipeline(pipeline)
        self.compute.set_bind_group(0, group)
        self.compute.dispatch_workgroups(*workgroups)

    def submit(self) -> None:
        if self.compute is not None:
            self.compute.end()
            self.queue.submit([self.encoder.finish()])
            self.encoder = self.compute = None

    def wait(self) -> None:
        # Reading a buffer back waits for all submitted work (wgpu-py 0.32's
        # on_submitted_work_done_sync fails with a cffi type error).
        if getattr(self, "_fence", None) is None:
            self._fence = self.create_buffer(16)
        self.queue.read_buffer(self._fence, 0, 4)

    def load_choices(self) -> dict:
        try:
            return json.loads(_CHOICES.read_text()).get(self.name, {})
        except (OSError, ValueError):
            return {}

    def save_choices(self, choices: dict) -> None:
        try:
            everything = json.loads(_CHOICES.read_text()) if _CHOICES.exists() else {}
        except (OSError, ValueError):
            everything = {}
        everything[self.name] = choices
        try:
            _CHOICES.parent.mkdir(parents=True, exist_ok=True)
            _CHOICES.write_text(json.dumps(everything, indent=1))
        except OSError:
            pass   # a read-only home only means measuring again next time
