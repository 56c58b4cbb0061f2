"""The names users type: ``axis`` (as NumPy, Keras, JAX and TF.js spell it) for every reduction and
composite, in every public function, method and layer, with no second spelling."""
import inspect

import numpy as np
import pytest

import webgrad as wg

from conftest import assert_close

# Keras's InputSpec takes ``axes``: a dict from an axis to its size, not the axes of a reduction; its Permute
# takes ``dims``, the new order of a sample's axes (a script passes it by that name).
KERAS_SPELLS_IT_SO = {"InputSpec.__init__", "Permute.__init__"}
OTHER_SPELLINGS = ("axes", "dim", "dims", "axes_", "keepdim")


def _public_callables():
    modules = [wg] + [getattr(wg, m) for m in ("activations", "callbacks", "initializers", "layers", "losses",
                                                "metrics", "models", "optimizers", "regularizers", "saving", "utils")]
    seen = set()
    for module in modules:
        for name in dir(module):
            obj = getattr(module, name)
            if name.startswith("_") or id(obj) in seen:
                continue
            seen.add(id(obj))
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if callable(member) and (not attr.startswith("_") or attr == "__init__"):
                        yield f"{obj.__name__}.{attr}", member
            elif callable(obj):
                yield name, obj


def test_no_public_function_or_method_spells_axis_another_way():
    checked, wrong = 0, []
    for where, fn in _public_callables():
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        checked += 1
        wrong += [f"{where}({p})" for p in params if p in OTHER_SPELLINGS and where not in KERAS_SPELLS_IT_SO]
    assert checked > 300, checked            # the walk reaches the Tensor methods, layers, losses, ...
    assert not wrong, f"take `axis` instead: {wrong}"


def test_the_walk_sees_the_reductions():
    names = {where for where, _ in _public_callables()}
    assert {"Tensor.sum", "Tensor.mean", "Tensor.max", "logsumexp", "softmax", "LayerNormalization.__init__"} <= names


@pytest.mark.parametrize("call,reference", [
    (lambda x: x.sum(axis=1), lambda a: a.sum(axis=1)),
    (lambda x: x.sum(axis=(0, 2)), lambda a: a.sum(axis=(0, 2))),
    (lambda x: x.mean(axis=0, keepdims=True), lambda a: a.mean(axis=0, keepdims=True)),
    (lambda x: x.max(axis=-1), lambda a: a.max(axis=-1)),
    (lambda x: x.min(axis=[1, 2]), lambda a: a.min(axis=(1, 2))),
    (lambda x: x.var(axis=1, correction=1), lambda a: a.var(axis=1, ddof=1)),
    (lambda x: x.std(axis=-1), lambda a: a.std(axis=-1)),
    (lambda x: (x > 0).any(axis=0), lambda a: (a > 0).any(axis=0)),
    (lambda x: (x > -2).all(axis=2), lambda a: (a > -2).all(axis=2)),
    (lambda x: x.argmax(axis=1), lambda a: a.argmax(axis=1)),
    (lambda x: wg.logsumexp(x, axis=-1), lambda a: np.log(np.exp(a).sum(axis=-1))),
    (lambda x: wg.mean(x, axis=2), lambda a: a.mean(axis=2)),
    (lambda x: wg.layer_norm(x, axis=(1, 2)),
     lambda a: (a - a.mean(axis=(1, 2), keepdims=True)) / np.sqrt(a.var(axis=(1, 2), keepdims=True) + 1e-5)),
])
def test_reductions_take_axis(gpu, call, reference):
    a = np.random.default_rng(0).normal(size=(3, 4, 5)).astype(np.float32)
    got = call(wg.tensor(a, device=gpu)).numpy()
    assert_close(got, reference(a.astype(np.float64)).astype(got.dtype), 1e-4, "reduction")


def test_the_keras_style_api_is_public_under_its_short_names():
    """Its code lives in webgrad.keras; users type wg.layers, or import webgrad.layers as in Keras."""
    import importlib
    for name in ("activations", "callbacks", "initializers", "layers", "losses", "metrics", "models",
                 "optimizers", "regularizers", "saving"):
        module = importlib.import_module(f"webgrad.{name}")
        assert module is getattr(wg, name) is getattr(wg.keras, name), name
    from webgrad.layers import Dense
    from webgrad.layers.base import Layer
    assert Dense is wg.layers.Dense and issubclass(Dense, Layer) and Layer is wg.keras.layers.base.Layer
