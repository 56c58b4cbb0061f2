"""Random tensors as pure functions of a params tensor (key and counter), so they can be traced."""
from __future__ import annotations

from math import prod

from webgpu_kernels.random import random_launches

from ..dtypes import float32, int32
from ..random import reference
from .registry import Meta, Op, register


def _infer(kind):
    def infer(params: Meta, shape=(), low=0, high=1):
        return Meta(tuple(shape), int32 if kind == "int" else float32)
    return infer


def _kernel(kind):
    def kernel(ins, out: Meta, shape=(), low=0, high=1):
        return random_launches(kind, prod(shape), out.dtype.wgsl, low, high)
    return kernel


def _reference(kind):
    def ref(params, shape=(), low=0, high=1):
        return reference(kind, params, prod(shape), low, high).reshape(shape)
    return ref


def _sample(rng):
    import numpy as np
    return [np.array([int(rng.integers(0, 2**31)), 7, int(rng.integers(0, 2**31)), 0, 3 * 37], dtype="int32")], \
        {"shape": (3, 37), "low": -5, "high": 9}


for _kind in ("uniform", "normal", "int"):
    register(Op(f"random_{_kind}", _infer(_kind), _reference(_kind), kernel=_kernel(_kind), sample=_sample,
                tolerance=3e-4 if _kind == "normal" else 1e-6))
