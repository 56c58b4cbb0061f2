"""The playground's state: TensorFlow Playground's keys, their defaults and checks, and a person's
own points. A state is a dict of the Playground's own URL keys (``networkShape``, ``learningRate``,
``dataset``, ...) and ours (``optimizer``, ``loss``, ``activations``, ``classes``, ``dropout``, ``batchNorm``).

    >>> normalize({"networkShape": "3,1"})["networkShape"], normalize({})["learningRate"]
    ([3, 1], 0.03)
"""
from __future__ import annotations

import re
import zlib

from ..datasets import playground as problems
from ..keras import optimizers

# Feature name (the Playground's state key) -> its function of the points' x1 and x2 columns, its label,
# and the same function as the exported script spells it.
FEATURES = {
    "x": (lambda x, y: x, "X1", "x1"), "y": (lambda x, y: y, "X2", "x2"),
    "xSquared": (lambda x, y: x * x, "X1²", "x1 * x1"), "ySquared": (lambda x, y: y * y, "X2²", "x2 * x2"),
    "xTimesY": (lambda x, y: x * y, "X1X2", "x1 * x2"),
    "sinX": (lambda x, y: x.sin(), "sin(X1)", "x1.sin()"), "sinY": (lambda x, y: y.sin(), "sin(X2)", "x2.sin()"),
}
DATASETS = {"circle": "circle", "xor": "xor", "gauss": "gauss", "spiral": "spiral"}
REG_DATASETS = {"reg-plane": "plane", "reg-gauss": "multi_gauss"}
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
# Keys of our own (the Playground has plain SGD and its squared error only): the optimizer and the loss.
# Each optimizer made from the learning rate, and as the exported script spells it.
OPTIMIZERS = {
    "sgd": (lambda lr: optimizers.SGD(lr), "wg.optimizers.SGD({lr!r})"),
    "momentum": (lambda lr: optimizers.SGD(lr, momentum=0.9), "wg.optimizers.SGD({lr!r}, momentum=0.9)"),
    "adam": (lambda lr: optimizers.Adam(lr), "wg.optimizers.Adam({lr!r})"),
}
LOSSES = ("squared", "crossentropy")
DEFAULTS = {
    "activation": "tanh", "regularization": "none", "batchSize": 10, "dataset": "circle",
    "regDataset": "reg-plane", "learningRate": 0.03, "regularizationRate": 0.0, "noise": 0,
    "networkShape": [4, 2], "seed": "0.00000", "percTrainData": 50, "problem": "classification",
    "initZero": False, "x": True, "y": True, "xTimesY": False, "xSquared": False, "ySquared": False,
    "sinX": False, "sinY": False, "optimizer": "sgd", "loss": "squared", "activations": [], "classes": 2,
    "dropout": 0.0, "batchNorm": False,
}
DOMAIN = 6.0          # the heatmaps cover [-6, 6]²
DENSITY = 100         # the output's heatmap is DENSITY x DENSITY, a neuron's DENSITY / 10 squared
NEURON_DENSITY = DENSITY // 10
MAX_LAYERS, MAX_NEURONS = 6, 8
MAX_DROPOUT = 0.5          # a key of our own (dropout after each hidden layer), with batchNorm (before its activation)
EPOCHS_PER_DISPATCH = 5    # epochs of steps in one single-kernel dispatch (play asks for multiples of it)
# Which keys of the state decide the data, the network, the training: a change rebuilds from there on.
DATA_KEYS = ("dataset", "regDataset", "problem", "noise", "seed", "percTrainData", "classes")
NETWORK_KEYS = DATA_KEYS + ("networkShape", "activation", "activations", "dropout", "batchNorm", "initZero",
                            "regularization", "regularizationRate",
                            "x", "y", "xTimesY", "xSquared", "ySquared", "sinX", "sinY")
TRAINING_KEYS = ("optimizer", "loss")     # a change keeps the weights, with a fresh optimizer


class PlaygroundError(ValueError):
    """A state the Playground cannot take (its message names the key and the values it accepts)."""

    __module__ = "webgrad.playground"       # where a person meets it


MAX_POINTS = 10_000


def parse_points(text: str, problem: str = "classification", classes: int = 2) -> list[tuple[float, float, float]]:
    r"""A person's own data: lines of ``x, y, label`` (commas, semicolons, tabs or spaces; a header
    line and ``#`` comments are skipped), x and y in the heatmap's [-6, 6]; a classification's label
    is 1 or -1 (0 reads as -1), or with ``classes`` of 3 to 5 a class 0, 1, ...; a regression's
    any number. A bad line raises ``PlaygroundError`` naming it, so the page keeps the data it had.

    Example:
        >>> parse_points("x,y,label\n1.5, -2, 1\n0 0 0\n-3;4;1\n2\t2\t-1  # the last point\n")
        [(1.5, -2.0, 1.0), (0.0, 0.0, -1.0), (-3.0, 4.0, 1.0), (2.0, 2.0, -1.0)]
        >>> parse_points("1, 2, 1\n7, 0, 1")
        Traceback (most recent call last):
        ...
        webgrad.playground.PlaygroundError: line 2: x = 7.0 is outside the plot's [-6, 6]
    """
    points, first = [], True
    for number, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [f for f in re.split(r"[,;\s]+", line) if f]
        header, first = first and not any(_number(f) for f in fields), False
        if header:
            continue
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise PlaygroundError(f"line {number}: expected three numbers (x, y, label), got {line!r}") from None
        if len(values) != 3:
            raise PlaygroundError(f"line {number}: expected three numbers (x, y, label), got {len(values)}: {line!r}")
        points.append(_point(*values, problem, f"line {number}: ", classes))
        if len(points) > MAX_POINTS:
            raise PlaygroundError(f"line {number}: more than {MAX_POINTS:,} points")
    if len(points) < 4:
        raise PlaygroundError(f"only {len(points)} point(s): at least 4 are needed (some to train on, some to test)")
    return points


def _point(x: float, y: float, label: float, problem: str, where: str = "",
           classes: int = 2) -> tuple[float, float, float]:
    """One point, checked: x and y in [-6, 6], a classification's label 1 or -1 (0 reads as -1), or
    a class 0 to ``classes`` - 1 where there are more than two."""
    for name, v in (("x", x), ("y", y)):
        if not -DOMAIN <= v <= DOMAIN or v != v:
            raise PlaygroundError(f"{where}{name} = {v} is outside the plot's [-6, 6]")
    if problem == "classification" and classes > 2:
        if label not in range(classes):
            raise PlaygroundError(f"{where}with {classes} classes a label is one of "
                                  f"{', '.join(map(str, range(classes)))}, got {label}")
    elif problem == "classification":
        if label not in (-1.0, 0.0, 1.0):
            raise PlaygroundError(f"{where}a classification's label is 1 or -1 (0 reads as -1), got {label}; "
                                  f"for numbers to fit, choose Problem type: Regression")
        label = 1.0 if label > 0 else -1.0
    elif label != label or abs(label) == float("inf"):
        raise PlaygroundError(f"{where}the label must be a number, got {label}")
    return (float(x), float(y), float(label))


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def normalize(state: dict) -> dict:
    """``state`` with the Playground's defaults filled in and every value checked.

    Example:
        >>> normalize({"networkShape": "3,1", "learningRate": "0.1"})["networkShape"]
        [3, 1]
        >>> normalize({"activation": "swish"})
        Traceback (most recent call last):
        ...
        webgrad.playground.PlaygroundError: activation must be one of relu, tanh, sigmoid, linear, got 'swish'
    """
    s = dict(DEFAULTS)
    s.update({k: v for k, v in state.items() if v is not None})
    if isinstance(s["networkShape"], str):
        s["networkShape"] = [int(v) for v in s["networkShape"].split(",") if v.strip()]
    s["networkShape"] = [int(v) for v in s["networkShape"]]
    for key in ("batchSize", "noise", "percTrainData", "classes"):
        s[key] = int(float(s[key]))
    for key in ("learningRate", "regularizationRate", "dropout"):
        s[key] = float(s[key])
    for key in ("initZero", "batchNorm", *FEATURES):
        s[key] = s[key] not in (False, "false", 0, "0")
    s["seed"] = str(s["seed"])
    _one_of(s, "activation", ACTIVATIONS)
    s["activations"] = _layer_activations(s)
    _one_of(s, "regularization", REGULARIZATIONS)
    _one_of(s, "problem", ("classification", "regression"))
    _one_of(s, "dataset", tuple(DATASETS))
    _one_of(s, "regDataset", tuple(REG_DATASETS))
    _one_of(s, "optimizer", tuple(OPTIMIZERS))
    _one_of(s, "loss", LOSSES)
    if s["loss"] == "crossentropy" and s["problem"] != "classification":
        raise PlaygroundError("loss crossentropy is for a classification; a regression takes loss squared")
    if not 2 <= s["classes"] <= problems.MAX_CLASSES:
        raise PlaygroundError(f"classes is 2 to {problems.MAX_CLASSES}, got {s['classes']}")
    if s["classes"] > 2 and (s["problem"] != "classification" or s["dataset"] not in problems.MANY_CLASSES):
        raise PlaygroundError(f"classes={s['classes']}: more than two classes are for the "
                              f"{' and '.join(problems.MANY_CLASSES)} datasets of a classification")
    if len(s["networkShape"]) > MAX_LAYERS or any(not 1 <= n <= MAX_NEURONS for n in s["networkShape"]):
        raise PlaygroundError(f"networkShape: 0 to {MAX_LAYERS} hidden layers of 1 to {MAX_NEURONS} neurons, "
                              f"got {s['networkShape']}")
    if not 1 <= s["batchSize"] <= 30 or not 0 <= s["noise"] <= 50 or not 10 <= s["percTrainData"] <= 90:
        raise PlaygroundError(f"batchSize 1-30, noise 0-50 and percTrainData 10-90, got {s['batchSize']}, "
                              f"{s['noise']} and {s['percTrainData']}")
    if not 0 <= s["dropout"] <= MAX_DROPOUT:
        raise PlaygroundError(f"dropout is a rate from 0 to {MAX_DROPOUT}, got {s['dropout']}")
    if not any(s[name] for name in FEATURES):
        raise PlaygroundError("choose at least one input feature (x, y, xSquared, ...)")
    return s


def _layer_activations(s: dict) -> list[str]:
    """``activations`` (a key of our own, TF Playground issue #50): one activation per hidden layer,
    or [] when every layer takes ``activation`` (a list all equal to it reads as [])."""
    acts = s["activations"]
    acts = [a.strip() for a in acts.split(",") if a.strip()] if isinstance(acts, str) else [str(a) for a in acts]
    if acts and len(acts) != len(s["networkShape"]):
        raise PlaygroundError(f"activations: one per hidden layer ({len(s['networkShape'])}), got {len(acts)}: "
                              f"{','.join(acts)}")
    for a in acts:
        if a not in ACTIVATIONS:
            raise PlaygroundError(f"activations: each one of {', '.join(ACTIVATIONS)}, got {a!r}")
    return [] if all(a == s["activation"] for a in acts) else acts


def layer_activations(state: dict) -> list[str]:
    """The activation of each hidden layer of a (normalized) state.

    Example:
        >>> layer_activations(normalize({"networkShape": [4, 2], "activations": "relu,tanh"}))
        ['relu', 'tanh']
        >>> layer_activations(normalize({"networkShape": [4, 2], "activation": "sigmoid"}))
        ['sigmoid', 'sigmoid']
    """
    return state["activations"] or [state["activation"]] * len(state["networkShape"])


def _one_of(s: dict, key: str, valid: tuple) -> None:
    if s[key] not in valid:
        raise PlaygroundError(f"{key} must be one of {', '.join(valid)}, got {s[key]!r}")


def _seed(text: str) -> int:
    """The Playground's seeds are strings ("0.52317"): the same string, the same points."""
    return zlib.crc32(text.encode())
