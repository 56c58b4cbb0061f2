"""The losses the playground trains on: the Playground's ½(output - label)², a cross-entropy for its
tanh output, and for more than two classes their forms on a softmax output.

    >>> loss_function({"classes": 2, "loss": "squared"}).__name__
    'half_squared_error'
"""
from __future__ import annotations

from ..keras.losses import sparse_categorical_crossentropy

def half_squared_error(y_true, y_pred):
    """The Playground's loss of each point: ½(output - label)², the mean of it over a batch.

    Example:
        >>> half_squared_error(wg.tensor([[1.0]]), wg.tensor([[0.0]])).tolist()
        [0.5]
    """
    return 0.5 * ((y_pred - y_true) ** 2).mean(axis=-1)


def tanh_cross_entropy(y_true, y_pred):
    """Cross-entropy for the Playground's tanh output and -1/+1 labels, read as the probability
    (output + 1) / 2 of the +1 class (clipped to [1e-7, 1 - 1e-7]); the mean over a batch.

    Example:
        >>> round(tanh_cross_entropy(wg.tensor([[1.0]]), wg.tensor([[0.0]])).item(), 4)     # p = 1/2: log 2
        0.6931
    """
    p = ((y_pred + 1.0) * 0.5).clip(1e-7, 1.0 - 1e-7)
    t = (y_true + 1.0) * 0.5
    return -(t * p.log() + (1.0 - t) * (1.0 - p).log()).mean(axis=-1)


def class_squared_error(y_true, y_pred):
    """The Playground's loss for more than two classes: ½ Σ (p - one-hot label)² over a softmax
    output's probabilities (the label a class id in an (n, 1) column).

    Example:
        >>> class_squared_error(wg.tensor([[1.0]]), wg.tensor([[0.0, 1.0, 0.0]])).tolist()
        [0.0]
    """
    hot = y_true.reshape(-1).int().one_hot(y_pred.shape[-1])
    return 0.5 * ((y_pred - hot) ** 2).sum(axis=-1)


LOSS_FUNCTIONS = {"squared": half_squared_error, "crossentropy": tanh_cross_entropy}
CLASS_LOSS_FUNCTIONS = {"squared": class_squared_error, "crossentropy": sparse_categorical_crossentropy}


def loss_function(state: dict):
    """The per-point loss a (normalized) state trains on.

    Example:
        >>> loss_function({"classes": 3, "loss": "crossentropy"}).__name__
        'sparse_categorical_crossentropy'
    """
    return (CLASS_LOSS_FUNCTIONS if state["classes"] > 2 else LOSS_FUNCTIONS)[state["loss"]]
LOSS_SCRIPTS = {      # each as the exported script defines it
    "squared": ["def loss(y_true, y_pred):",
                '    """The Playground\'s loss: the mean of ½(output - label)²."""',
                "    return 0.5 * ((y_pred - y_true) ** 2).mean(axis=-1)"],
    "crossentropy": ["def loss(y_true, y_pred):",
                     '    """Cross-entropy of the tanh output read as the probability (output + 1) / 2 of label +1."""',
                     "    p = ((y_pred + 1.0) * 0.5).clip(1e-7, 1.0 - 1e-7)",
                     "    t = (y_true + 1.0) * 0.5",
                     "    return -(t * p.log() + (1.0 - t) * (1.0 - p).log()).mean(axis=-1)"],
}
CLASS_LOSS_SCRIPTS = {
    "squared": ["def loss(y_true, y_pred):",
                '    """½ Σ (p - one-hot label)² over the softmax output."""',
                "    hot = y_true.reshape(-1).int().one_hot(y_pred.shape[-1])",
                "    return 0.5 * ((y_pred - hot) ** 2).sum(axis=-1)"],
    "crossentropy": ["loss = wg.losses.sparse_categorical_crossentropy"],
}

