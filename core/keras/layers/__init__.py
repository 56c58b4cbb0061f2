"""Layers, as Keras: the base ``Layer`` and Dense, Conv2D, pooling, normalization, Dropout,
Embedding, Activation, Flatten, Reshape, Add, Concatenate; ``Input`` for the functional API.

    >>> import webgrad as wg
    >>> model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(8, activation="tanh"), wg.layers.Dense(1)])
    >>> model.count_params()
    33
"""
from .base import InputSpec, Layer
from .convolutional import Conv2D
from .core import Activation, Dense, Dropout, Embedding, Flatten, Reshape
from .input_layer import Input, InputLayer
from .keras_tensor import KerasTensor
from .merging import Add, Concatenate
from .normalization import BatchNormalization, LayerNormalization
from .pooling import AveragePooling2D, AvgPool2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPool2D, MaxPooling2D

Convolution2D = Conv2D

__all__ = ["Activation", "Add", "AveragePooling2D", "AvgPool2D", "BatchNormalization", "Concatenate", "Conv2D",
           "Convolution2D", "Dense", "Dropout", "Embedding", "Flatten", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "Input", "InputLayer", "InputSpec", "KerasTensor", "Layer", "LayerNormalization",
           "MaxPool2D", "MaxPooling2D", "Reshape"]
