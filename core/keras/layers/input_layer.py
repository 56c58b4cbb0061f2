"""Symbolic inputs for the functional API: ``Input(shape)`` and the tensors layers return for them.

    >>> import webgrad as wg
    >>> x = wg.Input(shape=(4,))
    >>> wg.layers.Dense(8, name="hidden")(x)
    <KerasTensor shape=(None, 8), from hidden>
"""
from __future__ import annotations

from .base import Layer, fmt_shape


class KerasTensor:
    """A placeholder with a shape (batch axis None) that remembers which layer made it from what."""

    def __init__(self, shape, dtype: str = "float32", layer: Layer | None = None, inputs=(), args=(), kwargs=None):
        self.shape, self.dtype = tuple(shape), dtype
        self.layer, self.inputs = layer, inputs      # inputs: the KerasTensor(s) the layer was called on
        self.args, self.kwargs = args, dict(kwargs or {})

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={fmt_shape(self.shape)}, from {self.layer.name if self.layer else '?'}>"

    def __bool__(self):
        raise TypeError("a KerasTensor is a placeholder of the functional API; it has no value to test")


class InputLayer(Layer):
    """The entry of a functional model; made by ``Input``."""

    def __init__(self, shape=None, batch_size=None, dtype="float32", name=None, batch_shape=None):
        super().__init__(name=name)
        if batch_shape is None:
            if shape is None:
                raise ValueError("Input: give the shape of one sample, e.g. Input(shape=(28, 28, 1))")
            batch_shape = (batch_size,) + tuple(shape)
        self._batch_input_shape = tuple(batch_shape)
        self.built = True
        self.output = KerasTensor(self._batch_input_shape, dtype, self)
        self._output_shape = self._batch_input_shape

    def call(self, inputs):
        return inputs


def Input(shape=None, batch_size=None, dtype="float32", name=None, batch_shape=None) -> KerasTensor:
    """A symbolic input of ``shape`` (one sample, without the batch axis).

        >>> import webgrad as wg
        >>> wg.Input(shape=(28, 28, 1)).shape
        (None, 28, 28, 1)
    """
    return InputLayer(shape, batch_size, dtype, name, batch_shape).output


def symbolic_call(layer: Layer, inputs, args, kwargs) -> KerasTensor:
    """Call ``layer`` on KerasTensors: build it for their shapes and return its output's placeholder."""
    shapes = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
    layer._ensure_built(shapes)
    layer._check_input(shapes)
    out_shape = tuple(layer.compute_output_shape(shapes))
    layer._output_shape = out_shape
    return KerasTensor(out_shape, "float32", layer, inputs, args, {k: v for k, v in kwargs.items() if k != "training"})
