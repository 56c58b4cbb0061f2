"""Max and average pooling over windows of channels-last images, and their global forms."""
from __future__ import annotations

from ...convolution import avg_pool2d, max_pool2d, pair
from .base import InputSpec, Layer
from .convolutional import _window_out


class _Pool2D(Layer):
    fn = None

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise NotImplementedError(f"{type(self).__name__}: only channels_last (N, H, W, C) images are supported")
        if str(padding).lower() not in ("valid", "same"):
            raise ValueError(f"{type(self).__name__}: padding must be 'valid' or 'same', got {padding!r}")
        self.pool_size = pair(pool_size, "pool_size")
        self.strides = pair(strides, "strides") if strides is not None else self.pool_size
        self.padding = str(padding).lower()
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return type(self).fn(inputs, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n,) + _window_out((h, w), self.pool_size, self.strides, self.padding) + (c,)

    def get_config(self):
        return dict(super().get_config(), pool_size=self.pool_size, strides=self.strides, padding=self.padding)


class MaxPool2D(_Pool2D):
    """The max of each ``pool_size`` window (stride = pool size by default).

        >>> import webgrad as wg
        >>> wg.layers.MaxPool2D()(wg.ones(2, 8, 8, 3)).shape
        (2, 4, 4, 3)
    """
    fn = staticmethod(max_pool2d)


class AvgPool2D(_Pool2D):
    """The mean of each ``pool_size`` window; with 'same' padding, of the pixels inside the image.

    Example:
        >>> x = wg.arange(16).reshape(1, 4, 4, 1).float()          # 0..15, row by row
        >>> wg.layers.AveragePooling2D()(x).reshape(-1).tolist()
        [2.5, 4.5, 10.5, 12.5]
        >>> wg.layers.AveragePooling2D(3, strides=1, padding="same")(wg.ones(1, 2, 2, 1)).reshape(-1).tolist()
        [1.0, 1.0, 1.0, 1.0]
    """
    fn = staticmethod(avg_pool2d)


MaxPooling2D, AveragePooling2D = MaxPool2D, AvgPool2D


class GlobalAveragePooling2D(Layer):
    """(N, H, W, C) -> (N, C): the mean over height and width.

    Example:
        >>> wg.layers.GlobalAveragePooling2D()(wg.ones(2, 7, 7, 64)).shape
        (2, 64)
    """

    def __init__(self, keepdims: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        """The mean of each channel over height and width (kept as 1 x 1 axes with ``keepdims=True``).

        Example:
            >>> x = wg.arange(8).reshape(1, 2, 2, 2).float()     # channel 0: 0, 2, 4, 6; channel 1: 1, 3, 5, 7
            >>> wg.layers.GlobalAveragePooling2D()(x).tolist()
            [[3.0, 4.0]]
        """
        return inputs.mean((1, 2), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        """(N, C), or (N, 1, 1, C) with ``keepdims=True``.

        Example:
            >>> wg.layers.GlobalAveragePooling2D().compute_output_shape((None, 7, 7, 64))
            (None, 64)
            >>> wg.layers.GlobalAveragePooling2D(keepdims=True).compute_output_shape((None, 7, 7, 64))
            (None, 1, 1, 64)
        """
        return (input_shape[0], 1, 1, input_shape[3]) if self.keepdims else (input_shape[0], input_shape[3])


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    """(N, H, W, C) -> (N, C): the max over height and width.

    Example:
        >>> wg.layers.GlobalMaxPooling2D()(wg.ones(2, 7, 7, 64)).shape
        (2, 64)
    """

    def call(self, inputs):
        """The max of each channel over height and width (kept as 1 x 1 axes with ``keepdims=True``).

        Example:
            >>> x = wg.arange(8).reshape(1, 2, 2, 2).float()     # channel 0: 0, 2, 4, 6; channel 1: 1, 3, 5, 7
            >>> wg.layers.GlobalMaxPooling2D()(x).tolist()
            [[6.0, 7.0]]
        """
        return inputs.max((1, 2), keepdims=self.keepdims)
