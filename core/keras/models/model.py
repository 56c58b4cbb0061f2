"""Models: ``Model(inputs, outputs)`` (the functional API), subclasses of ``Model`` that write
``call``, and ``Sequential`` (sequential.py). Training is in trainer.py.

    >>> import webgrad as wg
    >>> inputs = wg.Input(shape=(4,))
    >>> hidden = wg.layers.Dense(8, activation="relu")(inputs)
    >>> model = wg.Model(inputs, wg.layers.Dense(1)(hidden))
    >>> model(wg.ones(2, 4)).shape
    (2, 1)
"""
from __future__ import annotations

from ...ops import ShapeError
from ...tensor import zeros
from ..layers.base import Layer, fmt_shape
from ..layers.input_layer import InputLayer
from ..layers.keras_tensor import KerasTensor
from ..saving import load_weights, save_weights
from .summary import describe_params, describe_shape, summary_lines
from .trainer import Trainer


class Model(Trainer, Layer):
    """A layer with training: ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``,
    ``save_weights`` / ``load_weights``.

    Built two ways, as in Keras: ``Model(inputs, outputs)`` from ``Input`` placeholders, or a
    subclass that creates layers in ``__init__`` and uses them in ``call(inputs, training=None)``.

    Example:
        >>> class TwoLayers(wg.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden, self.out = wg.layers.Dense(8, activation="relu"), wg.layers.Dense(1)
        ...     def call(self, inputs, training=None):
        ...         return self.out(self.hidden(inputs))
        >>> model = TwoLayers()
        >>> model(wg.ones(2, 4)).shape, model.count_params()
        ((2, 1), 49)
    """

    def __init__(self, inputs=None, outputs=None, name: str | None = None, **kwargs):
        Layer.__init__(self, name=name, **kwargs)
        Trainer.__init__(self)
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): give both the Input placeholders and the outputs")
            self._graph = _Graph(inputs, outputs)
            self._layers = self._graph.layers
            self.built = True
            shapes = [t.shape for t in self._graph.outputs]        # known from the graph, as Keras
            self._output_shape = shapes if self._graph.multi_output else shapes[0]

    # ---- running ---------------------------------------------------------------------------

    def call(self, inputs, training=None):
        """Run the layers of a functional model on ``inputs`` (a subclass writes its own ``call``).

        Example:
            >>> x = wg.Input(shape=(2,))
            >>> model = wg.Model(x, wg.layers.Dense(1, kernel_initializer="ones")(x))
            >>> model.call(wg.tensor([[1.0, 2.0]])).tolist()
            [[3.0]]
        """
        if self._graph is None:
            raise NotImplementedError(f"{type(self).__name__} has no call(): subclass Model and define "
                                      f"call(self, inputs, training=None), or build it as Model(inputs, outputs)")
        return self._graph.run(inputs, training)

    def __call__(self, inputs, *args, training=None, **kwargs):
        if self._graph is not None and not isinstance(inputs, KerasTensor):
            self._check_model_input(inputs, "call")
        return Layer.__call__(self, inputs, *args, training=training, **kwargs)

    def compute_output_shape(self, input_shape):
        """The output shape of a functional model, or a list of them for several outputs.

        Example:
            >>> x = wg.Input(shape=(4,))
            >>> wg.Model(x, [wg.layers.Dense(1)(x), wg.layers.Dense(3)(x)]).compute_output_shape((None, 4))
            [(None, 1), (None, 3)]
        """
        if self._graph is not None:
            return self._graph.outputs[0].shape if not self._graph.multi_output else [o.shape for o in self._graph.outputs]
        raise NotImplementedError(f"{type(self).__name__}: the output shape is known once the model has been called")

    def build(self, input_shape) -> None:
        """Create the weights for inputs of ``input_shape`` (with or without the batch axis None).

        Example:
            >>> class Net(wg.Model):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.dense = wg.layers.Dense(2)
            ...     def call(self, inputs, training=None):
            ...         return self.dense(inputs)
            >>> net = Net()
            >>> net.build((None, 3))
            >>> net.dense.kernel.shape, net.count_params()
            ((3, 2), 8)
        """
        if self._graph is not None or self.built:
            return
        shape = tuple(1 if d is None else d for d in input_shape)
        self.built = True        # call() below must not build again
        self(zeros(*shape))

    @property
    def input_shape(self):
        """The batch input shape (None for the batch axis), or None when not known yet.

        Example:
            >>> x = wg.Input(shape=(28, 28, 1))
            >>> wg.Model(x, wg.layers.Flatten()(x)).input_shape
            (None, 28, 28, 1)
        """
        if self._graph is not None:
            shapes = [t.shape for t in self._graph.inputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return None

    @property
    def layers(self) -> list[Layer]:
        """The model's layers in running order; a functional model's InputLayers first.

        Example:
            >>> x = wg.Input(shape=(3,), name="features")
            >>> model = wg.Model(x, wg.layers.Dense(1, name="score")(x))
            >>> [layer.name for layer in model.layers]
            ['features', 'score']
        """
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer named ``name``, or the one at ``index`` in ``layers``; a ValueError lists the names
        when no layer has that name.

            >>> model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(3, name="hidden"), wg.layers.Dense(1)])
            >>> model.get_layer("hidden").units
            3
        """
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {', '.join(l.name for l in self.layers)}")

    def _first_layer(self):
        return next((l for l in self.layers if not isinstance(l, InputLayer)), None)

    def _check_model_input(self, x, what: str) -> None:
        """Compare the shapes of ``x`` with the model's inputs; name the layer they feed."""
        expected = self.input_shape
        if expected is None:
            return
        expecteds = expected if isinstance(expected, list) else [expected]
        xs = x if isinstance(x, (list, tuple)) and len(expecteds) > 1 else [x]
        if len(xs) != len(expecteds):
            raise ValueError(f"{what}: model {self.name!r} has {len(expecteds)} inputs, got {len(xs)} arrays")
        for i, (xi, want) in enumerate(zip(xs, expecteds)):
            given = tuple(xi.shape)
            bad = len(given) != len(want) or any(w is not None and w != g for w, g in zip(want, given))
            if bad:
                layer = self._consumer_of_input(i)
                target = f"layer {layer.name!r} ({type(layer).__name__})" if layer else "its first layer"
                raise ShapeError(f"{what}: model {self.name!r} expects input{'' if len(expecteds) == 1 else f' {i}'} "
                                 f"of shape {fmt_shape(want)}, given {fmt_shape(given)} (the input of {target})")

    def _consumer_of_input(self, i: int):
        if self._graph is not None:
            return self._graph.consumer(i)
        return self._first_layer()

    def _summary_rows(self):
        if self._graph is not None:
            return self._graph.summary_rows()
        rows = []
        for layer in self.layers:
            rows.append((f"{layer.name} ({type(layer).__name__})", describe_shape(layer), describe_params(layer), None))
        return rows

    def summary(self, line_length: int | None = None, print_fn=None) -> None:
        """Print the table of layers, output shapes and parameter counts (to ``print_fn``, default print).

        Example:
            >>> x = wg.Input(shape=(3,), name="features")
            >>> wg.Model(x, wg.layers.Dense(2, name="score")(x), name="tiny").summary()
            Model: "tiny"
            ...
            │ features (InputLayer)       │ (None, 3)              │             0 │
            ...
            │ score (Dense)               │ (None, 2)              │             8 │
            └─────────────────────────────┴────────────────────────┴───────────────┘
             Total params: 8 (32.00 B)
             Trainable params: 8 (32.00 B)
             Non-trainable params: 0 (0.00 B)
        """
        text = "\n".join(summary_lines(self, line_length))
        (print_fn or print)(text)

    def save_weights(self, filepath) -> None:
        """Write the weights as a safetensors file.

        Example:
            >>> import os, tempfile
            >>> model = wg.Sequential([wg.Input(shape=(3,)), wg.layers.Dense(2)])
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     model.save_weights(os.path.join(folder, "model.safetensors"))
            ...     print(os.listdir(folder))
            ['model.safetensors']
        """
        save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        """Read weights written by ``save_weights`` into this model (built, with the same architecture).

        Example:
            >>> import os, tempfile
            >>> model, copy = [wg.Sequential([wg.Input(shape=(3,)), wg.layers.Dense(2)]) for _ in range(2)]
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     model.save_weights(os.path.join(folder, "model.safetensors"))
            ...     copy.load_weights(os.path.join(folder, "model.safetensors"))
            >>> copy.get_weights()[0].tolist() == model.get_weights()[0].tolist()
            True
        """
        load_weights(self, filepath)


class _Graph:
    """The layers between some Inputs and some outputs, in an order that runs them."""

    def __init__(self, inputs, outputs):
        self.inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        self.multi_output = isinstance(outputs, (list, tuple))
        self.outputs = list(outputs) if self.multi_output else [outputs]
        for t in self.inputs + self.outputs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model(inputs, outputs) takes KerasTensors from Input(...) and layers called on "
                                f"them, got {type(t).__name__}")
        for t in self.inputs:
            if not isinstance(t.layer, InputLayer):
                raise ValueError("Model inputs must come straight from Input(...)")
        self.nodes: list[KerasTensor] = []        # the outputs of layer calls, in running order
        seen, input_ids = set(), {id(t) for t in self.inputs}

        def visit(t):
            if id(t) in seen:
                return
            seen.add(id(t))
            if isinstance(t.layer, InputLayer):
                if id(t) not in input_ids:
                    raise ValueError(f"the outputs depend on the input {t.layer.name!r}, which is not in Model(inputs=...)")
                return
            for parent in (t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]):
                visit(parent)
            self.nodes.append(t)

        for t in self.outputs:
            visit(t)
        self.layers: list[Layer] = [t.layer for t in self.inputs]
        for t in self.nodes:
            if all(t.layer is not l for l in self.layers):
                self.layers.append(t.layer)

    def run(self, inputs, training):
        xs = list(inputs) if isinstance(inputs, (list, tuple)) and len(self.inputs) > 1 else [inputs]
        if len(xs) != len(self.inputs):
            raise ValueError(f"the model has {len(self.inputs)} inputs, got {len(xs)}")
        values = {id(t): x for t, x in zip(self.inputs, xs)}
        for t in self.nodes:
            args = [values[id(p)] for p in t.inputs] if isinstance(t.inputs, (list, tuple)) else values[id(t.inputs)]
            values[id(t)] = t.layer(args, *t.args, training=training, **t.kwargs)
        outs = [values[id(t)] for t in self.outputs]
        return outs if self.multi_output else outs[0]

    def consumer(self, i: int):
        target = self.inputs[i]
        for t in self.nodes:
            parents = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
            if any(p is target for p in parents):
                return t.layer
        return None

    def summary_rows(self):
        branching = len(self.inputs) > 1 or any(isinstance(t.inputs, (list, tuple)) for t in self.nodes)
        rows = [(f"{t.layer.name} ({type(t.layer).__name__})", fmt_shape(t.shape), 0, "-" if branching else None)
                for t in self.inputs]
        for t in self.nodes:
            parents = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
            connected = ", ".join(p.layer.name for p in parents) if branching else None
            rows.append((f"{t.layer.name} ({type(t.layer).__name__})", fmt_shape(t.shape), t.layer.count_params(),
                         connected))
        return rows
