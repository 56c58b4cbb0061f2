"""Layers that join several inputs (for the functional API): Add, Concatenate."""
from __future__ import annotations

from ...ops import ShapeError
from ...tensor import cat
from .base import Layer, fmt_shape


class Add(Layer):
    """The elementwise sum of a list of inputs of one shape: ``Add()([a, b])``.

    Example:
        >>> x = wg.Input(shape=(4,))
        >>> y = wg.layers.Add()([x, wg.layers.Dense(4)(x)])           # a residual connection
        >>> wg.Model(x, y)(wg.ones(2, 4)).shape
        (2, 4)
    """

    def call(self, inputs):
        """The sum of the tensors in the list ``inputs``.

        Example:
            >>> a, b, c = wg.tensor([[1.0, 2.0]]), wg.tensor([[10.0, 20.0]]), wg.tensor([[100.0, 200.0]])
            >>> wg.layers.Add()([a, b, c]).tolist()
            [[111.0, 222.0]]
        """
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out

    def compute_output_shape(self, input_shape):
        """The inputs' common shape; a ShapeError when they differ.

        Example:
            >>> wg.layers.Add().compute_output_shape([(None, 3), (None, 3)])
            (None, 3)
            >>> wg.layers.Add(name="add").compute_output_shape([(None, 3), (None, 4)])
            Traceback (most recent call last):
            ...
            webgrad.ops.registry.ShapeError: layer 'add' (Add) needs inputs of one shape, got (None, 3), (None, 4)
        """
        shapes = {tuple(s[1:]) for s in input_shape}
        if len(shapes) > 1:
            raise ShapeError(f"layer {self.name!r} (Add) needs inputs of one shape, got "
                             f"{', '.join(fmt_shape(s) for s in input_shape)}")
        return tuple(input_shape[0])


class Concatenate(Layer):
    """Joins a list of inputs along ``axis`` (the last by default): ``Concatenate()([a, b])``.

    Example:
        >>> a, b = wg.Input(shape=(2,)), wg.Input(shape=(3,))
        >>> wg.layers.Concatenate()([a, b]).shape
        (None, 5)
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        """The tensors in the list ``inputs`` joined along ``axis``.

        Example:
            >>> wg.layers.Concatenate()([wg.tensor([[1.0, 2.0]]), wg.tensor([[3.0]])]).tolist()
            [[1.0, 2.0, 3.0]]
            >>> wg.layers.Concatenate(axis=0)([wg.tensor([[1.0, 2.0]]), wg.tensor([[3.0, 4.0]])]).tolist()
            [[1.0, 2.0], [3.0, 4.0]]
        """
        return cat(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        """The inputs' shape with their sizes along ``axis`` summed (None if one is unknown); a ShapeError when
        they differ on another axis.

        Example:
            >>> wg.layers.Concatenate().compute_output_shape([(None, 4, 2), (None, 4, 3)])
            (None, 4, 5)
        """
        rank = len(input_shape[0])
        axis = self.axis % rank
        for s in input_shape[1:]:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, input_shape[0])) if i not in (0, axis)):
                raise ShapeError(f"layer {self.name!r} (Concatenate) needs inputs that match outside axis {self.axis}, "
                                 f"got {', '.join(fmt_shape(s) for s in input_shape)}")
        sizes = [s[axis] for s in input_shape]
        return tuple(input_shape[0][:axis]) + (None if None in sizes else sum(sizes),) + tuple(input_shape[0][axis + 1:])
