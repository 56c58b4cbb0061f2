"""The playground's network: the Keras model a state builds, and the blocks the page draws of a model.

A hidden layer is a block: ``Dense`` (its activation in it), or with ``batchNorm`` ``Dense`` (linear), then
``BatchNormalization`` and an ``Activation``; then, with ``dropout``, a ``Dropout``. The output layer is a
plain ``Dense``. A neuron's picture is its block's output before dropout (dropout is the identity there).

    >>> from webgrad.playground.state import normalize
    >>> model = build_model(normalize({"networkShape": [3], "batchNorm": True, "dropout": 0.2}), 2, 1)
    >>> [type(layer).__name__ for layer in model.layers]
    ['Dense', 'BatchNormalization', 'Activation', 'Dropout', 'Dense']
    >>> [(b.dense.units, b.activation, b.normed, b.rate) for b in blocks(model)]
    [(3, 'tanh', True, 0.2), (1, 'tanh', False, 0.0)]
"""
from __future__ import annotations

from typing import NamedTuple

from ..keras import activations, initializers, layers, regularizers
from ..keras.models import Sequential
from .state import PlaygroundError, layer_activations

BN_MOMENTUM = 0.9       # Keras's 0.99 moves the moving averages (the heatmaps' statistics) too slowly for a few hundred steps


class Block(NamedTuple):
    """One drawn layer of a model: its ``Dense``, the layer whose output its neurons show, whether it is
    batch-normalized, its dropout rate and its activation's name."""
    dense: layers.Dense
    shown: layers.Layer
    normed: bool
    rate: float
    activation: str


def build_model(s: dict, inputs: int, outputs: int) -> Sequential:
    """The model of a (normalized) state: the Playground's initialization (weights uniform in [-0.5, 0.5],
    biases 0.1 or 0 with ``initZero``), its L1/L2 (its L2 is ½w², Keras's w²) and output (tanh, softmax with
    more than two classes, linear for a regression)."""
    bias = initializers.Zeros() if s["initZero"] else initializers.Constant(0.1)
    reg = None
    if s["regularization"] == "L1":
        reg = regularizers.L1(s["regularizationRate"])
    elif s["regularization"] == "L2":
        reg = regularizers.L2(s["regularizationRate"] / 2)

    def dense(n, activation):
        return layers.Dense(n, activation=activation, kernel_initializer=initializers.RandomUniform(-0.5, 0.5),
                            bias_initializer=bias, kernel_regularizer=reg)
    body = []
    for n, act in zip(s["networkShape"], layer_activations(s)):
        if s["batchNorm"]:
            body += [dense(n, "linear"), layers.BatchNormalization(momentum=BN_MOMENTUM), layers.Activation(act)]
        else:
            body.append(dense(n, act))
        if s["dropout"]:
            body.append(layers.Dropout(s["dropout"]))
    output = ("softmax" if outputs > 1 else "tanh") if s["problem"] == "classification" else "linear"
    return Sequential([layers.Input(shape=(inputs,)), *body, dense(outputs, output)])


def blocks(model: Sequential) -> list[Block]:
    """The drawn layers of ``model``, the output last; a model the page cannot draw raises ``PlaygroundError``
    naming the layer."""
    body = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    out, i = [], 0
    while i < len(body):
        layer = body[i]
        if not isinstance(layer, layers.Dense):
            raise PlaygroundError(f"the playground draws Dense layers (each may be followed by BatchNormalization and "
                                  f"an Activation, then Dropout); {layer.name} is a {type(layer).__name__}")
        i, shown, normed, rate = i + 1, layer, False, 0.0
        act = activations.name_of(layer.activation)
        if i < len(body) and isinstance(body[i], layers.BatchNormalization):
            if act != "linear" or not (i + 1 < len(body) and isinstance(body[i + 1], layers.Activation)):
                raise PlaygroundError(f"{body[i].name}: batch normalization goes between a linear Dense ({layer.name} "
                                      f"is {act}) and an Activation layer")
            shown, normed, act = body[i + 1], True, activations.name_of(body[i + 1].activation)
            i += 2
        if i < len(body) and isinstance(body[i], layers.Dropout):
            rate, i = body[i].rate, i + 1
        out.append(Block(layer, shown, normed, rate, act))
    if out and (out[-1].normed or out[-1].rate):
        raise PlaygroundError(f"the output layer {out[-1].dense.name} takes no batch normalization or dropout")
    hidden = out[:-1]
    if len({b.normed for b in hidden}) > 1 or len({b.rate for b in hidden}) > 1:
        raise PlaygroundError("the playground puts batch normalization and dropout on every hidden layer or on none, "
                              "at one rate")
    return out
