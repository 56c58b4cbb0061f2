"""Layers that join several inputs (for the functional API): Add, Concatenate."""
from __future__ import annotations

from ...ops import ShapeError
from ...tensor import cat
from .base import Layer, fmt_shape


class Add(Layer):
    """The elementwise sum of a list of inputs of one shape: ``Add()([a, b])``."""

    def call(self, inputs):
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out

    def compute_output_shape(self, input_shape):
        shapes = {tuple(s[1:]) for s in input_shape}
        if len(shapes) > 1:
            raise ShapeError(f"layer {self.name!r} (Add) needs inputs of one shape, got "
                             f"{', '.join(fmt_shape(s) for s in input_shape)}")
        return tuple(input_shape[0])


class Concatenate(Layer):
    """Joins a list of inputs along ``axis`` (the last by default): ``Concatenate()([a, b])``."""

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, inputs):
        return cat(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        rank = len(input_shape[0])
        axis = self.axis % rank
        for s in input_shape[1:]:
            if len(s) != rank or any(a != b for i, (a, b) in enumerate(zip(s, input_shape[0])) if i not in (0, axis)):
                raise ShapeError(f"layer {self.name!r} (Concatenate) needs inputs that match outside axis {self.axis}, "
                                 f"got {', '.join(fmt_shape(s) for s in input_shape)}")
        sizes = [s[axis] for s in input_shape]
        return tuple(input_shape[0][:axis]) + (None if None in sizes else sum(sizes),) + tuple(input_shape[0][axis + 1:])
