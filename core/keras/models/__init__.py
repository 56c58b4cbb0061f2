"""Models, as Keras: ``Sequential``, the functional ``Model(inputs, outputs)``, and subclasses of
``Model``; each with compile/fit/evaluate/predict, summary and safetensors weights."""
from ..callbacks import History
from ..layers.input_layer import Input
from .model import Model
from .sequential import Sequential

__all__ = ["History", "Input", "Model", "Sequential"]
