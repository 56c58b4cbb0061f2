"""Symbolic inputs for the functional API: ``Input(shape)`` and the tensors layers return for them.

    >>> import webgrad as wg
    >>> x = wg.Input(shape=(4,))
    >>> wg.layers.Dense(8, name="hidden")(x)
    <KerasTensor shape=(None, 8), from hidden>
"""
from __future__ import annotations

from .base import Layer
from .keras_tensor import KerasTensor


class InputLayer(Layer):
    """The entry of a functional model; made by ``Input``.

    Example:
        >>> x = wg.Input(shape=(3,), name="features")
        >>> x.layer, x.layer.output is x
        (<InputLayer name=features, built=True>, True)
    """

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
        """``inputs`` unchanged: an InputLayer only marks where data enters.

        Example:
            >>> wg.layers.InputLayer(shape=(2,))(wg.tensor([[1.0, 2.0]])).tolist()
            [[1.0, 2.0]]
        """
        return inputs


def Input(shape=None, batch_size=None, dtype="float32", name=None, batch_shape=None) -> KerasTensor:
    """A symbolic input of ``shape`` (one sample, without the batch axis).

        >>> import webgrad as wg
        >>> wg.Input(shape=(28, 28, 1)).shape
        (None, 28, 28, 1)
    """
    return InputLayer(shape, batch_size, dtype, name, batch_shape).output
