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
    once known, every layer is built and ``summary()`` shows the output shapes.

    Example:
        >>> model = wg.Sequential([wg.layers.Dense(4, input_shape=(3,)), wg.layers.Dense(1)])
        >>> model.input_shape, model.output_shape, model.count_params()
        ((None, 3), (None, 1), 21)
    """

    def __init__(self, layers=None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._input_layer: InputLayer | None = None
        self.built = False
        for layer in layers or []:
            self.add(layer)

    def add(self, layer) -> None:
        """Append a layer (or an ``Input`` placeholder as the first entry).

        Example:
            >>> model = wg.Sequential()
            >>> model.add(wg.Input(shape=(3,)))
            >>> model.add(wg.layers.Dense(2))
            >>> model.output_shape
            (None, 2)
        """
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
        """Remove and return the last layer.

        Example:
            >>> model = wg.Sequential([wg.layers.Dense(4, name="hidden"), wg.layers.Dense(1, name="out")])
            >>> model.pop().name, [layer.name for layer in model.layers]
            ('out', ['hidden'])
        """
        if not self._layers:
            raise IndexError("Sequential.pop: the model has no layers")
        layer = self._layers.pop()
        self._output_shape = None
        self._build_from_input()          # the output shape is the new last layer's
        return layer

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
        """Build for inputs of ``input_shape``, the batch axis included (None for any batch size).

        Example:
            >>> model = wg.Sequential([wg.layers.Dense(4), wg.layers.Dense(1)])
            >>> model.build((None, 3))
            >>> model.input_shape, model.count_params()
            ((None, 3), 21)
        """
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("Sequential.build: the input shape is unknown; pass it, e.g. build((None, 2))")
            return
        self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._build_from_input()

    def call(self, inputs, training=None):
        """Run the layers in order, each on the previous one's output, passing ``training`` on.

        Example:
            >>> model = wg.Sequential([wg.layers.Dense(2, kernel_initializer="ones"),
            ...                        wg.layers.Dense(1, kernel_initializer="ones")])
            >>> model.call(wg.tensor([[1.0, 2.0]])).tolist()        # 1 + 2 in each of 2 units, then their sum
            [[6.0]]
        """
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
        """Each layer's ``compute_output_shape`` in turn, without running anything.

        Example:
            >>> model = wg.Sequential([wg.layers.Conv2D(8, 3), wg.layers.Flatten(), wg.layers.Dense(10)])
            >>> model.compute_output_shape((None, 28, 28, 1))
            (None, 10)
        """
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    @property
    def input_shape(self):
        """The batch input shape (None for the batch axis), or None until it is known.

        Example:
            >>> model = wg.Sequential([wg.layers.Dense(1)])
            >>> print(model.input_shape)
            None
            >>> model.build((None, 5))
            >>> model.input_shape
            (None, 5)
        """
        return self._input_layer.output.shape if self._input_layer is not None else None

    def _consumer_of_input(self, i):
        return self._layers[0] if self._layers else None

    def _summary_rows(self):
        return [(f"{l.name} ({type(l).__name__})", describe_shape(l), describe_params(l), None) for l in self._layers]
