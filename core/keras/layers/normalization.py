"""BatchNormalization (batch statistics while training, moving averages at inference) and
LayerNormalization (per-sample statistics)."""
from __future__ import annotations

from ... import functional as F
from ...autograd import no_grad
from .base import InputSpec, Layer


class BatchNormalization(Layer):
    """Normalizes each feature (the ``axis``, last by default) over the batch.

    While training (``training=True``, as ``fit`` calls it) it uses the batch's mean and variance
    and moves ``moving_mean``/``moving_variance`` towards them by ``1 - momentum``; at inference it
    uses those moving averages. A frozen layer (``trainable=False``) always runs in inference mode,
    as in Keras.

        >>> import webgrad as wg
        >>> bn = wg.layers.BatchNormalization()
        >>> y = bn(wg.randn(64, 4) * 3 + 1, training=True)
        >>> abs(y.mean().item()) < 1e-5
        True
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.initializers = (beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer)

    def build(self, input_shape):
        """Create ``gamma`` and ``beta`` (trainable) and ``moving_mean`` and ``moving_variance`` (not), one
        value per feature.

        Example:
            >>> bn = wg.layers.BatchNormalization()
            >>> bn.build((None, 3))
            >>> [name for name, _ in bn.named_weights()], bn.moving_variance.tolist()
            (['gamma', 'beta', 'moving_mean', 'moving_variance'], [1.0, 1.0, 1.0])
        """
        axis = self.axis % len(input_shape)
        n = input_shape[axis]
        beta, gamma, mean, var = self.initializers
        self.gamma = self.add_weight("gamma", (n,), gamma) if self.scale else None
        self.beta = self.add_weight("beta", (n,), beta) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", (n,), mean, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", (n,), var, trainable=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: n})

    def call(self, inputs, training=None):
        """Normalize with the batch's mean and variance while training (and move the moving averages towards
        them), with the moving averages otherwise.

        Example:
            >>> bn = wg.layers.BatchNormalization(momentum=0.5)
            >>> _ = bn(wg.tensor([[1.0, 2.0], [3.0, 6.0]]), training=True)   # batch mean [2, 4], variance [1, 4]
            >>> bn.moving_mean.tolist(), bn.moving_variance.tolist()        # halfway from [0, 0] and [1, 1]
            ([1.0, 2.0], [1.0, 2.5])
        """
        axis = self.axis % inputs.ndim
        shape = tuple(inputs.shape[axis] if i == axis else 1 for i in range(inputs.ndim))
        reduce = tuple(i for i in range(inputs.ndim) if i != axis)
        if training and self.trainable:
            mean = inputs.mean(reduce, keepdims=True)
            centered = inputs - mean
            var = (centered * centered).mean(reduce, keepdims=True)
            with no_grad():
                m = self.momentum
                self.moving_mean.assign(self.moving_mean * m + mean.detach().reshape(-1) * (1.0 - m))
                self.moving_variance.assign(self.moving_variance * m + var.detach().reshape(-1) * (1.0 - m))
            out = centered * (var + self.epsilon).rsqrt()
        else:
            out = (inputs - self.moving_mean.reshape(shape)) * (self.moving_variance.reshape(shape) + self.epsilon).rsqrt()
        if self.gamma is not None:
            out = out * self.gamma.reshape(shape)
        if self.beta is not None:
            out = out + self.beta.reshape(shape)
        return out

    def get_config(self):
        """The base settings, then ``axis``, ``momentum`` and ``epsilon``.

        Example:
            >>> wg.layers.BatchNormalization(momentum=0.9, name="bn").get_config()
            {'name': 'bn', 'trainable': True, 'axis': -1, 'momentum': 0.9, 'epsilon': 0.001}
        """
        return dict(super().get_config(), axis=self.axis, momentum=self.momentum, epsilon=self.epsilon)


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis`` (the last by default), then scales and shifts.

        >>> import webgrad as wg
        >>> y = wg.layers.LayerNormalization()(wg.tensor([[1.0, 2.0, 3.0]]))
        >>> [round(v, 3) for v in y.tolist()[0]]
        [-1.224, 0.0, 1.224]
    """

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else (int(axis),)
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer

    def build(self, input_shape):
        """Create ``gamma`` (ones) and ``beta`` (zeros), shaped like the normalized axes.

        Example:
            >>> ln = wg.layers.LayerNormalization(axis=(1, 2))
            >>> ln.build((None, 4, 8))
            >>> ln.gamma.shape, ln.beta.shape
            ((4, 8), (4, 8))
        """
        rank = len(input_shape)
        axes = sorted(a % rank for a in self.axis)
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = self.add_weight("gamma", shape, self.gamma_initializer) if self.scale else None
        self.beta = self.add_weight("beta", shape, self.beta_initializer) if self.center else None
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})

    def call(self, inputs):
        """``(inputs - mean) / sqrt(variance + epsilon) * gamma + beta``, the statistics of each sample over ``axis``.

        Example:
            >>> y = wg.layers.LayerNormalization()(wg.tensor([[1.0, 3.0], [10.0, 30.0]]))
            >>> [[round(v, 4) for v in row] for row in y.tolist()]
            [[-0.9995, 0.9995], [-1.0, 1.0]]
        """
        rank = inputs.ndim
        axes = tuple(sorted(a % rank for a in self.axis))
        shape = tuple(inputs.shape[i] if i in axes else 1 for i in range(rank))
        gamma = self.gamma.reshape(shape) if self.gamma is not None else None
        beta = self.beta.reshape(shape) if self.beta is not None else None
        return F.layer_norm(inputs, gamma, beta, self.epsilon, axes)

    def get_config(self):
        """The base settings, then ``axis`` (a tuple) and ``epsilon``.

        Example:
            >>> wg.layers.LayerNormalization(name="ln").get_config()
            {'name': 'ln', 'trainable': True, 'axis': (-1,), 'epsilon': 0.001}
        """
        return dict(super().get_config(), axis=self.axis, epsilon=self.epsilon)
