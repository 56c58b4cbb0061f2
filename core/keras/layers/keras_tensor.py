"""The placeholders of the functional API: a ``KerasTensor`` has a shape (batch axis None) and
remembers which layer made it from what; ``symbolic_call`` is what calling a layer on one does.
Below ``Layer`` (base.py imports it), so a layer's ``__call__`` needs no import of its own.

    >>> import webgrad as wg
    >>> wg.layers.Dense(8, name="hidden")(wg.Input(shape=(4,)))
    <KerasTensor shape=(None, 8), from hidden>
"""
from __future__ import annotations

from ...ops.registry import fmt as fmt_shape


class KerasTensor:
    """A placeholder with a shape (batch axis None) that remembers which layer made it from what.

    Example:
        >>> x = wg.Input(shape=(4,))
        >>> y = wg.layers.Dense(2, name="proj")(x)
        >>> y, y.layer.name, y.inputs is x
        (<KerasTensor shape=(None, 2), from proj>, 'proj', True)
    """

    def __init__(self, shape, dtype: str = "float32", layer: "Layer | None" = None, inputs=(), args=(), kwargs=None):
        self.shape, self.dtype = tuple(shape), dtype
        self.layer, self.inputs = layer, inputs      # inputs: the KerasTensor(s) the layer was called on
        self.args, self.kwargs = args, dict(kwargs or {})

    @property
    def ndim(self) -> int:
        """The rank: the number of axes, the batch axis included.

        Example:
            >>> wg.Input(shape=(28, 28, 1)).ndim
            4
        """
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={fmt_shape(self.shape)}, from {self.layer.name if self.layer else '?'}>"

    def __bool__(self):
        raise TypeError("a KerasTensor is a placeholder of the functional API; it has no value to test")


def symbolic_call(layer: "Layer", inputs, args, kwargs) -> KerasTensor:
    """Call ``layer`` on KerasTensors: build it for their shapes and return its output's placeholder."""
    shapes = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
    layer._ensure_built(shapes)
    layer._check_input(shapes)
    out_shape = tuple(layer.compute_output_shape(shapes))
    layer._output_shape = out_shape
    return KerasTensor(out_shape, "float32", layer, inputs, args, {k: v for k, v in kwargs.items() if k != "training"})
