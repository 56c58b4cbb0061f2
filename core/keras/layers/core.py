"""Dense, Activation, Flatten, Reshape, Dropout and Embedding."""
from __future__ import annotations

from math import prod

from .. import activations
from ...ops import ShapeError
from ...random import Generator
from ...tensor import Tensor, rand
from .base import InputSpec, Layer, fmt_shape


class Dense(Layer):
    """``activation(inputs @ kernel + bias)``; the kernel is (input features, units).

        >>> import webgrad as wg
        >>> layer = wg.layers.Dense(8, activation="relu")
        >>> layer(wg.ones(32, 16)).shape, layer.kernel.shape
        ((32, 8), (16, 8))
    """

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if int(units) <= 0:
            raise ValueError(f"Dense: units must be a positive integer, got {units!r}")
        self.units, self.use_bias = int(units), bool(use_bias)
        self.activation = activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        """Create ``kernel`` (input features, units) and ``bias`` (units,) for inputs of ``input_shape``.

        Example:
            >>> layer = wg.layers.Dense(2)
            >>> layer.build((None, 3))
            >>> layer.kernel.shape, layer.bias.shape
            ((3, 2), (2,))
        """
        if len(input_shape) < 2:
            raise ShapeError(f"layer {self.name!r} (Dense) needs inputs of shape (batch, features), got "
                             f"{fmt_shape(input_shape)}")
        n_in = input_shape[-1]
        self.kernel = self.add_weight("kernel", (n_in, self.units), self.kernel_initializer, self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer) \
            if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: n_in})

    def call(self, inputs):
        """``activation(inputs @ kernel + bias)``.

        Example:
            >>> layer = wg.layers.Dense(2, kernel_initializer="ones", bias_initializer="ones")
            >>> layer(wg.tensor([[1.0, 2.0, 3.0]])).tolist()        # 1 + 2 + 3, plus the bias 1
            [[7.0, 7.0]]
        """
        out = inputs @ self.kernel
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        """The input shape with its last axis replaced by ``units``.

        Example:
            >>> wg.layers.Dense(8).compute_output_shape((None, 5, 3))
            (None, 5, 8)
        """
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        """The base settings, then ``units``, ``activation`` (by name) and ``use_bias``.

        Example:
            >>> wg.layers.Dense(4, activation="relu", name="hidden").get_config()
            {'name': 'hidden', 'trainable': True, 'units': 4, 'activation': 'relu', 'use_bias': True}
        """
        return dict(super().get_config(), units=self.units, activation=activations.name_of(self.activation),
                    use_bias=self.use_bias)


class Activation(Layer):
    """An activation as a layer: ``Activation("softmax")``.

    Example:
        >>> wg.layers.Activation("relu")(wg.tensor([[-1.0, 2.0]])).tolist()
        [[0.0, 2.0]]
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        """The activation applied to ``inputs``, elementwise (or along the last axis, for softmax).

        Example:
            >>> [round(v, 4) for v in wg.layers.Activation("sigmoid")(wg.tensor([0.0, 2.0])).tolist()]
            [0.5, 0.8808]
        """
        return self.activation(inputs)

    def get_config(self):
        """The base settings, then the ``activation``'s name.

        Example:
            >>> wg.layers.Activation("tanh", name="act").get_config()
            {'name': 'act', 'trainable': True, 'activation': 'tanh'}
        """
        return dict(super().get_config(), activation=activations.name_of(self.activation))


class Flatten(Layer):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...).

    Example:
        >>> wg.layers.Flatten()(wg.ones(2, 3, 4)).shape
        (2, 12)
    """

    def call(self, inputs):
        """Each sample as one axis, its values in row-major order.

        Example:
            >>> wg.layers.Flatten()(wg.tensor([[[1.0, 2.0], [3.0, 4.0]]])).tolist()
            [[1.0, 2.0, 3.0, 4.0]]
        """
        return inputs.reshape(inputs.shape[0], -1) if inputs.ndim != 2 else inputs

    def compute_output_shape(self, input_shape):
        """(batch, the product of the other axes), or (batch, None) when one of them is unknown.

        Example:
            >>> wg.layers.Flatten().compute_output_shape((None, 28, 28, 1))
            (None, 784)
        """
        rest = input_shape[1:]
        return (input_shape[0], None if any(d is None for d in rest) else prod(rest))


class Reshape(Layer):
    """Reshape each sample to ``target_shape`` (one entry may be -1): ``Reshape((8, 8, 1))``.

    Example:
        >>> wg.layers.Reshape((2, 3))(wg.ones(4, 6)).shape
        (4, 2, 3)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def _target(self, input_shape):
        n = prod(d for d in input_shape[1:])
        known = prod(d for d in self.target_shape if d != -1)
        shape = tuple(n // known if d == -1 else d for d in self.target_shape)
        if prod(shape) != n:
            raise ShapeError(f"layer {self.name!r} (Reshape) cannot reshape samples of shape "
                             f"{fmt_shape(input_shape[1:])} ({n} values) into {fmt_shape(self.target_shape)}")
        return shape

    def call(self, inputs):
        """Each sample of ``inputs`` reshaped to ``target_shape``, the batch axis kept.

        Example:
            >>> wg.layers.Reshape((2, -1))(wg.tensor([[1.0, 2.0, 3.0, 4.0]])).tolist()
            [[[1.0, 2.0], [3.0, 4.0]]]
        """
        return inputs.reshape((inputs.shape[0],) + self._target(inputs.shape))

    def compute_output_shape(self, input_shape):
        """(batch,) + ``target_shape`` with its -1 worked out; a ShapeError when the sizes do not match.

        Example:
            >>> wg.layers.Reshape((-1, 4)).compute_output_shape((None, 8))
            (None, 2, 4)
        """
        return (input_shape[0],) + self._target(input_shape)


class Dropout(Layer):
    """Zeroes a ``rate`` share of the inputs while training and scales the rest by 1 / (1 - rate);
    the identity at inference.

    Example:
        >>> wg.manual_seed(0)
        >>> wg.layers.Dropout(0.5)(wg.ones(2, 4), training=True).tolist()
        [[0.0, 2.0, 2.0, 2.0], [2.0, 0.0, 2.0, 0.0]]
    """

    def __init__(self, rate: float, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate, self.seed = float(rate), seed
        # a seeded layer draws its own stream, as Keras's SeedGenerator: reproducible whatever else is drawn
        self._generator = Generator(seed) if seed is not None else None

    def call(self, inputs, training=None):
        """``inputs`` unchanged unless ``training`` is true (as in ``fit``); then the random zeroing and scaling.

        Example:
            >>> wg.layers.Dropout(0.5)(wg.ones(1, 3)).tolist()        # not training: the identity
            [[1.0, 1.0, 1.0]]
        """
        if not training or self.rate == 0.0:
            return inputs
        keep = (rand(*inputs.shape, device=inputs.device, generator=self._generator) >= self.rate).float()
        return inputs * keep * (1.0 / (1.0 - self.rate))

    def get_config(self):
        """The base settings, then ``rate``.

        Example:
            >>> wg.layers.Dropout(0.25, name="drop").get_config()
            {'name': 'drop', 'trainable': True, 'rate': 0.25}
        """
        return dict(super().get_config(), rate=self.rate)


class Embedding(Layer):
    """Integer ids (any shape) -> vectors of ``output_dim``: ``Embedding(input_dim=1000, output_dim=16)``.

    Example:
        >>> emb = wg.layers.Embedding(input_dim=10, output_dim=3)
        >>> emb(wg.tensor([[1, 2, 5]])).shape, emb.embeddings.shape
        ((1, 3, 3), (10, 3))
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer="uniform", embeddings_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = "random_uniform" if embeddings_initializer == "uniform" else embeddings_initializer
        self.embeddings_regularizer = embeddings_regularizer

    def build(self, input_shape):
        """Create ``embeddings``, the (input_dim, output_dim) table with one vector per id.

        Example:
            >>> emb = wg.layers.Embedding(1000, 16)
            >>> emb.build((None, 5))
            >>> emb.embeddings.shape
            (1000, 16)
        """
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
                                          self.embeddings_regularizer)

    def call(self, inputs):
        """Row ``i`` of ``embeddings`` for each id ``i`` in ``inputs``.

        Example:
            >>> emb = wg.layers.Embedding(3, 2)
            >>> _ = emb(wg.tensor([0]))                        # builds the table
            >>> emb.set_weights([[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]])
            >>> emb(wg.tensor([[2, 0], [1, 1]])).tolist()
            [[[2.0, 2.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]]
        """
        ids = inputs if isinstance(inputs, Tensor) else Tensor(inputs)
        # contiguous(): the gather kernel reads its index buffer from the start, not through a view,
        # so a sliced view of ids must be copied first.
        ids = ids.int().contiguous()
        return self.embeddings.gather(ids, 0)

    def compute_output_shape(self, input_shape):
        """The ids' shape with an axis of ``output_dim`` added.

        Example:
            >>> wg.layers.Embedding(1000, 16).compute_output_shape((None, 10))
            (None, 10, 16)
        """
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        """The base settings, then ``input_dim`` and ``output_dim``.

        Example:
            >>> wg.layers.Embedding(1000, 16, name="words").get_config()
            {'name': 'words', 'trainable': True, 'input_dim': 1000, 'output_dim': 16}
        """
        return dict(super().get_config(), input_dim=self.input_dim, output_dim=self.output_dim)
