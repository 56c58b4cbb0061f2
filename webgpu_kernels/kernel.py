"""A kernel is data: WGSL source, how many workgroups to launch, and what to bind.

Bindings are numbered in order: the inputs, then the outputs. The source is the cache key of
the compiled pipeline, so two launches with equal source share one pipeline.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from string import Template

from .view import LINEAR_ID

_SOURCES = Path(__file__).parent


# Infinity and NaN as bit patterns read at run time: Chrome's shader compiler evaluates
# `bitcast<f32>(0x7f800000u)` while compiling and rejects it ("value inf cannot be represented").
# Storage buffers one kernel may bind: WebGPU's guaranteed maxStorageBuffersPerShaderStage (SwiftShader
# has 10, lavapipe 32); a kernel past it compiles on the desktop and fails in a browser.
MAX_BINDINGS = 8
INF = "bitcast<f32>(F32_INF_BITS)"
NAN = "bitcast<f32>(F32_NAN_BITS)"
_SPECIALS = {"F32_INF_BITS": "0x7f800000u", "F32_NAN_BITS": "0x7fc00000u"}

# Functions a kernel may call, by name: their definitions are appended to the kernels that do.
FUNCTIONS = {name: "sin_cos.wgsl" for name in ("webgrad_sin", "webgrad_cos", "webgrad_sin4", "webgrad_cos4")}


@dataclass(frozen=True)
class Kernel:
    name: str                        # what the kernel does, shown in errors and profiles
    source: str                      # WGSL
    workgroups: tuple[int, int, int]
    n_inputs: int
    n_outputs: int = 1

    def __post_init__(self):
        used = [f"var<private> {k}: u32 = {v};" for k, v in _SPECIALS.items() if k in self.source]
        if used:
            lines = self.source.split("\n")
            at = sum(1 for ln in lines if ln.startswith("enable "))
            object.__setattr__(self, "source", "\n".join(lines[:at] + used + lines[at:]))
        files = dict.fromkeys(f for name, f in FUNCTIONS.items() if name + "(" in self.source)
        if files:
            object.__setattr__(self, "source", "\n".join([self.source, *(_read(f).template for f in files)]))


def literal(value, type: str) -> str:
    """WGSL text of a constant of WGSL type ``type`` ('f32', 'f16', 'i32', 'bool')."""
    if type == "bool":
        return "true" if value else "false"
    if type == "i32":
        if not -2 ** 31 <= int(value) < 2 ** 31:
            raise ValueError(f"{value} does not fit in int32")
        return f"i32({int(value)})"
    value = float(value)
    if value != value:
        return f"{type}({NAN})"
    if abs(value) > _LARGEST[type]:         # rounds to infinity, as NumPy's float32(1e40) does
        return f"{type}({'-' if value < 0 else ''}{INF})"
    return f"{type}({value!r})"


_LARGEST = {"f32": 3.4028234663852886e38, "f16": 65504.0}


@dataclass
class Launch:
    """One kernel launch: ``args`` name buffers ('in0', 'out0', a temporary from ``temps``, or a
    small read-only buffer of ``consts``, such as the element count of a shape-generic kernel)."""
    kernel: Kernel
    args: list[str]
    temps: dict[str, int] = field(default_factory=dict)   # temporary name -> bytes
    consts: dict[str, bytes] = field(default_factory=dict)   # constant name -> its contents
    provisional: bool = False      # a stand-in that runs while the faster kernel compiles in the background


@lru_cache(maxsize=None)
def _read(name: str) -> Template:
    return Template((_SOURCES / name).read_text())


def template(name: str, **subs) -> str:
    """A ``.wgsl`` file of this folder with its ``${NAME}`` placeholders filled in. Every file spells
    its workgroup size ``${WG}`` (64 unless given) and its thread's flat index ``${LINEAR_ID}``."""
    subs.setdefault("WG", 64)
    subs.setdefault("LINEAR_ID", LINEAR_ID.format(wg=subs["WG"]))
    return _read(name).substitute({k: str(v) for k, v in subs.items()})


def header(*types: str) -> str:
    """``enable f16;`` when any binding or value is half precision."""
    return "enable f16;\n" if "f16" in types else ""


def storage(binding: int, name: str, type: str, write: bool = False) -> str:
    access = "read_write" if write else "read"
    return f"@group(0) @binding({binding}) var<storage, {access}> {name}: array<{type}>;"
