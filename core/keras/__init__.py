"""The Keras-style API, on top of the engine: layers, models (``compile``/``fit``), losses, metrics,
optimizers, callbacks, initializers, regularizers and saving, laid out by concept as Keras 3 lays
out ``keras/src``. Everything here is Python over ``webgrad``'s tensors; nothing in the engine
imports it. Its parts are public as ``wg.layers``, ``wg.optimizers``, ... (and importable as
``webgrad.layers``, ...):

    >>> import webgrad as wg
    >>> model = wg.Sequential([wg.layers.Input((2,)), wg.layers.Dense(1)])
    >>> model.compile(wg.optimizers.SGD(0.1), "mse")
    >>> model.predict(wg.ones(3, 2), verbose=0).shape
    (3, 1)
"""
from . import (activations, callbacks, initializers, layers, losses, metrics, models, optimizers, regularizers, saving,
               utils)

__all__ = ["activations", "callbacks", "initializers", "layers", "losses", "metrics", "models", "optimizers", "utils",
           "regularizers", "saving"]
