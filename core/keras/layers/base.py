"""The base Layer: weights, build on first call, the ``training`` flag, input checks.

A layer creates its weights in ``build(input_shape)``, the first time it sees an input (or
when a model is built with a known input shape), and computes in ``call``. After that it
checks every input against the shape it was built for, and says which layer, which axis,
and what it expected:

    >>> import webgrad as wg
    >>> dense = wg.layers.Dense(3, name="dense")
    >>> dense(wg.ones(2, 4)).shape
    (2, 3)
    >>> dense(wg.ones(2, 5))
    Traceback (most recent call last):
    ...
    webgrad.ops.registry.ShapeError: layer 'dense' (Dense) was built for inputs of shape (None, 4) and got shape (2, 5): axis -1 should have size 4
"""
from __future__ import annotations

import functools
import inspect
import re

from ...autograd import no_grad, scope
from ...ops import ShapeError
from ...tensor import Tensor
from .. import initializers, regularizers
from ..losses import as_tensor
from .keras_tensor import KerasTensor, fmt_shape, symbolic_call

_name_counts: dict[str, int] = {}


def snake_case(name: str) -> str:
    """'BatchNormalization' -> 'batch_normalization', 'Conv2D' -> 'conv2d' (Keras' layer names)."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str) -> str:
    """'dense', then 'dense_1', 'dense_2', ... within this process, as Keras names layers."""
    n = _name_counts.get(base, 0)
    _name_counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


class InputSpec:
    """What a built layer accepts: a rank (``ndim`` or ``min_ndim``) and sizes of some axes.

    Example:
        >>> dense = wg.layers.Dense(3)
        >>> _ = dense(wg.ones(2, 4))
        >>> dense.input_spec.min_ndim, dense.input_spec.axes
        (2, {-1: 4})
    """

    def __init__(self, ndim: int | None = None, min_ndim: int | None = None, axes: dict | None = None):
        self.ndim, self.min_ndim, self.axes = ndim, min_ndim, dict(axes or {})

    def expected_shape(self, built_shape) -> tuple:
        """The shape an input should have, for error messages: ``built_shape`` with the batch axis None,
        or Nones of the expected rank when the layer is not built.

        Example:
            >>> spec = wg.layers.InputSpec(ndim=2, axes={-1: 4})
            >>> spec.expected_shape((32, 4)), spec.expected_shape(None)
            ((None, 4), (None, None))
        """
        if built_shape is not None:
            return (None,) + tuple(built_shape[1:])
        return tuple(None for _ in range(self.ndim or self.min_ndim or 0))


class Layer:
    """Base class of layers and models.

    Subclasses create weights in ``build(input_shape)`` with ``add_weight`` and compute in
    ``call(inputs, training=None)``; ``compute_output_shape`` gives the output shape for an input
    shape (batch axis ``None``) so models can be built and summarized without running.

        >>> import webgrad as wg
        >>> class Scale(wg.layers.Layer):
        ...     def build(self, input_shape):
        ...         self.scale = self.add_weight("scale", (input_shape[-1],), initializer="ones")
        ...     def call(self, x):
        ...         return x * self.scale
        >>> Scale()(wg.ones(2, 3)).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """

    def __init__(self, name: str | None = None, trainable: bool = True, dtype=None, input_shape=None,
                 batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword arguments {sorted(kwargs)}")
        object.__setattr__(self, "_layers", [])
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        self._weights: list[list] = []          # [name, tensor, trainable, regularizer]
        self.input_spec: InputSpec | None = None
        self._build_shape = None
        self._output_shape = None
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (None,) + tuple(input_shape)
        else:
            self._batch_input_shape = None
        if dtype not in (None, "float32"):
            raise NotImplementedError(f"{type(self).__name__}: only float32 layers are supported, got dtype={dtype!r}")

    # ---- tracking ------------------------------------------------------------------------------

    _untracked = frozenset({"_input_layer"})   # attributes that hold layers which are not sublayers

    def __setattr__(self, name, value):
        if name in self._untracked:
            pass
        elif isinstance(value, Layer) and value is not self:
            if all(value is not l for l in self._layers):
                self._layers.append(value)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
            for v in value:
                if all(v is not l for l in self._layers):
                    self._layers.append(v)
        object.__setattr__(self, name, value)

    def add_weight(self, name: str, shape, initializer="glorot_uniform", regularizer=None, trainable: bool = True,
                   dtype=None) -> Tensor:
        """A new weight tensor, tracked by this layer (saved, optimized when trainable).

        Example:
            >>> layer = wg.layers.Layer()
            >>> w = layer.add_weight("w", (2, 3), initializer="ones")
            >>> w.shape, w.requires_grad, layer.weights[0] is w
            ((2, 3), True, True)
        """
        init = initializers.get(initializer)
        with no_grad():
            value = init(tuple(shape), dtype=dtype)
        value = value.detach()
        value.requires_grad = bool(trainable)
        self._weights.append([name, value, bool(trainable), regularizers.get(regularizer)])
        return value

    def __init_subclass__(cls, **kwargs):
        """A subclass's ``build`` marks the layer built, called by ``__call__`` or by the user (as Keras
        does), so a later call does not build it again."""
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_marks_built", False):
            @functools.wraps(build)
            def build_and_mark(self, input_shape, *args, **kwargs):
                build(self, input_shape, *args, **kwargs)
                self.built = True
                if self._build_shape is None:
                    self._build_shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else input_shape
            build_and_mark._marks_built = True
            cls.build = build_and_mark

    # ---- the pieces a subclass writes ----------------------------------------------------------

    def build(self, input_shape) -> None:
        """Create weights for inputs of ``input_shape`` (batch axis may be None).

        Example:
            >>> layer = wg.layers.Dense(2)
            >>> layer.weights
            []
            >>> _ = layer(wg.ones(1, 3))               # the first call builds for inputs of shape (1, 3)
            >>> [w.shape for w in layer.weights]
            [(3, 2), (2,)]
        """

    def call(self, inputs, *args, **kwargs):
        """The layer's computation: returns the output for ``inputs`` (a tensor, or a list of them for
        layers that join several). A ``call`` that takes ``training`` gets True in ``fit``'s steps, False in
        ``evaluate`` and ``predict``, None when called directly; ``layer(x)`` builds the layer, then calls this.

        Example:
            >>> class AddOneWhileTraining(wg.layers.Layer):
            ...     def call(self, inputs, training=None):
            ...         return inputs + 1 if training else inputs
            >>> layer = AddOneWhileTraining()
            >>> layer(wg.tensor([1.0]), training=True).tolist(), layer(wg.tensor([1.0])).tolist()
            ([2.0], [1.0])
        """
        raise NotImplementedError(f"{type(self).__name__} does not define call()")

    def compute_output_shape(self, input_shape):
        """The output shape for inputs of ``input_shape`` (batch axis None), without running the layer;
        the functional API and ``summary`` use it. The base returns ``input_shape`` unchanged.

        Example:
            >>> wg.layers.Layer().compute_output_shape((None, 5))
            (None, 5)
        """
        return input_shape

    # ---- calling -------------------------------------------------------------------------------

    def __call__(self, inputs, *args, training=None, **kwargs):
        if _any(inputs, KerasTensor):
            return symbolic_call(self, inputs, args, kwargs)
        shape = _shapes(inputs)
        self._ensure_built(shape)
        self._check_input(shape)
        if _accepts_training(type(self)):
            kwargs["training"] = training
        with scope(self.name):          # a traced step groups the layer's ops under its name
            out = self.call(inputs, *args, **kwargs)
        if isinstance(out, Tensor):
            self._output_shape = (None,) + out.shape[1:]
        return out

    def _ensure_built(self, shape) -> None:
        if not self.built:
            self._build_shape = shape
            self.build(shape)
            self.built = True

    def _check_input(self, shape) -> None:
        spec = self.input_spec
        if spec is None or not isinstance(shape, tuple):
            return
        expected = fmt_shape(spec.expected_shape(self._build_shape))
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ShapeError(f"layer {self.name!r} ({type(self).__name__}) expects inputs of rank {spec.ndim}, "
                             f"shape {expected}, and got shape {fmt_shape(shape)}{self._rank_hint(shape)}")
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ShapeError(f"layer {self.name!r} ({type(self).__name__}) expects inputs of rank at least "
                             f"{spec.min_ndim} and got shape {fmt_shape(shape)}{self._rank_hint(shape)}")
        for axis, size in spec.axes.items():
            if size is not None and shape[axis] is not None and shape[axis] != size:
                raise ShapeError(f"layer {self.name!r} ({type(self).__name__}) was built for inputs of shape "
                                 f"{expected} and got shape {fmt_shape(shape)}: axis {axis} should have size {size}")

    def _rank_hint(self, shape) -> str:
        return ""

    # ---- weights -------------------------------------------------------------------------------

    @property
    def trainable(self) -> bool:
        """Whether training updates this layer's weights; setting it sets every sublayer's too, and the
        weights of a frozen layer move to ``non_trainable_weights``.

        Example:
            >>> bn = wg.layers.BatchNormalization()
            >>> _ = bn(wg.ones(2, 3))
            >>> bn.trainable = False
            >>> len(bn.trainable_weights), len(bn.non_trainable_weights)
            (0, 4)
        """
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    @property
    def layers(self) -> list["Layer"]:
        """The sublayers (layers assigned as attributes, or a model's layers), in the order they were added.

        Example:
            >>> class Block(wg.layers.Layer):
            ...     def __init__(self):
            ...         super().__init__()
            ...         self.inner = wg.layers.Dense(2, name="inner")
            >>> [layer.name for layer in Block().layers]
            ['inner']
        """
        return list(self._layers)

    def _own(self, trainable: bool | None):
        for name, t, is_trainable, _ in self._weights:
            if trainable is None or (is_trainable and self._trainable) == trainable:
                yield name, t

    @property
    def weights(self) -> list[Tensor]:
        """All weights, trainable first then the others, this layer's before its sublayers'.

        Example:
            >>> model = wg.Sequential([wg.Input(shape=(3,)), wg.layers.Dense(2), wg.layers.BatchNormalization()])
            >>> len(model.weights), len(model.trainable_weights), model.weights[-1] is model.layers[1].moving_variance
            (6, 4, True)
        """
        return self.trainable_weights + self.non_trainable_weights

    @property
    def trainable_weights(self) -> list[Tensor]:
        """The weights the optimizer updates: this layer's trainable ones (none when frozen), then its sublayers'.

        Example:
            >>> dense = wg.layers.Dense(2)
            >>> _ = dense(wg.ones(1, 3))
            >>> [w.shape for w in dense.trainable_weights]
            [(3, 2), (2,)]
        """
        return [t for _, t in self._own(True)] + [t for l in self._sublayers() for t in l.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Tensor]:
        """The weights training leaves to the layer (BatchNormalization's moving statistics) and every
        weight of a frozen layer: this layer's, then its sublayers'.

        Example:
            >>> bn = wg.layers.BatchNormalization()
            >>> _ = bn(wg.ones(2, 3))
            >>> len(bn.non_trainable_weights), bn.non_trainable_weights[0] is bn.moving_mean
            (2, True)
        """
        return [t for _, t in self._own(False)] + [t for l in self._sublayers() for t in l.non_trainable_weights]

    def _sublayers(self) -> list["Layer"]:
        return self._layers

    def named_weights(self) -> list[tuple[str, Tensor]]:
        """(path, tensor) of every weight, with paths that depend only on the architecture:
        'kernel', or for sublayers 'dense/kernel', 'dense_1/kernel' (numbered by class within
        this layer), so a fresh copy of a model maps onto a saved one.

        Example:
            >>> model = wg.Sequential([wg.Input(shape=(3,)), wg.layers.Dense(4), wg.layers.Dense(1)])
            >>> [path for path, _ in model.named_weights()]
            ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias']
        """
        out = [(name, t) for name, t, _, _ in self._weights]
        seen: dict[str, int] = {}
        for layer in self._sublayers():
            base = snake_case(type(layer).__name__)
            k = seen.get(base, 0)
            seen[base] = k + 1
            prefix = base if k == 0 else f"{base}_{k}"
            out += [(f"{prefix}/{path}", t) for path, t in layer.named_weights()]
        return out

    def _weight_labels(self, prefix: str = "") -> dict[int, str]:
        """id(weight) -> "<layer name>/<weight>" ("hidden/kernel"): how the graph viewer labels weights."""
        out = {id(t): f"{prefix}{name}" for name, t, _, _ in self._weights}
        for layer in self._sublayers():
            out.update(layer._weight_labels(f"{prefix}{layer.name}/"))
        return out

    def _layer_of_weights(self) -> dict[int, "Layer"]:
        found = {id(t): self for _, t, _, _ in self._weights}
        for layer in self._sublayers():
            found.update(layer._layer_of_weights())
        return found

    @property
    def losses(self) -> list[Tensor]:
        """Regularization penalties of this layer's weights and its sublayers', computed now.

        Example:
            >>> dense = wg.layers.Dense(2, kernel_initializer="ones", kernel_regularizer=wg.regularizers.L2(0.5))
            >>> _ = dense(wg.ones(1, 3))
            >>> [round(loss.item(), 4) for loss in dense.losses]       # 0.5 * the sum of 6 squared ones
            [3.0]
        """
        out = [reg(t) for _, t, _, reg in self._weights if reg is not None]
        return out + [loss for layer in self._sublayers() for loss in layer.losses]

    def count_params(self) -> int:
        """The number of scalars in all the weights, trainable or not (the layer must be built).

        Example:
            >>> dense = wg.layers.Dense(4)
            >>> _ = dense(wg.ones(1, 3))
            >>> dense.count_params()                   # a 3 x 4 kernel and 4 biases
            16
        """
        return sum(t.numel() for t in self.weights)

    def get_weights(self) -> list[Tensor]:
        """Copies of the weights (use ``.numpy()`` or ``.tolist()`` on them).

        Example:
            >>> dense = wg.layers.Dense(2, kernel_initializer="ones")
            >>> _ = dense(wg.ones(1, 3))
            >>> [w.tolist() for w in dense.get_weights()]
            [[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [0.0, 0.0]]
        """
        return [t.detach().clone() for t in self.weights]

    def set_weights(self, values) -> None:
        """Replace the weights, in the order of ``weights``, by tensors, arrays or lists of the same shapes.

        Example:
            >>> dense = wg.layers.Dense(1)
            >>> _ = dense(wg.ones(1, 2))
            >>> dense.set_weights([[[1.0], [2.0]], [0.5]])         # the kernel (2, 1), then the bias (1,)
            >>> dense(wg.tensor([[1.0, 1.0]])).tolist()
            [[3.5]]
        """
        own = self.weights
        values = list(values)
        if len(values) != len(own):
            raise ValueError(f"set_weights: layer {self.name!r} has {len(own)} weights, got {len(values)} values")
        with no_grad():
            for t, v in zip(own, values):
                v = as_tensor(v, t, "float32" if t.dtype.is_float else None)
                if v.shape != t.shape:
                    raise ShapeError(f"set_weights: layer {self.name!r} has a weight of shape {fmt_shape(t.shape)}, "
                                     f"got a value of shape {fmt_shape(v.shape)}")
                t.assign(v)

    # ---- description ---------------------------------------------------------------------------

    @property
    def output_shape(self):
        """The output shape (batch axis None) of the last call, symbolic calls included; an AttributeError before.

        Example:
            >>> dense = wg.layers.Dense(3)
            >>> _ = dense(wg.ones(2, 5))
            >>> dense.output_shape
            (None, 3)
        """
        if self._output_shape is None:
            raise AttributeError(f"layer {self.name!r} has not been called yet, so its output shape is unknown")
        return self._output_shape

    def get_config(self) -> dict:
        """The layer's settings as a dict: ``name``, ``trainable`` and each layer's own arguments, as Keras.

            >>> wg.layers.Dense(4, name="out").get_config()
            {'name': 'out', 'trainable': True, 'units': 4, 'activation': 'linear', 'use_bias': True}
        """
        return {"name": self.name, "trainable": self.trainable}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _any(x, cls) -> bool:
    if isinstance(x, (list, tuple)):
        return any(_any(v, cls) for v in x)
    return isinstance(x, cls)


def _shapes(x):
    if isinstance(x, (list, tuple)):
        return [_shapes(v) for v in x]
    return tuple(x.shape)


_training_cache: dict = {}


def _accepts_training(cls) -> bool:
    hit = _training_cache.get(cls)
    if hit is None:
        params = inspect.signature(cls.call).parameters
        hit = _training_cache[cls] = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    return hit
