"""Conv2D on channels-last images: unfold (im2col) and one matmul."""
from __future__ import annotations

from .. import activations
from ...convolution import conv2d, pair, padding_amounts
from ...ops import ShapeError
from .base import InputSpec, Layer, fmt_shape


class Conv2D(Layer):
    """2-D convolution of (N, H, W, C) images with ``filters`` kernels of ``kernel_size``.

    ``padding="valid"`` keeps only full windows; ``"same"`` pads so the output is
    ceil(size / stride) (as Keras and TensorFlow). The kernel is (KH, KW, C, filters).

        >>> import webgrad as wg
        >>> conv = wg.layers.Conv2D(16, 3, padding="same", activation="relu")
        >>> conv(wg.ones(2, 8, 8, 1)).shape, conv.kernel.shape
        ((2, 8, 8, 16), (3, 3, 1, 16))
    """

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise NotImplementedError("Conv2D: only channels_last (N, H, W, C) images are supported")
        if pair(dilation_rate, "dilation_rate") != (1, 1):
            raise NotImplementedError("Conv2D: dilation_rate other than 1 is not supported yet")
        if str(padding).lower() not in ("valid", "same"):
            raise ValueError(f"Conv2D: padding must be 'valid' or 'same', got {padding!r}")
        self.filters, self.kernel_size, self.strides = int(filters), pair(kernel_size, "kernel_size"), pair(strides, "strides")
        self.padding, self.use_bias = str(padding).lower(), bool(use_bias)
        self.activation = activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.input_spec = InputSpec(ndim=4)

    def _rank_hint(self, shape):
        return "; Conv2D takes channels-last images (batch, height, width, channels): reshape flat samples " \
               "with a Reshape((height, width, channels)) layer first" if len(shape) != 4 else ""

    def build(self, input_shape):
        """Create ``kernel`` (KH, KW, input channels, filters) and ``bias`` (filters,).

        Example:
            >>> conv = wg.layers.Conv2D(8, (3, 5))
            >>> conv.build((None, 28, 28, 3))
            >>> conv.kernel.shape, conv.bias.shape
            ((3, 5, 3, 8), (8,))
        """
        if len(input_shape) != 4:
            raise ShapeError(f"layer {self.name!r} (Conv2D) expects inputs of rank 4 (batch, height, width, channels) "
                             f"and got shape {fmt_shape(input_shape)}{self._rank_hint(input_shape)}")
        c = input_shape[-1]
        self.kernel = self.add_weight("kernel", self.kernel_size + (c, self.filters), self.kernel_initializer,
                                      self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer) \
            if self.use_bias else None
        self.input_spec = InputSpec(ndim=4, axes={-1: c})

    def call(self, inputs):
        """``activation(conv2d(inputs, kernel) + bias)`` for (N, H, W, C) images.

        Example:
            >>> conv = wg.layers.Conv2D(1, 2, kernel_initializer="ones")     # each output: a 2 x 2 window's sum
            >>> x = wg.arange(9).reshape(1, 3, 3, 1).float()                 # rows 0 1 2 / 3 4 5 / 6 7 8
            >>> conv(x).reshape(-1).tolist()
            [8.0, 12.0, 20.0, 24.0]
        """
        return self.activation(conv2d(inputs, self.kernel, self.bias, self.strides, self.padding))

    def compute_output_shape(self, input_shape):
        """(N, H', W', filters): 'valid' keeps full windows, 'same' gives ceil(size / stride).

        Example:
            >>> wg.layers.Conv2D(4, 3).compute_output_shape((None, 28, 28, 1))
            (None, 26, 26, 4)
            >>> wg.layers.Conv2D(4, 3, strides=2, padding="same").compute_output_shape((None, 7, 7, 1))
            (None, 4, 4, 4)
        """
        n, h, w, _ = input_shape
        return (n,) + _window_out((h, w), self.kernel_size, self.strides, self.padding) + (self.filters,)

    def get_config(self):
        """The base settings, then ``filters``, ``kernel_size``, ``strides``, ``padding``, ``activation`` and
        ``use_bias``.

        Example:
            >>> wg.layers.Conv2D(16, 3, name="conv").get_config()
            {'name': 'conv', 'trainable': True, 'filters': 16, 'kernel_size': (3, 3), 'strides': (1, 1),
             'padding': 'valid', 'activation': 'linear', 'use_bias': True}
        """
        return dict(super().get_config(), filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
                    padding=self.padding, activation=activations.name_of(self.activation), use_bias=self.use_bias)


def _window_out(size, kernel, strides, padding) -> tuple:
    out = []
    pads = padding_amounts(padding, [d or 0 for d in size], kernel, strides)
    for n, k, s, p in zip(size, kernel, strides, pads):
        out.append(None if n is None else (n + p[0] + p[1] - k) // s + 1)
    return tuple(out)
