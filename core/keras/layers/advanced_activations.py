"""Activations as layers with settings of their own, as Keras has them: ReLU (a cap, a slope, a threshold),
LeakyReLU, Softmax (an axis), and Identity.

    >>> import webgrad as wg
    >>> wg.layers.ReLU(max_value=6.0)(wg.tensor([-1.0, 3.0, 9.0])).tolist()
    [0.0, 3.0, 6.0]
"""
from __future__ import annotations

from .. import activations
from .base import Layer


class ReLU(Layer):
    """Keras's ReLU: x from ``threshold`` up (capped at ``max_value``), ``negative_slope * (x - threshold)`` below.

    Example:
        >>> wg.layers.ReLU(negative_slope=0.1, threshold=1.0)(wg.tensor([0.0, 2.0])).tolist()
        [-0.10000000149011612, 2.0]
    """

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0, threshold: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU: max_value must be >= 0, got {max_value}")
        if negative_slope < 0:
            raise ValueError(f"ReLU: negative_slope must be >= 0, got {negative_slope}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def call(self, inputs):
        """The rectified ``inputs``.

        Example:
            >>> wg.layers.ReLU()(wg.tensor([-2.0, 0.5])).tolist()
            [0.0, 0.5]
        """
        t = self.threshold
        out = inputs.where(inputs >= t, (inputs - t) * self.negative_slope) if self.negative_slope else \
            inputs.where(inputs >= t, 0.0)
        return out if self.max_value is None else out.minimum(self.max_value)

    def get_config(self):
        """The base settings, then ``max_value``, ``negative_slope`` and ``threshold``.

        Example:
            >>> wg.layers.ReLU(6.0, name="relu6").get_config()["max_value"]
            6.0
        """
        return dict(super().get_config(), max_value=self.max_value, negative_slope=self.negative_slope,
                    threshold=self.threshold)


class LeakyReLU(Layer):
    """x for x >= 0, ``negative_slope * x`` below (0.3, Keras's default for this layer).

    Example:
        >>> [round(v, 4) for v in wg.layers.LeakyReLU()(wg.tensor([-1.0, 2.0])).tolist()]
        [-0.3, 2.0]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        super().__init__(**kwargs)
        if negative_slope < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        """``inputs`` with the negative part scaled.

        Example:
            >>> wg.layers.LeakyReLU(0.5)(wg.tensor([-2.0])).tolist()
            [-1.0]
        """
        return activations.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        """The base settings, then ``negative_slope``.

        Example:
            >>> wg.layers.LeakyReLU(0.1).get_config()["negative_slope"]
            0.1
        """
        return dict(super().get_config(), negative_slope=self.negative_slope)


class Softmax(Layer):
    """Softmax along ``axis`` (the last by default).

    Example:
        >>> wg.layers.Softmax()(wg.tensor([[0.0, 0.0]])).tolist()
        [[0.5, 0.5]]
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        """exp(x) / sum(exp(x)) along ``axis``.

        Example:
            >>> wg.layers.Softmax(axis=0)(wg.tensor([[1.0], [1.0]])).tolist()
            [[0.5], [0.5]]
        """
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self):
        """The base settings, then ``axis``.

        Example:
            >>> wg.layers.Softmax(axis=1).get_config()["axis"]
            1
        """
        return dict(super().get_config(), axis=self.axis)


class Identity(Layer):
    """Its input, unchanged: a placeholder in a list of layers.

    Example:
        >>> wg.layers.Identity()(wg.tensor([1.0, 2.0])).tolist()
        [1.0, 2.0]
    """

    def call(self, inputs):
        """``inputs`` itself.

        Example:
            >>> x = wg.ones(2); wg.layers.Identity()(x) is x
            True
        """
        return inputs
