"""Sequential: a stack of layers, each feeding the next.

    >>> import webgrad as wg
    >>> model = wg.Sequential([
    ...     wg.Input(shape=(2,)),
    ...     wg.layers.Dense(8, activation="tanh"),
    ...     wg.layers.Dense(1, activation="sigmoid"),
    ... ])
    >>> model.output_shape
    (None, 1)
"""
from __future__ import annotations

from ..layers.base import Layer
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor, symbolic_call
from .model import Model
from .summary import describe_params, describe_shape


class Sequential(Model):
    """Layers applied in order. The input shape comes from an ``Input(shape)`` first entry, an
    ``input_shape=`` on the first layer, ``build(input_shape)``, or the first batch it sees;
    once known, every layer is built and ``summary()`` shows the output shapes."""

    def __init__(self, layers=None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._input_layer: InputLayer | None = None
        self.built = False
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Append a layer (or an ``Input`` placeholder as the first entry)."""
        if isinstance(layer, KerasTensor):
            layer = layer.layer
        if isinstance(layer, InputLayer):
            if self._layers:
                raise ValueError("Sequential: an Input can only be the first entry")
            self._input_layer = layer
            self._build_from_input()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes layers, got {type(layer).__name__} ({layer!r})")
        if not self._layers and self._input_layer is None and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
        self._layers.append(layer)
        self._build_from_input()

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise IndexError("Sequential.pop: the model has no layers")
        return self._layers.pop()

    def _build_from_input(self) -> None:
        """With a known input shape, build every layer and record its output shape."""
        if self._input_layer is None:
            return
        t = self._input_layer.output
        for layer in self._layers:
            t = symbolic_call(layer, t, (), {})
        self._output_shape = t.shape
        self.built = True

    def build(self, input_shape=None) -> None:
        """Build for inputs of ``input_shape`` (the batch axis may be None or left out... give it as None)."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("Sequential.build: the input shape is unknown; pass it, e.g. build((None, 2))")
            return
        self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._build_from_input()

    def call(self, inputs, training=None):
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def __call__(self, inputs, *args, training=None, **kwargs):
        if isinstance(inputs, KerasTensor):
            return Layer.__call__(self, inputs, *args, training=training, **kwargs)
        self._check_model_input(inputs, "call")
        if not self._layers:
            raise ValueError(f"Sequential model {self.name!r} has no layers")
        self.built = True
        out = self.call(inputs, training=training)
        self._output_shape = (None,) + tuple(out.shape[1:])
        return out

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    @property
    def input_shape(self):
        return self._input_layer.output.shape if self._input_layer is not None else None

    def _consumer_of_input(self, i):
        return self._layers[0] if self._layers else None

    def _summary_rows(self):
        return [(f"{l.name} ({type(l).__name__})", describe_shape(l), describe_params(l), None) for l in self._layers]
