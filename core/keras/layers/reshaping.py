"""Layers that move values without computing: RepeatVector (a vector to a sequence), Permute (the axes of
each sample reordered), and for channels-last images ZeroPadding2D, Cropping2D and UpSampling2D (nearest).

    >>> import webgrad as wg
    >>> wg.layers.RepeatVector(3)(wg.ones(2, 4)).shape, wg.layers.Permute((2, 1))(wg.ones(2, 3, 4)).shape
    ((2, 3, 4), (2, 4, 3))
"""
from __future__ import annotations

from ...ops import ShapeError
from .base import Layer


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features): the vector repeated ``n`` times.

    Example:
        >>> wg.layers.RepeatVector(2)(wg.tensor([[1.0, 2.0]])).tolist()
        [[[1.0, 2.0], [1.0, 2.0]]]
    """

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, inputs):
        """``inputs`` (batch, features) repeated along a new axis 1.

        Example:
            >>> wg.layers.RepeatVector(3)(wg.ones(1, 2)).shape
            (1, 3, 2)
        """
        if inputs.ndim != 2:
            raise ShapeError(f"layer {self.name!r} (RepeatVector) takes (batch, features), got shape {inputs.shape}")
        b, f = inputs.shape
        return inputs.reshape(b, 1, f).expand(b, self.n, f)

    def compute_output_shape(self, input_shape):
        """(batch, n, features).

        Example:
            >>> wg.layers.RepeatVector(5).compute_output_shape((None, 3))
            (None, 5, 3)
        """
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        """The base settings, then ``n``.

        Example:
            >>> wg.layers.RepeatVector(4).get_config()["n"]
            4
        """
        return dict(super().get_config(), n=self.n)


class Permute(Layer):
    """Each sample's axes reordered by ``dims`` (1-based, the batch axis stays first): ``Permute((2, 1))``
    swaps a sequence's time and feature axes.

    Example:
        >>> wg.layers.Permute((2, 1))(wg.tensor([[[1.0, 2.0], [3.0, 4.0]]])).tolist()
        [[[1.0, 3.0], [2.0, 4.0]]]
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}, got {self.dims}")

    def call(self, inputs):
        """``inputs`` with axes (0, *dims).

        Example:
            >>> wg.layers.Permute((3, 1, 2))(wg.ones(2, 3, 4, 5)).shape
            (2, 5, 3, 4)
        """
        if inputs.ndim != len(self.dims) + 1:
            raise ShapeError(f"layer {self.name!r} (Permute) reorders {len(self.dims)} axes of each sample, got "
                             f"samples of shape {inputs.shape[1:]}")
        return inputs.permute(0, *self.dims)

    def compute_output_shape(self, input_shape):
        """The batch axis, then the sample's axes in ``dims`` order.

        Example:
            >>> wg.layers.Permute((2, 1)).compute_output_shape((None, 10, 3))
            (None, 3, 10)
        """
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self):
        """The base settings, then ``dims``.

        Example:
            >>> wg.layers.Permute((2, 1)).get_config()["dims"]
            (2, 1)
        """
        return dict(super().get_config(), dims=self.dims)


def _pairs(value, what: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras's forms of a 2-D padding or cropping: n, (rows, cols), or ((top, bottom), (left, right))."""
    if isinstance(value, int):
        return (value, value), (value, value)
    rows, cols = value
    pair = lambda v: (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))   # noqa: E731
    out = pair(rows), pair(cols)
    if min(out[0] + out[1]) < 0:
        raise ValueError(f"{what}: sizes must be >= 0, got {value}")
    return out


def _resized(input_shape, rows: int, cols: int) -> tuple:
    """(N, H, W, C) with ``rows`` added to H and ``cols`` to W (an unknown size stays unknown)."""
    n, h, w, c = input_shape
    return (n, None if h is None else h + rows, None if w is None else w + cols, c)


def _channels_last(data_format, what: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{what}: webgrad's images are channels-last (N, H, W, C); data_format={data_format!r} "
                         f"is not supported")


class ZeroPadding2D(Layer):
    """Zeros around each (H, W) image of a channels-last batch: ``padding`` n, (rows, cols) or
    ((top, bottom), (left, right)).

    Example:
        >>> wg.layers.ZeroPadding2D(1)(wg.ones(2, 3, 3, 4)).shape
        (2, 5, 5, 4)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, "ZeroPadding2D")
        self.padding = _pairs(padding, "ZeroPadding2D")

    def call(self, inputs):
        """``inputs`` (N, H, W, C) padded with zeros.

        Example:
            >>> wg.layers.ZeroPadding2D(((1, 0), (0, 0)))(wg.ones(1, 1, 1, 1)).reshape(-1).tolist()
            [0.0, 1.0]
        """
        return inputs.pad(((0, 0), *self.padding, (0, 0)))

    def compute_output_shape(self, input_shape):
        """(N, H + top + bottom, W + left + right, C).

        Example:
            >>> wg.layers.ZeroPadding2D((1, 2)).compute_output_shape((None, 4, 4, 3))
            (None, 6, 8, 3)
        """
        (t, b), (left, r) = self.padding
        return _resized(input_shape, t + b, left + r)

    def get_config(self):
        """The base settings, then ``padding`` as ((top, bottom), (left, right)).

        Example:
            >>> wg.layers.ZeroPadding2D(2).get_config()["padding"]
            ((2, 2), (2, 2))
        """
        return dict(super().get_config(), padding=self.padding)


class Cropping2D(Layer):
    """Rows and columns cut from the edges of each image: ``cropping`` n, (rows, cols) or
    ((top, bottom), (left, right)).

    Example:
        >>> wg.layers.Cropping2D(((1, 0), (0, 2)))(wg.ones(2, 5, 5, 3)).shape
        (2, 4, 3, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, "Cropping2D")
        self.cropping = _pairs(cropping, "Cropping2D")

    def call(self, inputs):
        """``inputs`` (N, H, W, C) with its edges cut.

        Example:
            >>> wg.layers.Cropping2D(1)(wg.arange(9.0).reshape(1, 3, 3, 1)).reshape(-1).tolist()
            [4.0]
        """
        (t, b), (left, r) = self.cropping
        h, w = inputs.shape[1:3]
        if t + b >= h or left + r >= w:
            raise ShapeError(f"layer {self.name!r} (Cropping2D) cuts {self.cropping} from images of {h}x{w}: "
                             f"nothing would be left")
        return inputs[:, t:h - b, left:w - r, :]

    def compute_output_shape(self, input_shape):
        """(N, H - top - bottom, W - left - right, C).

        Example:
            >>> wg.layers.Cropping2D((1, 2)).compute_output_shape((None, 8, 8, 3))
            (None, 6, 4, 3)
        """
        (t, b), (left, r) = self.cropping
        return _resized(input_shape, -t - b, -left - r)

    def get_config(self):
        """The base settings, then ``cropping`` as ((top, bottom), (left, right)).

        Example:
            >>> wg.layers.Cropping2D(1).get_config()["cropping"]
            ((1, 1), (1, 1))
        """
        return dict(super().get_config(), cropping=self.cropping)


class UpSampling2D(Layer):
    """Each pixel repeated ``size`` (rows, cols) times: nearest-neighbour upsampling of channels-last images.

    Example:
        >>> wg.layers.UpSampling2D(2)(wg.tensor([[[[1.0], [2.0]]]])).reshape(2, 4).tolist()
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest", **kwargs):
        super().__init__(**kwargs)
        _channels_last(data_format, "UpSampling2D")
        if interpolation != "nearest":
            raise ValueError(f"UpSampling2D: interpolation 'nearest' is the one webgrad has, got {interpolation!r}")
        self.size = (int(size), int(size)) if isinstance(size, int) else (int(size[0]), int(size[1]))
        self.interpolation = interpolation

    def call(self, inputs):
        """(N, H, W, C) -> (N, H * rows, W * cols, C).

        Example:
            >>> wg.layers.UpSampling2D((1, 3))(wg.ones(1, 2, 2, 1)).shape
            (1, 2, 6, 1)
        """
        n, h, w, c = inputs.shape
        sh, sw = self.size
        return inputs.reshape(n, h, 1, w, 1, c).expand(n, h, sh, w, sw, c).reshape(n, h * sh, w * sw, c)

    def compute_output_shape(self, input_shape):
        """(N, H * rows, W * cols, C).

        Example:
            >>> wg.layers.UpSampling2D(2).compute_output_shape((None, 4, 5, 3))
            (None, 8, 10, 3)
        """
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def get_config(self):
        """The base settings, then ``size`` and ``interpolation``.

        Example:
            >>> wg.layers.UpSampling2D(3).get_config()["size"]
            (3, 3)
        """
        return dict(super().get_config(), size=self.size, interpolation=self.interpolation)
