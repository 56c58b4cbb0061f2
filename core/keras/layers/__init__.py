"""Layers, as Keras: the base ``Layer`` and Dense, Conv2D, pooling, normalization, Dropout,
Embedding, Activation, Flatten, Reshape, Add, Concatenate, ReLU, LeakyReLU, Softmax, Identity, RepeatVector,
Permute, ZeroPadding2D, Cropping2D, UpSampling2D; ``Input`` for the functional API.

    >>> import webgrad as wg
    >>> model = wg.Sequential([wg.Input(shape=(2,)), wg.layers.Dense(8, activation="tanh"), wg.layers.Dense(1)])
    >>> model.count_params()
    33
"""
from .advanced_activations import Identity, LeakyReLU, ReLU, Softmax
from .base import InputSpec, Layer
from .convolutional import Conv2D
from .core import Activation, Dense, Dropout, Embedding, Flatten, Reshape
from .input_layer import Input, InputLayer
from .keras_tensor import KerasTensor
from .merging import Add, Concatenate
from .normalization import BatchNormalization, LayerNormalization
from .reshaping import Cropping2D, Permute, RepeatVector, UpSampling2D, ZeroPadding2D
from .pooling import AveragePooling2D, AvgPool2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPool2D, MaxPooling2D

Convolution2D = Conv2D

__all__ = ["Activation", "Add", "AveragePooling2D", "AvgPool2D", "BatchNormalization", "Concatenate", "Conv2D", "Cropping2D",
           "Convolution2D", "Dense", "Dropout", "Embedding", "Flatten", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "Identity", "Input", "InputLayer", "InputSpec", "KerasTensor", "Layer",
           "LayerNormalization", "LeakyReLU", "MaxPool2D", "MaxPooling2D", "Permute", "ReLU", "RepeatVector", "Reshape",
           "Softmax", "UpSampling2D", "ZeroPadding2D"]
