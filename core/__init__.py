"""webgrad: tensors, autodiff and models whose math runs as WGSL compute shaders on WebGPU,
in the browser (Pyodide) and on the desktop (wgpu-py).

    >>> import webgrad as wg
    >>> x = wg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = (x @ x.T).relu().sum()
    >>> y.backward()
    >>> x.grad.tolist()
    [[8.0, 12.0], [8.0, 12.0]]
"""
from .autograd import enable_grad, grad, is_grad_enabled, no_grad
from .devices import default_device, devices, get_device, set_default_device
from .devices.gpu import KernelCompileError
from .dtypes import DType, bool_, float16, float32, int32
from .graph import Function, TraceError, function, graph_view
from .functional import (binary_cross_entropy_with_logits, cross_entropy, gelu, layer_norm, leaky_relu,
                         log_softmax, logsumexp, mean, mse, silu, softmax, std, var)
from .ops import OPS, ShapeError
from .tensor import (_UNARY_EXAMPLES, Tensor, arange, cat, concat, eye, full, full_like, linspace, manual_seed, matmul,
                     maximum, minimum, ones, ones_like, rand, randint, randn, stack, tensor, where, zeros, zeros_like)

__version__ = "0.1.0"
bool = bool_   # noqa: A001  (wg.bool, as torch.bool)


def synchronize(device=None) -> None:
    """Wait until the device has finished all submitted work (for timing).

    Example:
        >>> y = wg.ones(256, 256) @ wg.ones(256, 256)     # queued on the device
        >>> wg.synchronize()                                # returns once it has run
    """
    get_device(device).synchronize()


def _unary_function(name):
    def f(x):
        return getattr(x, name)()
    f.__name__ = name
    x, out = _UNARY_EXAMPLES[name]
    f.__doc__ = f"""Elementwise {name} of a tensor (its method ``Tensor.{name}``).

    Example:
        >>> wg.{name}(wg.tensor({x})).tolist()
        {out}
    """
    return f


for _name in ("exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "reciprocal", "sign",
              "abs", "floor", "isnan", "erf"):
    globals()[_name] = _unary_function(_name)
del _name


from . import datasets, event_files  # noqa: E402
from .convolution import avg_pool2d, conv2d, max_pool2d  # noqa: E402

# ---- the Keras-style API (keras/), public as wg.layers, wg.optimizers, ... ----------------------
from . import keras  # noqa: E402
from .keras import (activations, callbacks, initializers, layers, losses, metrics, models,  # noqa: E402
                    optimizers, regularizers, saving, utils)
from .keras.layers import Input  # noqa: E402
from .keras.models import Model, Sequential  # noqa: E402


def _public_module_names() -> None:
    """``import webgrad.layers`` and ``from webgrad.optimizers import Adam`` find the modules in keras/
    (each one module under two names, never loaded twice)."""
    import sys
    for name, module in list(sys.modules.items()):
        if name.startswith(f"{__name__}.keras."):
            sys.modules.setdefault(f"{__name__}.{name[len(__name__) + len('.keras.'):]}", module)


_public_module_names()
